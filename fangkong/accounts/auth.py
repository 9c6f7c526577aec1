"""API token authentication (accounts.ApiToken), cached for the gates' hot path."""

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from fangkong.audit.context import client_ip
from fangkong.core import cache as versions

from .models import ApiToken, token_digest
from .tokens import unusable_reason

TOKENS_VERSION_KEY = "accounts:tokens-version"
TOKEN_CACHE_SECONDS = 60


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, the key looked up by its digest. Each token (with its user) is kept a minute:
    a gate's scanner calls the API for every person passing, and this lookup was a quarter of a pass-code verify
    (bench/passcode.py). Saving or deleting any token or user bumps the version (apps.py), so a revoked token or
    a deactivated account stops at once; expiry is checked on every request, cached or not."""

    def authenticate(self, request):
        self.loaded = None
        found = super().authenticate(request)
        if self.loaded is not None:  # read from the database: note when and where (at most once a cache period)
            ApiToken.objects.filter(pk=self.loaded.pk).update(last_used=timezone.now(), last_ip=client_ip(request))
        return found

    def authenticate_credentials(self, key):
        digest = token_digest(key)
        cache_key = f"accounts:token:{versions.version(TOKENS_VERSION_KEY)}:{digest}"
        token = cache.get(cache_key)
        if token is None:
            token = ApiToken.objects.select_related("user").filter(digest=digest).first()
            if token is None:
                raise AuthenticationFailed(_("令牌无效"))
            cache.set(cache_key, token, TOKEN_CACHE_SECONDS)
            self.loaded = token
        reason = unusable_reason(token)
        if reason:
            raise AuthenticationFailed(reason)
        return token.user, token


def tokens_changed(**kwargs):
    versions.changed(TOKENS_VERSION_KEY)
