"""URLs for bench/checkin.py: the whole project plus a raw-SQL twin of the one-tap check-in."""

from django.urls import include, path

from . import checkin_raw

urlpatterns = [
    path("bench/raw/<str:code>/pass", checkin_raw.tap),
    path("", include("fangkong.urls")),
]
