"""Searches for a person travel in a POST, never in an address.

A full identity number or phone typed into a search box would otherwise sit in the address bar, the browser's
history, every link of the result page and the web server's access log. Search forms post (`data-private`
forms: method="post" with the hidden field `_search`); `PrivateSearchMiddleware` keeps the text in the user's
session under a short random key and answers with a redirect to the same page with `?qk=<key>` and the other
filters, so the result page is an ordinary GET that can be reloaded, paged and linked to within the session.
Views read `request.GET["q"]` as before: the middleware puts the kept text back for them. Links that a page
builds from its query string use `private_query()`, which leaves the text out and keeps the key.
"""

import secrets

from django.http import HttpResponseRedirect

FIELD = "q"
KEY = "qk"
MARKER = "_search"
SESSION_KEY = "fangkong:searches"
KEPT = 20  # the user's last searches; an older key finds nothing and the page shows no search


class PrivateSearchMiddleware:
    """After CsrfViewMiddleware (its process_view runs first), so a search's POST is checked like any other."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        if request.method == "POST" and request.POST.get(MARKER):
            return _redirect_to_kept(request)
        key = request.GET.get(KEY)
        if key and request.method in ("GET", "HEAD"):
            params = request.GET.copy()
            params[FIELD] = request.session.get(SESSION_KEY, {}).get(key, "")
            request.GET = params
        return None


def _redirect_to_kept(request):
    params = request.POST.copy()
    for name in ("csrfmiddlewaretoken", MARKER, FIELD, KEY, "page", "before"):
        params.pop(name, None)
    for name in [name for name in params if not any(params.getlist(name))]:
        del params[name]
    text = request.POST.get(FIELD, "").strip()
    if text:
        searches = request.session.get(SESSION_KEY, {})
        key = secrets.token_urlsafe(6)
        searches[key] = text
        request.session[SESSION_KEY] = dict(list(searches.items())[-KEPT:])
        params[KEY] = key
    # 303: the browser follows with a GET, and reloading the result page does not post again.
    return HttpResponseRedirect(f"{request.path}?{params.urlencode()}" if params else request.path, status=303)


def private_query(query):
    """A copy of a query string (QueryDict) for the page's own links: a kept search by its key, never its text."""
    query = query.copy()
    if KEY in query:
        query.pop(FIELD, None)
    return query
