"""DRF throttles that know the client by `client_ip`, never by what the client says it is.

DRF's own `get_ident` takes X-Forwarded-For as the identity when NUM_PROXIES is unset, so a client that sends a
new header each time is a new client each time. Every throttle in fangkong uses these classes instead.
"""

from rest_framework import throttling

from fangkong.audit.context import client_ip


class ClientAddressMixin:
    def get_ident(self, request):
        return client_ip(request)


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle):
    pass


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    pass
