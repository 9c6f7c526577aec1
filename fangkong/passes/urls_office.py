from django.urls import path

from . import backoffice, station, verify

app_name = "office"
urlpatterns = [
    path("station/", station.index, name="station_index"),
    path("station/<int:pk>/", station.station, name="station"),
    path("station/<int:pk>/live/", station.live, name="station_live"),
    path("station/<int:pk>/assist/", station.assist, name="station_assist"),
    path("station/<int:pk>/vehicle/", station.vehicle, name="station_vehicle"),
    path("station/<int:pk>/passages/<int:passage_pk>/temperature/", station.temperature, name="station_temperature"),
    path("station/<int:pk>/passages/<int:passage_pk>/ack/", station.acknowledge, name="station_ack"),
    path("station/<int:pk>/confirm/", verify.station_confirm, name="station_confirm"),
    path("dev/sms/", verify.dev_sms, name="dev_sms"),
    path("passages/", backoffice.overview, name="passages"),
    path("passages/records/", backoffice.records, name="records"),
    path("passages/export/", backoffice.export_create, name="export_create"),
]
