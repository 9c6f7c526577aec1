from django.urls import path

from . import audit_log as views

app_name = "audit"
urlpatterns = [path("", views.audit_list, name="list")]
