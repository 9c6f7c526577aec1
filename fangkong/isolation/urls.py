from django.urls import path

from . import views

app_name = "isolation"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_new, name="new"),
    path("bulk/", views.order_bulk, name="bulk"),
    path("export/", views.order_export, name="export"),
    path("import/", views.order_import, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("board/", views.board, name="board"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("verify/", views.verify, name="verify"),
    path("settings/", views.kind_days, name="kind_days"),
    path("sites/", views.site_list, name="sites"),
    path("sites/<int:pk>/", views.site_detail, name="site"),
    path("rooms/<int:pk>/state/", views.room_state, name="room_state"),
    path("transfers/new/", views.transfer_new, name="transfer_new"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/release/", views.order_release, name="release"),
    path("<int:pk>/approve-release/", views.order_approve_release, name="approve_release"),
    path("<int:pk>/state/", views.order_state, name="state"),
    path("<int:pk>/room/", views.order_room, name="room"),
    path("<int:pk>/worker/", views.order_worker, name="worker"),
    path("<int:pk>/check-in/", views.order_check_in, name="check_in"),
    path("<int:pk>/check/", views.order_check, name="check"),
    path("<int:pk>/<str:kind>.pdf", views.order_document, name="document"),
]
