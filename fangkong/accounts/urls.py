from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.user_list, name="users"),
    path("locked/", views.user_list, {"state": "locked"}, name="locked"),
    path("new/", views.user_new, name="new"),
    path("<int:pk>/", views.user_edit, name="edit"),
    path("<int:pk>/active/", views.user_active, name="active"),
    path("<int:pk>/unlock/", views.user_unlock, name="unlock"),
    path("<int:pk>/password/", views.user_password, name="password"),
    path("<int:pk>/tokens/revoke/", views.user_tokens_revoke, name="revoke_tokens"),
]
