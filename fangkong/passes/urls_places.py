from django.urls import path

from . import places

app_name = "places"
urlpatterns = [
    path("places/", places.place_list, name="list"),
    path("places/new/", places.place_edit, name="new"),
    path("places/import/", places.place_import, name="import"),
    path("places/import/template.xlsx", places.place_import_template, name="import_template"),
    path("places/posters.pdf", places.area_posters, name="posters"),
    path("places/<int:pk>/", places.place_detail, name="detail"),
    path("places/<int:pk>/edit/", places.place_edit, name="edit"),
    path("places/<int:pk>/decide/", places.place_decide, name="decide"),
    path("places/<int:pk>/suspend/", places.place_suspend, name="suspend"),
    path("places/<int:pk>/resume/", places.place_resume, name="resume"),
    path("places/<int:pk>/rotate/", places.place_rotate, name="rotate"),
    path("places/<int:pk>/staff/", places.place_staff, name="staff"),
    path("places/<int:pk>/managers/", places.place_manager, name="managers"),
    path("places/<int:pk>/shifts/", places.shift_add, name="shift_add"),
    path("places/<int:pk>/shifts/<int:shift_pk>/delete/", places.shift_delete, name="shift_delete"),
    path("places/<int:pk>/poster.pdf", places.place_poster, name="poster"),
    # Public: a unit applies for its place code and follows the review with a private link.
    path("register/", places.register, name="register"),
    path("register/<str:token>/", places.registered, name="registered"),
    path("register/<str:token>/poster.pdf", places.registered_poster, name="registered_poster"),
]
