from django.urls import path

from . import views_pass

app_name = "pass"
urlpatterns = [
    path("my/pass/", views_pass.my_pass, name="mine"),
    path("my/pass/<int:person_id>/", views_pass.my_pass_code, name="code"),
    path("station/<int:pk>/pass-code/", views_pass.station_verify, name="station_verify"),
    path("pass-cards/person/<int:person_id>/", views_pass.cards, name="cards"),
    path("pass-cards/person/<int:person_id>/issue/", views_pass.card_issue, name="card_issue"),
    path("pass-cards/<int:card_pk>/card.pdf", views_pass.card_pdf, name="card_pdf"),
    path("pass-cards/<int:card_pk>/revoke/", views_pass.card_revoke, name="card_revoke"),
]
