"""Pages that poll in the background must not keep an unattended session alive.

Sessions end after FANGKONG_SESSION_MINUTES without a request, but a station page asks for its live list every
few seconds, and each of those requests would extend the session for ever. So every request a person makes
notes the time in the session (ActivityMiddleware), background polls (`background_poll`) do not, and a poll that
finds no real use for FANGKONG_STATION_IDLE_MINUTES logs the user out and tells htmx to stop.
"""

import time
from functools import wraps

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils.translation import gettext as _

ACTIVE_AT = "fangkong_active_at"
# htmx stops polling on this status instead of swapping the answer in.
STOP_POLLING = 286


def _touch(session):
    session[ACTIVE_AT] = int(time.time())


@receiver(user_logged_in, dispatch_uid="fangkong_active_at_login")
def _logged_in(sender, request, user, **kwargs):
    if hasattr(request, "session"):
        _touch(request.session)


class ActivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in = request.user.is_authenticated  # by the session; an API token's user is set later, in the view
        response = self.get_response(request)
        if signed_in and request.user.is_authenticated and not getattr(request, "background_poll", False):
            _touch(request.session)
        return response


def idle_seconds(request) -> float:
    """Seconds since the user last did something; a session that never noted it counts as idle for ever."""
    active_at = request.session.get(ACTIVE_AT)
    return float("inf") if active_at is None else time.time() - active_at


def background_poll(view):
    """For a view that a page calls on a timer: it neither counts as use nor keeps an idle session alive."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        request.background_poll = True
        if request.user.is_authenticated and idle_seconds(request) > settings.FANGKONG_STATION_IDLE_MINUTES * 60:
            logout(request)
        if not request.user.is_authenticated:
            return HttpResponse(_("登录已过期，请刷新页面重新登录"), status=STOP_POLLING)
        return view(request, *args, **kwargs)

    return wrapped
