from django.urls import path

from . import views

# Mounted at territory/households/ (fangkong/urls.py): the page lives with the ledger that lists the members.
app_name = "households"
urlpatterns = [path("<int:pk>/", views.household_detail, name="detail")]
