"""Rate limits of what anyone may ask without an account, counted in the shared cache.

Every limit is named in settings.FANGKONG_LIMITS with a rate per client address (`client_ip`, the one answer
behind trusted proxies) and, where it has one, per target: the place code's failures, the identity number
declared, the community applied to, the account asked for. Counters live in the cache that every process
shares (Redis in production, core/checks.py), so a limit is the deployment's, not one worker's. A request
over a limit gets 429 with Retry-After: a Chinese page, or JSON under /api/ (LimitedMiddleware), or DRF's
answer through core.throttling.SharedLimitThrottle.

    limits.hit("declare", request, target=id_number)   # count this request, Limited if over
    limits.check("unknown_code", request)               # Limited if already over, without counting
    limits.count("unknown_code", request)               # count it, without refusing
"""

import hashlib
import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from fangkong.audit.context import client_ip

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse(text: str) -> Rate:
    """"30/10m" → 30 per 600 seconds ("20/h" is 20 an hour)."""
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"a rate is N/period such as 30/10m or 20/h, not {text!r}")
    return Rate(int(match[1]), int(match[2] or 1) * _UNITS[match[3]])


def rate(name: str, kind: str) -> Rate | None:
    text = settings.FANGKONG_LIMITS.get(name, {}).get(kind)
    return parse(text) if text else None


class Limited(Exception):
    def __init__(self, name: str, retry_after: int):
        super().__init__(name)
        self.name, self.retry_after = name, max(1, retry_after)


def _counters(name: str, request=None, address=None, target=None):
    """(key, rate) of each of the limit's counters that applies."""
    if address is None and request is not None:
        address = client_ip(request)
    for kind, ident in (("address", address), ("target", target)):
        limit = rate(name, kind)
        if limit is None or ident in (None, ""):
            continue
        # Hashed: identity numbers and usernames are never cache keys in clear.
        digest = hashlib.sha256(f"{name}:{kind}:{ident}".encode()).hexdigest()[:32]
        yield f"limit:{name}:{kind}:{digest}", limit


def _retry_after(key: str, limit: Rate) -> int:
    """Seconds until the counter's window ends: a window starts at its first request and lasts the period."""
    started = cache.get(f"{key}:start")
    return math.ceil(limit.seconds - (time.time() - started)) if started else limit.seconds


def count(name: str, request=None, *, address=None, target=None) -> None:
    """Count one request against limit `name` (by the request's client address, or `address`, and by
    `target`) without refusing it: for limits that count only what succeeded or only what failed, with
    `check` before the work."""
    _count(name, request, address, target)


def hit(name: str, request=None, *, address=None, target=None) -> None:
    """Count one request against limit `name`, by the request's client address (or `address`) and by `target`;
    Limited once either count passes its rate (the request that passes it is refused too)."""
    for key, limit, number in _count(name, request, address, target):
        if number > limit.count:
            raise Limited(name, _retry_after(key, limit))


def _count(name, request, address, target) -> list:
    counted = []
    for key, limit in _counters(name, request, address, target):
        if cache.add(key, 0, limit.seconds):  # a new window
            cache.set(f"{key}:start", time.time(), limit.seconds)
        try:
            number = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, limit.seconds)
            number = 1
        counted.append((key, limit, number))
    return counted


def check(name: str, request=None, *, address=None, target=None) -> None:
    """Limited if limit `name` is used up already, without counting this request (for limits that count only
    failures, such as unknown codes)."""
    for key, limit in _counters(name, request, address, target):
        if (cache.get(key) or 0) >= limit.count:
            raise Limited(name, _retry_after(key, limit))


def limited(name: str, target=None):
    """View decorator: `hit(name)` by address, and by `target(request, *args, **kwargs)` when given."""

    def decorate(view):
        from functools import wraps

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            hit(name, request, target=target(request, *args, **kwargs) if target else None)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def message(retry_after: int) -> str:
    if retry_after >= 120:
        return _("请求太频繁，请 %(n)d 分钟后再试") % {"n": math.ceil(retry_after / 60)}
    return _("请求太频繁，请 %(n)d 秒后再试") % {"n": retry_after}


def too_many(request, exc: Limited, template="429.html", context=None):
    """The 429 answer: JSON under /api/, else the page; Retry-After either way."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message(exc.retry_after)}, status=429)
    else:
        response = render(request, template, {"message": message(exc.retry_after), **(context or {})}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


class LimitedMiddleware:
    """Turns Limited raised anywhere in a view into the 429 answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Limited):
            return too_many(request, exception)
        return None
