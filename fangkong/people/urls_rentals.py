from django.urls import path

from . import views_rentals as views

app_name = "rentals"
urlpatterns = [
    path("", views.rental_list, name="list"),
    path("new/", views.rental_new, name="new"),
    path("<int:pk>/", views.rental_detail, name="detail"),
    path("<int:pk>/state/", views.rental_state, name="state"),
    path("<int:pk>/tenants/", views.rental_tenant, name="tenant"),
    path("<int:pk>/tenants/<int:tenancy_pk>/move-out/", views.rental_move_out, name="move_out"),
    path("<int:pk>/letter/upload/", views.rental_letter_upload, name="letter_upload"),
    path("<int:pk>/letter/", views.rental_letter, name="letter"),
    path("<int:pk>/letter.pdf", views.rental_letter_pdf, name="letter_pdf"),
]
