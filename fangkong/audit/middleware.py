from .context import RequestSource, client_ip, reset_request, set_request


class AuditContextMiddleware:
    """Makes the client's address and browser available to every audit row written in the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_request(RequestSource(client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:255]))
        try:
            return self.get_response(request)
        finally:
            reset_request(token)
