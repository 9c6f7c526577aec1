from django.urls import path

from . import views_reports as views

app_name = "reports"
urlpatterns = [
    path("", views.today_page, name="today"),
    path("submit/", views.submit, name="submit"),
    path("district/", views.district, name="district"),
    path("district/remind/<int:area_pk>/", views.remind, name="remind"),
    path("district/export.xlsx", views.export, name="export"),
]
