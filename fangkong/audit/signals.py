"""Logins and logouts are written by Django's auth signals; every other row by the service that acts."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import services
from .models import AuditAction


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    services.record(AuditAction.LOGIN, user, actor=user, request=request)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        services.record(AuditAction.LOGOUT, user, actor=user, request=request)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    services.record(AuditAction.LOGIN_FAILED, object_type="accounts.User", object_repr=username,
                    actor=None, request=request)
