from django.urls import path

from . import views

app_name = "tracing"
urlpatterns = [
    path("", views.trace_list, name="list"),
    path("tasks/", views.tasks, name="tasks"),
    path("settings/", views.kind_rules, name="kind_rules"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("risk-places/", views.risk_places, name="risk_places"),
    path("risk-places/export/", views.risk_places_xlsx, name="risk_places_xlsx"),
    path("risk-places/policy/", views.risk_policy, name="risk_policy"),
    path("<int:pk>/", views.trace_detail, name="detail"),
    path("<int:pk>/visits/", views.visit_add, name="visit_add"),
    path("<int:pk>/visits/<int:visit_pk>/wrong/", views.visit_wrong, name="visit_wrong"),
    path("<int:pk>/contacts/<int:contact_pk>/mark/", views.contact_mark, name="contact_mark"),
    path("<int:pk>/secondary/", views.secondary, name="secondary"),
    path("<int:pk>/act/", views.act, name="act"),
    path("<int:pk>/chain/", views.chain, name="chain"),
    path("<int:pk>/chain.json", views.chain_data, name="chain_data"),
    path("<int:pk>/report/xlsx/", views.trace_xlsx, name="report_xlsx"),
    path("<int:pk>/report.pdf", views.trace_pdf, name="report_pdf"),
]
