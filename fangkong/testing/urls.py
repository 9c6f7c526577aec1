from django.urls import path

from . import views

app_name = "testing"
urlpatterns = [
    path("", views.campaign_list, name="campaigns"),
    path("new/", views.campaign_new, name="campaign_new"),
    path("<int:pk>/", views.campaign_detail, name="campaign"),
    path("<int:pk>/sites/new/", views.site_new, name="site_new"),
    path("<int:pk>/team/", views.team_add, name="team_add"),
    path("<int:pk>/zones/", views.zone_set, name="zone_set"),
    path("<int:pk>/exemptions/", views.exemption_add, name="exemption_add"),
    path("<int:pk>/coverage/", views.coverage, name="coverage"),
    path("sites/<int:pk>/", views.site_page, name="site"),
    path("sites/<int:pk>/tubes/", views.tube_new, name="tube_new"),
    path("sites/<int:pk>/tubes/<int:tube_pk>/add/", views.tube_add, name="tube_add"),
    path("sites/<int:pk>/tubes/<int:tube_pk>/seal/", views.tube_seal, name="tube_seal"),
    path("sites/<int:pk>/retests/", views.site_retests, name="retests"),
    path("results/import/", views.results_import, name="results_import"),
    path("results/template.xlsx", views.results_template, name="results_template"),
]
