"""The personal pass code (通行码) and the printed pass card (通行卡): issue, verify, revoke.

A pass code is what the resident's phone shows and checkpoint staff scan: a token bound to one
person, signed with a key derived from SECRET_KEY, valid for TOKEN_SECONDS after it was issued.
The phone asks for a fresh one every REFRESH_SECONDS, so a screenshot or a photo of someone else's
phone stops working within a minute. The token is small on purpose, 25 bytes in base32 (40
characters of the QR alphanumeric set): a version 2 QR code (25 x 25 modules) that a cheap camera
reads at arm's length.

    token = "FK1" + base32(person id: 5 bytes | issued at: 4 bytes (unix s) | nonce: 6 bytes | mac: 10 bytes)

Each token also gets a short number (8 digits) that a guard can type when the camera fails; the
cache maps it to the token for the token's lifetime (Redis in production, so every app node sees it).

A token is accepted once. The passage written for it carries an idempotency key made from the
token, unique in the database, so a second use finds the first passage and is refused, on every
app node, atomically, at no extra cost (the INSERT is made anyway). Forged, expired, replayed,
unknown and revoked codes are refused and counted in passes.RejectedScan, like bad place codes.

A pass card is for a resident without a phone (the elderly): a random 128-bit card id stored in
PassCard.code, printed in the QR code with a MAC of it, so neither the database nor the audit log
holds a code that opens a gate. For typing when the camera fails, the card also carries a 12-digit
number derived from the card id with a key (card_number); the database keeps only a keyed digest of
it for the lookup. 10^12 numbers against the district's few thousand cards, typed only by logged-in
staff of a place, with a limit on wrong numbers per user (TYPED_FAILURES_PER_WINDOW), leave guessing
hopeless. Cards have no replay rule (the same card is shown every day) but a revoked card is refused
at once.
"""

import base64
import functools
import hmac
import secrets
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.core import status as marks
from fangkong.core.db import fetch_prepared
from fangkong.passes import services as passes
from fangkong.passes.models import Channel, Direction, RejectedScan
from fangkong.passes.verdict import GateDecision

from .models import HealthStatus, PassCard

TOKEN_SECONDS = 60  # a token is accepted this long after it was issued
REFRESH_SECONDS = 30  # the phone fetches a fresh token this often, well before the old one expires
CLOCK_SKEW_SECONDS = 5  # app nodes' clocks may differ this much
SHORT_DIGITS = 8
TOKEN_PREFIX = "FK1"
CARD_PREFIX = "FKC"
TOKEN_SALT = "fangkong.healthcode.passcode"
CARD_SALT = "fangkong.healthcode.passcard"
MAC_BYTES = 10
CARD_ID_BYTES = 16  # 128 random bits
CARD_MAC_BYTES = 9
CARD_NUMBER_DIGITS = 12
CARD_NUMBER_SALT = "fangkong.healthcode.passcard.number"
CARD_DIGEST_SALT = "fangkong.healthcode.passcard.digest"
# Wrong typed numbers (short numbers and card numbers) one user may enter in a window before typing is
# refused for the rest of it: far above a guard's typos, far below what guessing needs.
TYPED_FAILURES_PER_WINDOW = 30
TYPED_FAILURES_WINDOW_SECONDS = 600
_TOKEN = struct.Struct(">5sI6s")  # person id (40 bits), issued at, nonce

# Reasons counted in RejectedScan (max 20 characters).
EXPIRED, FORGED, REPLAYED, UNKNOWN = "pass_expired", "pass_forged", "pass_replayed", "pass_unknown"
CARD_REVOKED, CARD_UNKNOWN = "card_revoked", "card_unknown"
TOO_MANY = "typed_too_many"


class PassCodeRefused(ValidationError):
    """A code that opens nothing; `reason` is the RejectedScan reason, the message is for the guard."""

    def __init__(self, message, reason):
        super().__init__(message, code=reason)
        self.reason = reason


@dataclass
class IssuedCode:
    token: str
    short: str
    issued_at: datetime
    expires_at: datetime


