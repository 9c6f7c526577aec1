"""Database helpers for bulk work over many ids."""

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.expressions import RawSQL


def id_array(ids):
    """`ids` for a `field__in=` filter as one array parameter (an IN list of thousands of parameters costs more to
    build than to run)."""
    return _array(ids, "bigint", lambda pk: str(int(pk)))


def text_array(texts):
    """As id_array, for text values (a lab file's 100,000 tube barcodes)."""
    return _array(texts, "text", _quoted)


def _array(values, sql_type, literal):
    # As one array literal: Django's client-side binding quotes a list element by element in Python (1 µs each).
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", ["{" + ",".join(map(literal, values)) + "}"])


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_prepared(sql, params):
    """All rows of a hot-path query, run as a server-side prepared statement, planned once per connection
    (settings.py lets psycopg prepare what asks): a check-in's join plans in 0.4 ms and runs in 0.1 ms
    (bench/checkin.py). Django's query log (DEBUG, tests counting queries) lists them like any other; keep them few."""
    db = connections[DEFAULT_DB_ALIAS]  # once: every attribute of the `connection` proxy looks it up again
    db.ensure_connection()
    with db.wrap_database_errors, psycopg.Cursor(db.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        rows = cursor.fetchall()
    if db.queries_logged:  # DEBUG or a test counting queries: this one counts like any other
        db.queries_log.append({"sql": sql, "time": "0.000"})
    return rows
