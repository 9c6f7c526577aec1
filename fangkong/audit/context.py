"""Who is acting right now: set per request by the middleware, read by audit rows."""

import contextvars
import ipaddress
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings


@dataclass(frozen=True)
class Actor:
    user: object = None
    ip: str = ""
    user_agent: str = ""


_NOBODY = Actor()
_current = contextvars.ContextVar("fangkong_actor", default=_NOBODY)  # noqa: B039 (frozen dataclass)


def current_actor() -> Actor:
    return _current.get()


def set_actor(actor: Actor):
    return _current.set(actor)


def reset_actor(token):
    _current.reset(token)


@contextmanager
def acting_as(user):
    """Audit rows written inside are by `user` when no request says who is acting (tasks, commands)."""
    actor = current_actor()
    if user is None or actor.user is not None:
        yield
        return
    token = set_actor(Actor(user, actor.ip, actor.user_agent))
    try:
        yield
    finally:
        reset_actor(token)


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
