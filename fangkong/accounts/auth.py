"""API token authentication (accounts.ApiToken), cached for the gates' hot path."""

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from fangkong.audit.context import client_ip

from . import user_cache
from .models import ApiToken, token_digest
from .tokens import unusable_reason

TOKEN_CACHE_SECONDS = 60


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, the key looked up by its digest. Each token (with its user) is kept a minute:
    a gate's scanner calls the API for every person passing, and this lookup was a quarter of a pass-code verify
    (bench/passcode.py). The token is kept with its user's cache version (user_cache), which saving or deleting
    the user or one of their tokens bumps, so a revoked token or a deactivated account stops at once while
    everyone else's stay cached; expiry is checked on every request, cached or not."""

    def authenticate(self, request):
        self.loaded = None
        found = super().authenticate(request)
        if self.loaded is not None:  # read from the database: note when and where (at most once a cache period)
            ApiToken.objects.filter(pk=self.loaded.pk).update(last_used=timezone.now(), last_ip=client_ip(request))
        return found

    def authenticate_credentials(self, key):
        digest = token_digest(key)
        cache_key = f"accounts:token:{digest}"
        cached = cache.get(cache_key)
        # A token never changes hands, so its user is known before its row is read again: the stamp is read
        # first, and a change committed while the row is read leaves a stale stamp, not a stale token.
        user_id = cached[1].user_id if cached else (
            ApiToken.objects.filter(digest=digest).values_list("user_id", flat=True).first())
        stamp = user_cache.stamp(user_id) if user_id else None
        if cached and cached[0] == stamp:
            token = cached[1]
        else:
            token = ApiToken.objects.select_related("user").filter(digest=digest).first() if user_id else None
            if token is None:
                raise AuthenticationFailed(_("令牌无效"))
            cache.set(cache_key, (stamp, token), TOKEN_CACHE_SECONDS)
            self.loaded = token
        reason = unusable_reason(token)
        if reason:
            raise AuthenticationFailed(reason)
        return token.user, token
