"""API token authentication, cached for the gates' hot path."""

import hashlib

from django.core.cache import cache
from rest_framework.authentication import TokenAuthentication

from fangkong.core import cache as versions

TOKENS_VERSION_KEY = "accounts:tokens-version"
TOKEN_CACHE_SECONDS = 60


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication with each token's user kept a minute: a gate's scanner calls the API for
    every person passing, and this lookup was a quarter of a pass-code verify (bench/passcode.py). Saving or
    deleting any token or user bumps the version (apps.py), so a revoked token or a deactivated account
    stops at once."""

    def authenticate_credentials(self, key):
        digest = hashlib.sha256(key.encode()).hexdigest()
        cache_key = f"accounts:token:{versions.version(TOKENS_VERSION_KEY)}:{digest}"
        found = cache.get(cache_key)
        if found is None:
            found = super().authenticate_credentials(key)  # AuthenticationFailed for unknown or inactive
            cache.set(cache_key, found, TOKEN_CACHE_SECONDS)
        return found


def tokens_changed(**kwargs):
    versions.changed(TOKENS_VERSION_KEY)