@dataclass
class Verified:
    """What the guard sees: whose code it was, the gate verdict with its reasons, and the passage written."""

    person: object
    decision: GateDecision
    passage: object
    channel: str

    def __iter__(self):  # person, decision = verify(...)
        return iter((self.person, self.decision))


# Encoding -----------------------------------------------------------------------------------------

def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def _unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def _mac(salt: str, body: bytes, size: int) -> bytes:
    return salted_hmac(salt, body, algorithm="sha256").digest()[:size]


def normalize(code: str) -> str:
    """What a scanner or a guard's typing gives, as issued: no spaces or dashes, upper case."""
    return "".join((code or "").split()).replace("-", "").upper()[:120]


# Pass codes ---------------------------------------------------------------------------------------

def issue(person, *, now: datetime | None = None) -> IssuedCode:
    """A fresh token and short number for `person`, valid TOKEN_SECONDS from `now`."""
    now = now or timezone.now()
    issued = int(now.timestamp())
    body = _TOKEN.pack(person.pk.to_bytes(5, "big"), issued, secrets.token_bytes(6))
    token = TOKEN_PREFIX + _b32(body + _mac(TOKEN_SALT, body, MAC_BYTES))
    issued_at = datetime.fromtimestamp(issued, tz=UTC)
    expires_at = issued_at + timedelta(seconds=TOKEN_SECONDS)
    remaining = max(1, int((expires_at - timezone.now()).total_seconds()) + CLOCK_SKEW_SECONDS)
    short = ""
    for _attempt in range(5):  # 10^8 numbers: a clash with a live one is rare, five in a row never
        candidate = f"{secrets.randbelow(10 ** SHORT_DIGITS):0{SHORT_DIGITS}d}"
        if cache.add(_short_key(candidate), token, remaining):
            short = candidate
            break
    return IssuedCode(token=token, short=short, issued_at=issued_at, expires_at=expires_at)


def _short_key(number: str) -> str:
    return f"passcode:short:{number}"


def is_short_number(code: str) -> bool:
    return len(code) == SHORT_DIGITS and code.isdigit()


def is_card_number(code: str) -> bool:
    return len(code) == CARD_NUMBER_DIGITS and code.isdigit()


def _failures_key(user) -> str:
    return f"passcode:typed-failures:{user.pk}"


def _check_typing_allowed(code, user, place, ip):
    """Refuse typed numbers from a user who has typed too many wrong ones lately (guessing, not typos)."""
    if user is not None and (cache.get(_failures_key(user)) or 0) >= TYPED_FAILURES_PER_WINDOW:
        _refuse(code, TOO_MANY, _("输错数字次数过多，请10分钟后再输入，或扫码核验"), place, ip)


def _count_typing_failure(user):
    if user is None:
        return
    key = _failures_key(user)
    if cache.add(key, 1, TYPED_FAILURES_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, TYPED_FAILURES_WINDOW_SECONDS)


@dataclass(frozen=True)
class _Token:
    person_id: int
    issued_at: datetime
    text: str


def _refuse(code, reason, message, place=None, ip=""):
    RejectedScan.objects.create(code=code[:64], reason=reason, place=place, ip=ip[:45])
    raise PassCodeRefused(message, reason)


