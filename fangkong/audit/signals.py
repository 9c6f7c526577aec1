from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import services
from .models import AuditAction, Audited


@receiver(post_save)
def audit_save(sender, instance, created, raw=False, **kwargs):
    if raw or not isinstance(instance, Audited):
        return
    changes = services.field_changes(instance, created)
    if created or changes:
        services.record(AuditAction.CREATE if created else AuditAction.UPDATE, instance, changes=changes)
    # The next save of the same instance compares against what is stored now.
    instance._loaded_values = {f.attname: f.value_from_object(instance) for f in instance._meta.concrete_fields}


@receiver(post_delete)
def audit_delete(sender, instance, **kwargs):
    if isinstance(instance, Audited):
        services.record(AuditAction.DELETE, instance)


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
