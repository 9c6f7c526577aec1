from .context import Actor, client_ip, reset_actor, set_actor


class AuditContextMiddleware:
    """Makes the requesting user and address available to every audit row written in the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
        token = set_actor(Actor(user, client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:255]))
        try:
            return self.get_response(request)
        finally:
            reset_actor(token)