def read_token(code: str, *, place=None, ip="", now=None, user=None) -> _Token:
    """The person and time inside a pass code or its short number; PassCodeRefused (counted) otherwise."""
    now = now or timezone.now()
    code = normalize(code)
    if is_short_number(code):
        _check_typing_allowed(code, user, place, ip)
        token = cache.get(_short_key(code))
        if token is None:
            _count_typing_failure(user)
            _refuse(code, UNKNOWN, _("数字码无效或已过期，请让对方刷新通行码后重试"), place, ip)
        code = token
    if not code.startswith(TOKEN_PREFIX):
        _refuse(code, UNKNOWN, _("不是通行码或通行卡号：请扫码，或输入手机上的8位数字码、通行卡上的12位卡号"),
                place, ip)
    try:
        raw = _unb32(code[len(TOKEN_PREFIX):])
    except ValueError:
        raw = b""
    if len(raw) != _TOKEN.size + MAC_BYTES:
        _refuse(code, FORGED, _("通行码无效（已被篡改或不完整）"), place, ip)
    body, mac = raw[:_TOKEN.size], raw[_TOKEN.size:]
    if not hmac.compare_digest(mac, _mac(TOKEN_SALT, body, MAC_BYTES)):
        _refuse(code, FORGED, _("通行码无效（已被篡改或不完整）"), place, ip)
    person_bytes, issued, _nonce = _TOKEN.unpack(body)
    age = now.timestamp() - issued
    if age > TOKEN_SECONDS + CLOCK_SKEW_SECONDS:
        _refuse(code, EXPIRED, _("通行码已过期，请让对方刷新页面后重新出示"), place, ip)
    if age < -CLOCK_SKEW_SECONDS:  # signed, but from the future: a node's clock is off, or a key leaked
        _refuse(code, FORGED, _("通行码时间异常，请让对方刷新后重试"), place, ip)
    return _Token(int.from_bytes(person_bytes, "big"), datetime.fromtimestamp(issued, tz=UTC), code)


# The person behind a code, read as the gate needs them in one query: the verify endpoint is a hot path
# (a gate at 8:00), like the resident's one-tap check-in.
PERSON_SQL = "SELECT {columns} FROM people_person p {joins} WHERE p.id = %s"


@functools.cache
def _person_sql() -> str:
    columns, joins = passes.gate_person_sql()
    return PERSON_SQL.format(columns=columns, joins=joins)


def _person_for_gate(person_id: int):
    """The person as passes.services.gate_person() builds them, or None."""
    rows = fetch_prepared(_person_sql(), [person_id])
    return passes.gate_person(rows[0]) if rows else None


def verify(code: str, place, user, *, ip="", direction=Direction.IN, temperature=None, idempotency_key="",
           now=None) -> Verified:
    """A scanned or typed pass code (or card code) at `place`, by checkpoint staff `user`.

    Runs the one gate verdict through passes.services.record_passage (channel PASS_CODE or CARD), so
    the passage is written once, and returns the person with the decision. Raises PassCodeRefused
    (a ValidationError with the guard's message; the attempt is counted) for a bad code, and
    PermissionDenied when `user` does not staff `place`.
    """
    if not passes.may_run_station(user, place):
        raise PermissionDenied(_("您不能在该场所核验通行码"))
    code = normalize(code)
    if code.startswith(CARD_PREFIX) or is_card_number(code):
        return _verify_card(code, place, user, ip=ip, direction=direction, temperature=temperature,
                            idempotency_key=idempotency_key or uuid.uuid4().hex)
    token = read_token(code, place=place, ip=ip, now=now, user=user)
    person = _person_for_gate(token.person_id)
    if person is None:  # a signed token of a person deleted since
        _refuse(token.text, UNKNOWN, _("通行码对应的人员不存在"), place, ip)
    passage = passes.record_passage(
        person, place, channel=Channel.PASS_CODE, idempotency_key=f"passcode:{token.text}", direction=direction,
        temperature=temperature, recorder=user, declaration=person.declared)
    if passage.replayed:
        _refuse(token.text, REPLAYED, _("通行码已使用，请刷新"), place, ip)
    return Verified(person, GateDecision(passage.verdict, list(passage.reasons)), passage, Channel.PASS_CODE)


def identify(code: str, *, ip="", now=None):
    """The person behind a valid pass code or card, without recording a passage (e.g. registering a
    test tube); PassCodeRefused otherwise. Tokens are not used up by this."""
    from fangkong.people.models import Person

    code = normalize(code)
    if code.startswith(CARD_PREFIX) or is_card_number(code):
        return _card(code, ip=ip).person
    token = read_token(code, ip=ip, now=now)
    person = Person.objects.filter(pk=token.person_id).first()
    if person is None:
        _refuse(token.text, UNKNOWN, _("通行码对应的人员不存在"), None, ip)
    return person


# Pass cards ---------------------------------------------------------------------------------------

def card_code(card: PassCard) -> str:
    """The printed code of a card: its random id and a MAC of it (the MAC is never stored)."""
    raw = _unb32(card.code)
    return CARD_PREFIX + _b32(raw + _mac(CARD_SALT, raw, CARD_MAC_BYTES))


