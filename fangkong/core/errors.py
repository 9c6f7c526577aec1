"""How fangkong fails: the API answers JSON, pages answer Chinese pages, and a database outage is a 503.

When PostgreSQL restarts or a pooled connection has died, a request cannot be served, but it is not the
program's fault either: the API answers `503` with `Retry-After` (a gate's scanner retries with the same
Idempotency-Key, so nothing is written twice), and pages answer "系统繁忙，请稍后重试" with a script that keeps
what was typed in the form (static fangkong/forms.js), so a resident sends it again with one tap. Nothing has been
written in such a request: the service's transaction rolled back with the connection.

Two entries lead here: `DatabaseUnavailableMiddleware` for a failure in a view (the common case), and the
URLconf's `handler500` for one in a middleware (the session, the user) or anywhere else.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

# Seconds a client should wait before trying again: a PostgreSQL restart or a failover takes a few.
RETRY_AFTER_SECONDS = 5
DATABASE_ERRORS = (OperationalError, InterfaceError)


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def database_unavailable(request, exc):
    logger.warning("database unavailable for %s %s: %s", request.method, request.path, exc)
    if is_api(request):
        response = JsonResponse({"detail": _("系统繁忙，请稍后重试。"), "code": "unavailable"}, status=503)
    else:
        # A template without the user or the menu: both would ask the database.
        response = render(request, "busy.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """A database error in a view answers 503 (see the module's docstring), not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None


def not_found(request, exception=None):
    if is_api(request):
        return JsonResponse({"detail": _("未找到。"), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_ERRORS):
        return database_unavailable(request, exception)
    if is_api(request):
        return JsonResponse({"detail": _("系统出错，请稍后再试。"), "code": "error"}, status=500)
    return defaults.server_error(request)
