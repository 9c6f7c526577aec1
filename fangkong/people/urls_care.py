from django.urls import path

from . import views_care as views

app_name = "care"
urlpatterns = [
    path("", views.care_list, name="list"),
    path("new/", views.care_new, name="new"),
    path("<int:pk>/visit/", views.care_visit, name="visit"),
]
