from django.urls import path

from . import views

app_name = "zones"
urlpatterns = [
    path("", views.zone_list, name="list"),
    path("new/", views.zone_new, name="new"),
    path("timetable/", views.timetable, name="timetable"),
    path("rules/", views.rules, name="rules"),
    path("passes/", views.pass_list, name="passes"),
    path("passes/new/", views.pass_new, name="pass_new"),
    path("passes/<int:pk>/revoke/", views.pass_revoke, name="pass_revoke"),
    path("supply/", views.supply_list, name="supply"),
    path("supply/new/", views.supply_new, name="supply_new"),
    path("supply/<int:pk>/<str:step>/", views.supply_step, name="supply_step"),
    path("<int:pk>/", views.zone_detail, name="detail"),
    path("<int:pk>/change/", views.zone_change, name="change"),
    path("<int:pk>/lift/", views.zone_lift, name="lift"),
    path("<int:pk>/rule/", views.zone_rule, name="rule"),
]
