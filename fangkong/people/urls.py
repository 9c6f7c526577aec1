from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_edit, name="new"),
    path("export/", views.person_export, name="export"),
    path("import/", views.ledger_import, name="import"),
    path("import/template.xlsx", views.ledger_import_template, name="import_template"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/reveal/", views.person_reveal, name="reveal"),
]
