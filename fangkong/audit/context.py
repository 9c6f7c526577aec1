"""Where the current request comes from (address, browser), set by the middleware for the audit rows written
in it. Who acted is never read from here: each service is given the acting user and passes it on."""

import contextvars
import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings


@dataclass(frozen=True)
class RequestSource:
    ip: str = ""
    user_agent: str = ""


_NOWHERE = RequestSource()
_current = contextvars.ContextVar("fangkong_request_source", default=_NOWHERE)  # noqa: B039 (frozen dataclass)


def current_request() -> RequestSource:
    return _current.get()


def set_request(source: RequestSource):
    return _current.set(source)


def reset_request(token):
    _current.reset(token)


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(address: str) -> bool:
    networks = _networks(tuple(settings.FANGKONG_TRUSTED_PROXIES))
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request) -> str:
    """The client's address: the peer's, unless the peer is one of FANGKONG_TRUSTED_PROXIES; then the right-most
    address in X-Forwarded-For that no trusted proxy added. Anything left of it is what the client claims and
    is never believed. The one answer for audit rows, throttles, the login lockout and rate limits."""
    address = request.META.get("REMOTE_ADDR", "")
    if not _trusted(address):
        return address
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        try:
            address = str(ipaddress.ip_address(hop.strip()))
        except ValueError:
            break  # garbage: the last trusted hop is the best we know
        if not _trusted(address):
            break
    return address
