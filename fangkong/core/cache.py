"""Versioned cache keys: a change bumps a version, and every cached value keyed on the old one is stale at once.

A reader builds its key with `version(name)`; a writer (usually a signal) calls `changed(name)`.
"""

from django.core.cache import cache
from django.db import transaction


def version(name: str) -> int:
    return cache.get_or_set(name, 1, None)


def bump(name: str) -> None:
    try:
        cache.incr(name)
    except ValueError:  # never read, or evicted: any value but the readers' 1 will do
        cache.set(name, 2, None)


def changed(name: str) -> None:
    """Now, for reads later in this transaction, and again at commit, so that a value computed by another
    request from the old rows before the commit is not kept."""
    bump(name)
    transaction.on_commit(lambda: bump(name))


def stamp(*names: str) -> str:
    """The versions of several names read in one round trip, joined for a cache key: a value cached under a
    stamp is stale once any of the names is bumped (a user's, a place's and everyone's, say)."""
    found = cache.get_many(names)
    return ".".join(str(found[name] if name in found else version(name)) for name in names)
