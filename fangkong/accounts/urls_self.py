"""One's own account: /accounts/me/ (API tokens), /accounts/password/."""

from django.urls import path

from . import views

app_name = "account"
urlpatterns = [
    path("me/", views.me, name="me"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
