from django.urls import path

from . import views

app_name = "enterprises"
urlpatterns = [
    path("", views.enterprise_list, name="list"),
    path("new/", views.enterprise_new, name="new"),
    path("import/", views.enterprise_import, name="import"),
    path("import/template.xlsx", views.enterprise_import_template, name="import_template"),
    path("roster-template.xlsx", views.roster_template, name="roster_template"),
    path("parks/", views.parks, name="parks"),
    path("parks/new/", views.park_new, name="park_new"),
    path("parks/<int:pk>/edit/", views.park_edit, name="park_edit"),
    path("on-duty/", views.on_duty, name="on_duty"),
    path("reviews/", views.reviews, name="reviews"),
    path("checklist/", views.checklist, name="checklist"),
    path("problems/", views.problems, name="problems"),
    path("problems/<int:pk>/<str:action>/", views.problem_action, name="problem_action"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/items/<int:item_pk>/", views.application_answer, name="application_answer"),
    path("applications/<int:pk>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:pk>/review/", views.application_review, name="application_review"),
    path("applications/<int:pk>/letter.pdf", views.application_letter, name="application_letter"),
    path("<int:pk>/", views.enterprise_detail, name="detail"),
    path("<int:pk>/edit/", views.enterprise_edit, name="edit"),
    path("<int:pk>/gates/", views.enterprise_gate, name="gate"),
    path("<int:pk>/capacity/", views.enterprise_capacity, name="capacity"),
    path("<int:pk>/closed-loop/", views.enterprise_closed_loop, name="closed_loop"),
    path("<int:pk>/testing/", views.enterprise_testing, name="testing"),
    path("<int:pk>/deliveries/", views.enterprise_delivery, name="delivery"),
    path("<int:pk>/apply/", views.application_start, name="apply"),
    path("<int:pk>/roster/", views.roster, name="roster"),
    path("<int:pk>/roster/links/", views.roster_links, name="roster_links"),
    path("<int:pk>/roster/cards.pdf", views.roster_cards, name="roster_cards"),
    path("<int:pk>/roster/import/", views.roster_import, name="roster_import"),
    path("<int:pk>/roster/<int:employee_pk>/check-in/", views.roster_checkin, name="roster_checkin"),
    path("<int:pk>/roster/<int:employee_pk>/remove/", views.roster_remove, name="roster_remove"),
]
