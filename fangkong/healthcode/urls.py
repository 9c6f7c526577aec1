from django.urls import path

from . import views

app_name = "healthcode"
urlpatterns = [
    path("", views.codes, name="index"),
    path("persons/<int:person_pk>/", views.person, name="person"),
    path("overrides/", views.overrides, name="overrides"),
    path("overrides/new/", views.override_new, name="override_new"),
    path("overrides/<int:pk>/decide/", views.override_decide, name="override_decide"),
    path("overrides/report/", views.override_report, name="override_report"),
    path("overrides/report.xlsx", views.override_report_export, name="override_report_export"),
    path("rules/", views.rules, name="rules"),
    path("policies/", views.policies, name="policies"),
    path("policies/new/", views.policy_edit, name="policy_new"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
]
