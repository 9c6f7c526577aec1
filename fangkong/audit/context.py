"""Who is acting right now: set per request by the middleware, read by audit rows."""

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass


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


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")