def number_for_card_id(card_id: str) -> str:
    """The 12-digit number printed on the card with this stored id (PassCard.code): derived with a key, so
    the id alone does not give it."""
    value = int.from_bytes(_mac(CARD_NUMBER_SALT, _unb32(card_id), 8), "big") % 10 ** CARD_NUMBER_DIGITS
    return f"{value:0{CARD_NUMBER_DIGITS}d}"


def number_digest(number: str) -> str:
    """What PassCard.number_digest holds for a typed card number."""
    return salted_hmac(CARD_DIGEST_SALT, number, algorithm="sha256").hexdigest()


def card_number(card: PassCard) -> str:
    """The number a guard types when the camera fails (printed large on the card)."""
    return number_for_card_id(card.code)


def card_number_grouped(card: PassCard) -> str:
    """The card number as printed, in groups of four: 1234 5678 9012."""
    number = card_number(card)
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


def card_number_masked(card: PassCard) -> str:
    """Enough of the number for staff to tell one card from another: **** **** 9012."""
    return "**** **** " + card_number(card)[-4:]


@transaction.atomic
def issue_card(person, *, user) -> PassCard:
    """A new printed card for `person` (audited). Earlier cards stay valid until revoked."""
    for _attempt in range(5):  # 10^12 numbers: a clash with an existing card is rare, five in a row never
        card_id = _b32(secrets.token_bytes(CARD_ID_BYTES))
        digest = number_digest(number_for_card_id(card_id))
        if not PassCard.objects.filter(number_digest=digest).exists():
            break
    card = PassCard.objects.create(person=person, issued_by=user, code=card_id, number_digest=digest)
    audit.record_change(card, user)
    return card


@transaction.atomic
def revoke_card(card: PassCard, *, user) -> PassCard:
    """A lost or misused card stops working at the next scan (audited with the acting user)."""
    card = PassCard.objects.select_for_update().get(pk=card.pk)
    if card.revoked_at is not None:
        raise ValidationError(_("该通行卡已作废"))
    card.revoked_at = timezone.now()
    card.save(update_fields=["revoked_at"])
    audit.record_change(card, user)
    return card


def _card(code: str, *, place=None, ip="", user=None) -> PassCard:
    if is_card_number(code):
        _check_typing_allowed(code, user, place, ip)
        card = PassCard.objects.filter(number_digest=number_digest(code)).first()
        if card is None:
            _count_typing_failure(user)
            _refuse(code, CARD_UNKNOWN, _("通行卡号不存在，请核对卡上的12位卡号"), place, ip)
        return _usable(card, code, place, ip)
    try:
        raw = _unb32(code[len(CARD_PREFIX):])
    except ValueError:
        raw = b""
    if len(raw) != CARD_ID_BYTES + CARD_MAC_BYTES:
        _refuse(code, FORGED, _("通行卡无效（卡号不完整或已被篡改）"), place, ip)
    card_id, mac = raw[:CARD_ID_BYTES], raw[CARD_ID_BYTES:]
    if not hmac.compare_digest(mac, _mac(CARD_SALT, card_id, CARD_MAC_BYTES)):
        _refuse(code, FORGED, _("通行卡无效（卡号不完整或已被篡改）"), place, ip)
    card = PassCard.objects.filter(code=_b32(card_id)).first()
    if card is None:
        _refuse(code, CARD_UNKNOWN, _("通行卡不存在"), place, ip)
    return _usable(card, code, place, ip)


def _usable(card: PassCard, code: str, place, ip) -> PassCard:
    if card.revoked_at is not None:
        _refuse(code, CARD_REVOKED, _("该通行卡已作废，请联系社区补办"), place, ip)
    return card


def _verify_card(code, place, user, *, ip, direction, temperature, idempotency_key) -> Verified:
    card = _card(code, place=place, ip=ip, user=user)
    person = _person_for_gate(card.person_id)
    passage = passes.record_passage(
        person, place, channel=Channel.CARD, idempotency_key=f"passcard:{card.pk}:{idempotency_key}",
        direction=direction, temperature=temperature, recorder=user, declaration=person.declared)
    return Verified(person, GateDecision(passage.verdict, list(passage.reasons)), passage, Channel.CARD)


