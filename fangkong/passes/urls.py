from django.urls import path

from . import resident, verify

app_name = "passes"
urlpatterns = [
    path("c/<str:code>", resident.scan, name="scan"),
    path("c/<str:code>/declare", resident.declare, name="declare"),
    path("c/<str:code>/pass", resident.tap, name="tap"),
    path("c/<str:code>/mine", resident.mine, name="mine"),
    path("c/<str:code>/forget", resident.forget, name="forget"),
    path("my/verify/<int:person_id>/", verify.resident_verify, name="verify"),
]
