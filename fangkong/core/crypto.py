"""Encryption at rest and blind indexes for personal numbers (identity, phone).

Values are encrypted with Fernet (AES-128-CBC + HMAC) under FANGKONG_FIELD_KEYS, newest key first;
MultiFernet decrypts with any listed key, so keys rotate without downtime. Equality lookups use a
keyed HMAC-SHA256 ("blind index") so that the database never holds a plaintext number or an
unkeyed hash that could be brute-forced from the small space of identity numbers.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@lru_cache(maxsize=4)
def _keys(keys: tuple[str, ...]):
    fernets = [Fernet(key) for key in keys]
    index_keys = [
        HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"fangkong blind index").derive(
            base64.urlsafe_b64decode(key)
        )
        for key in keys
    ]
    return MultiFernet(fernets), index_keys


def _current():
    return _keys(tuple(settings.FANGKONG_FIELD_KEYS))


def encrypt(value: str) -> str:
    return _current()[0].encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current()[0].decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a key was dropped before rotate_field_keys ran
        raise ValueError("field cannot be decrypted with the configured FANGKONG_FIELD_KEYS") from exc


def reencrypt(token: str) -> str:
    """The same value encrypted under the newest key (key rotation)."""
    return _current()[0].rotate(token.encode()).decode()


def _digest(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def blind_index(purpose: str, value: str) -> str:
    """The index of `value` under the newest key; `purpose` keeps indexes of different fields apart."""
    return _digest(_current()[1][0], purpose, value)


def blind_indexes(purpose: str, value: str) -> list[str]:
    """Indexes under every configured key, for lookups that must also match rows not yet rotated."""
    return [_digest(key, purpose, value) for key in _current()[1]]


def generate_key() -> str:
    return Fernet.generate_key().decode()
