"""Database helpers for bulk work over many ids."""

from django.db import connection
from django.db.models.expressions import RawSQL


def id_array(ids):
    """`ids` for a `field__in=` filter: one array parameter on PostgreSQL (an IN list of thousands of parameters
    costs more to build than to run), the plain list elsewhere (the SQLite demo)."""
    ids = list(ids)
    if connection.vendor != "postgresql":
        return ids
    return RawSQL("SELECT unnest(%s::bigint[])", [ids])
