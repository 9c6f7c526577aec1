"""DRF throttles that know the client by `client_ip`, never by what the client says it is.

DRF's own `get_ident` takes X-Forwarded-For as the identity when NUM_PROXIES is unset, so a client that sends a
new header each time is a new client each time. Every throttle in fangkong uses these classes instead; the
limits of requests without an account (FANGKONG_LIMITS) go through SharedLimitThrottle, counted with the pages'.
"""

from rest_framework import throttling
from rest_framework.exceptions import Throttled

from fangkong.audit.context import client_ip

from . import limits


class ClientAddressMixin:
    def get_ident(self, request):
        return client_ip(request)


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle):
    pass


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    pass


class SharedLimitThrottle(throttling.BaseThrottle):
    """A DRF throttle on limit `limit_name` (by client address, and by `target(request, view)`), counted in the
    shared cache like every other limit; its 429 says when to come back, in Chinese, with Retry-After."""

    limit_name = ""

    def target(self, request, view):
        return None

    def allow_request(self, request, view):
        try:
            limits.hit(self.limit_name, request, target=self.target(request, view))
        except limits.Limited as exc:
            raise Throttled(wait=exc.retry_after, detail=limits.message(exc.retry_after)) from None
        return True
