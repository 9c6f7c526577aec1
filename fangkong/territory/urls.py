from django.urls import path, re_path

from . import views

app_name = "territory"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("areas/<int:pk>/", views.area_detail, name="area"),
    path("areas/<int:pk>/edit/", views.area_edit, name="area_edit"),
    path("areas/new/", views.area_edit, name="area_new"),
    path("compounds/<int:pk>/", views.compound_detail, name="compound"),
    path("households/", views.household_list, name="households"),
    re_path(r"^(?P<kind>grid|compound|household)/new/$", views.record_edit, name="record_new"),
    re_path(r"^(?P<kind>grid|compound|household)/(?P<pk>\d+)/edit/$", views.record_edit, name="record_edit"),
    path("import/", views.import_start, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
