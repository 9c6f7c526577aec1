from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("", views.screening_list, name="list"),
    path("new/", views.screening_new, name="new"),
    path("<int:pk>/", views.screening_detail, name="detail"),
    path("<int:pk>/state/", views.screening_state, name="state"),
    path("<int:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("categories/", views.category_list, name="categories"),
    path("categories/new/", views.category_edit, name="category_new"),
    path("categories/<int:pk>/edit/", views.category_edit, name="category_edit"),
    path("categories/<int:pk>/delete/", views.category_delete, name="category_delete"),
    path("assistance/", views.assistance_import, name="assistance_import"),
    path("assistance/template.xlsx", views.assistance_template, name="assistance_template"),
]