# The resident's screen ----------------------------------------------------------------------------

@dataclass
class PassScreen:
    """One person's pass code screen: the code, the colour with its word and reasons, the latest test."""

    person: object
    label: str
    issued: IssuedCode
    status: HealthStatus
    qr: str = ""

    @property
    def colour(self) -> str:
        from . import services

        return services.effective_colour(self.status)

    @property
    def colour_word(self) -> str:
        return marks.colour_word(self.colour)

    @property
    def icon(self) -> str:
        return marks.icon(self.colour)

    @property
    def reasons(self) -> list[str]:
        from . import services

        return services.effective_reasons(self.status)

    @property
    def test_result(self) -> str:
        return self.status.last_test_result_label


def screens_for(members) -> list[PassScreen]:
    """A fresh code for each person on a device (members from passes.services.device_members), with
    their health-code rows read in one query; a person without a row is green with no reasons."""
    persons = {m.person_id: m.person for m in members}
    statuses = {s.person_id: s for s in HealthStatus.objects.filter(person_id__in=list(persons))
                .select_related("override")}
    return [PassScreen(person=m.person, label=m.label, issued=issue(m.person),
                       status=statuses.get(m.person_id) or HealthStatus(person_id=m.person_id, reasons=[]))
            for m in members]


# The printed card ---------------------------------------------------------------------------------

def card_pdf(card: PassCard) -> bytes:
    """An A6 card (105 x 148 mm) that prints well in black and white, top to bottom: 通行卡, the masked name,
    a 62 mm QR code (the long card code) with its quiet zone, the 12-digit card number large in groups of
    four for typing, the instructions and the issuing date. Every line has its own band: nothing overlaps
    the QR code's quiet zone or another line."""
    import io

    import segno
    from reportlab.lib.pagesizes import A6
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from fangkong.core.pdf import QUIET_MODULES, cjk_font, draw_qr

    font, _embedded = cjk_font()
    width, height = A6
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A6, pageCompression=1, initialFontName=font)
    pdf.setTitle(f"通行卡 {card.person.name_masked}")
    pdf.setCreator("fangkong 通行卡")
    pdf.setLineWidth(1)
    pdf.roundRect(4 * mm, 4 * mm, width - 8 * mm, height - 8 * mm, 3 * mm)
    pdf.setFont(font, 22)
    pdf.drawCentredString(width / 2, height - 17 * mm, "通 行 卡")
    pdf.setFont(font, 16)
    pdf.drawCentredString(width / 2, height - 26 * mm, card.person.name_masked)
    qr_width = 62 * mm
    matrix = segno.make(card_code(card), error="m", micro=False).matrix
    quiet = QUIET_MODULES * qr_width / len(matrix)
    qr_x, qr_y = (width - qr_width) / 2, height - 30 * mm - quiet - qr_width
    draw_qr(pdf, matrix, qr_x, qr_y, qr_width)
    below_qr = qr_y - quiet  # the lowest point of the quiet zone; text starts under it
    pdf.setFont(font, 9)
    pdf.drawCentredString(width / 2, below_qr - 4 * mm, "扫不出时，请工作人员输入卡号")
    pdf.setFont("Helvetica-Bold", 21)
    pdf.drawCentredString(width / 2, below_qr - 12.5 * mm, card_number_grouped(card))
    issued = timezone.localtime(card.issued_at) if card.issued_at else timezone.localtime()
    pdf.setFont(font, 8.5)
    pdf.drawCentredString(width / 2, 17.5 * mm, "出示此卡由工作人员扫码核验，仅限本人使用")
    pdf.drawCentredString(width / 2, 13 * mm, "遗失请到社区挂失补办，旧卡立即作废")
    pdf.drawCentredString(width / 2, 7.5 * mm, f"发卡日期：{issued.year}年{issued.month}月{issued.day}日")
    pdf.showPage()
    pdf.save()
    return out.getvalue()
