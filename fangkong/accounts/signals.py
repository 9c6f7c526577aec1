from axes.signals import user_locked_out
from django.dispatch import receiver

from fangkong.audit import services
from fangkong.audit.models import AuditAction


@receiver(user_locked_out)
def audit_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    services.record(AuditAction.LOCKED_OUT, object_type="accounts.User", object_repr=str(username or "")[:150],
                    request=request)
