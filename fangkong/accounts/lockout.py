"""The login lockout (django-axes) with a second count: failures from one address across every username.

AXES_LOCKOUT_PARAMETERS locks a username at an address after AXES_FAILURE_LIMIT failures. That alone never stops
one password tried against many usernames, so an address with FANGKONG_LOGIN_ADDRESS_FAILURE_LIMIT failures in
the cool-off, whatever the usernames, is locked out too (higher: a whole office may sit behind one address).
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def failures_from_address(request, ip_address) -> int:
    attempts = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        ip_address = getattr(request, "axes_ip_address", None)
        if ip_address and failures_from_address(request, ip_address) >= settings.FANGKONG_LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures
