"""The SMS gateway: one function, send(phone, text), behind a backend named by FANGKONG_SMS_BACKEND.

Backends are small classes with `send(phone, text)` and `available` (whether a code can be delivered at all):
- OutboxBackend (the default outside production): keeps each message in the database (core.SmsMessage); tests
  read it, and in the demo a district admin reads it at /dev/sms/.
- DisabledBackend: sends nothing; residents then prove their phone at a station instead.
A district's real gateway (a carrier's or a cloud SMS service on the intranet) is one more class with the same two
members, named in the setting. Production refuses the outbox (system check fangkong.E101).
"""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

OUTBOX = "fangkong.core.sms.OutboxBackend"


class OutboxBackend:
    available = True

    def send(self, phone: str, text: str):
        from fangkong.core import crypto
        from fangkong.core.models import SmsMessage

        SmsMessage.objects.create(phone_encrypted=crypto.encrypt(phone), text=text[:300])


class DisabledBackend:
    available = False

    def send(self, phone: str, text: str):
        pass


def backend():
    return import_string(settings.FANGKONG_SMS_BACKEND)()


def available() -> bool:
    return backend().available


def send(phone: str, text: str):
    """Send `text` to `phone` through the configured gateway. Callers never show the number in full."""
    backend().send(phone, text)


def outbox_visible() -> bool:
    """The outbox page exists only where nothing real is sent: the local backend outside production, or DEBUG."""
    return settings.FANGKONG_SMS_BACKEND == OUTBOX and (settings.DEBUG or not settings.PRODUCTION)


@checks.register(checks.Tags.security)
def check_sms_backend(app_configs=None, **kwargs):
    if settings.PRODUCTION and settings.FANGKONG_SMS_BACKEND == OUTBOX:
        return [checks.Error(
            "FANGKONG_SMS_BACKEND is the local outbox: one-time codes would never reach residents.",
            hint="Name the district's SMS gateway class, or fangkong.core.sms.DisabledBackend (station checks only).",
            id="fangkong.E101")]
    return []
