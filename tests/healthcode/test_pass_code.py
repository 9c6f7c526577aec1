"""The personal pass code: a rotating signed token, its short number, one use only, and printed cards.

A guard at 幸福里小区北门 scans the codes that residents show; bad codes are refused and counted.
"""

import base64
import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.healthcode import passcode
from fangkong.healthcode.models import Colour, HealthStatus, PassCard
from fangkong.passes.models import Channel, Passage, Place, PlaceKind, PlaceState, RejectedScan, Verdict
from tests.conftest import declare

pytestmark = pytest.mark.without_thermometer


def make_user(username, role, area, full_name=""):
    from django.contrib.auth.models import Group

    from fangkong.accounts.models import User
    from fangkong.accounts.roles import ensure_roles

    if not Group.objects.filter(name=role.value).exists():
        ensure_roles()
    user = User.objects.create_user(username=username, password="Fangkong-test-2020", area=area,
                                    full_name=full_name or username)
    user.groups.set([Group.objects.get(name=role.value)])
    return user


def make_gate(area, name="幸福里小区北门", **extra):
    fields = {"kind": PlaceKind.COMPOUND_GATE, "address": "文化路12号", "contact_name": "张三",
              "state": PlaceState.APPROVED, "measures_temperature": False, "records_exit": True, **extra}
    return Place.objects.create(area=area, name=name, **fields)


def status(person, colour, reasons=(), **extra):
    """The person's health-code row as healthcode.services.recompute leaves it."""
    return HealthStatus.objects.update_or_create(person=person, defaults={
        "colour": colour, "computed_colour": colour, "reasons": list(reasons), **extra})[0]


@pytest.fixture
def resident(district):
    declare(district.person_a)
    return district.person_a


def rejected(reason):
    return RejectedScan.objects.filter(reason=reason).count()


# Tokens -------------------------------------------------------------------------------------------

def test_a_fresh_code_lets_its_person_pass_once_and_writes_a_pass_code_passage(resident, gate, guard):
    issued = passcode.issue(resident)
    assert issued.token.startswith("FK1") and len(issued.token) == 43
    assert issued.expires_at - issued.issued_at == datetime.timedelta(seconds=passcode.TOKEN_SECONDS)

    person, decision = passcode.verify(issued.token, gate, guard)

    assert person.pk == resident.pk
    assert decision.verdict == Verdict.ALLOW, decision.reasons
    passage = Passage.objects.get()
    assert (passage.person, passage.place, passage.channel, passage.recorder) == (
        resident, gate, Channel.PASS_CODE, guard)
    assert RejectedScan.objects.count() == 0


def test_the_code_is_small_enough_for_a_version_2_qr_code(resident):
    import segno

    qr = segno.make(passcode.issue(resident).token, error="l", micro=False)
    assert qr.version == 2 and qr.mode == "alphanumeric"


def test_a_used_code_is_refused_the_second_time_and_counted(resident, gate, guard):
    issued = passcode.issue(resident)
    passcode.verify(issued.token, gate, guard)

    with pytest.raises(passcode.PassCodeRefused) as refused:
        passcode.verify(issued.token, gate, guard)

    assert refused.value.reason == passcode.REPLAYED
    assert refused.value.messages == ["通行码已使用，请刷新"]
    assert Passage.objects.count() == 1
    assert rejected(passcode.REPLAYED) == 1
    # Shown at another gate the same minute (a photo passed on): still refused.
    other = make_gate(gate.area, "幸福里小区南门")
    other.staff.add(guard)
    with pytest.raises(passcode.PassCodeRefused):
        passcode.verify(issued.token, other, guard)
    assert Passage.objects.count() == 1 and rejected(passcode.REPLAYED) == 2


def test_an_expired_code_is_refused_and_counted(resident, gate, guard):
    old = passcode.issue(resident, now=timezone.now() - datetime.timedelta(seconds=passcode.TOKEN_SECONDS + 30))

    with pytest.raises(passcode.PassCodeRefused) as refused:
        passcode.verify(old.token, gate, guard)

    assert refused.value.reason == passcode.EXPIRED
    assert "过期" in refused.value.messages[0]
    assert Passage.objects.count() == 0
    scan = RejectedScan.objects.get()
    assert (scan.reason, scan.place, scan.code) == (passcode.EXPIRED, gate, RejectedScan.fingerprint(old.token))


def test_a_code_still_inside_its_minute_passes(resident, gate, guard):
    recent = passcode.issue(resident, now=timezone.now() - datetime.timedelta(seconds=passcode.TOKEN_SECONDS - 10))
    assert passcode.verify(recent.token, gate, guard).decision.verdict == Verdict.ALLOW


def _altered(token, index):
    raw = bytearray(base64.b32decode(token[3:] + "=" * (-len(token[3:]) % 8)))
    raw[index] ^= 0x01
    return "FK1" + base64.b32encode(bytes(raw)).decode().rstrip("=")


def test_forged_codes_are_refused_and_counted(district, resident, gate, guard):
    token = passcode.issue(resident).token
    forgeries = [
        _altered(token, -1),  # the signature altered
        _altered(token, 4),  # the person changed (王秀英's code made to say someone else)
        token[:-6],  # cut short
        "FK1" + "A" * 40,  # made up
    ]
    for forged in forgeries:
        with pytest.raises(passcode.PassCodeRefused) as refused:
            passcode.verify(forged, gate, guard)
        assert refused.value.reason == passcode.FORGED, forged
    assert rejected(passcode.FORGED) == len(forgeries)
    assert Passage.objects.count() == 0
    # The genuine code was never used up by the forgeries.
    assert passcode.verify(token, gate, guard).person.pk == resident.pk


def test_something_that_is_not_a_pass_code_is_refused(gate, guard):
    for text in ("https://example.org/c/abc", "", "12345"):
        with pytest.raises(passcode.PassCodeRefused) as refused:
            passcode.verify(text, gate, guard)
        assert refused.value.reason == passcode.UNKNOWN
    assert rejected(passcode.UNKNOWN) == 3


def test_a_guard_types_the_short_number_instead(resident, gate, guard):
    issued = passcode.issue(resident)
    assert len(issued.short) == 8 and issued.short.isdigit()

    result = passcode.verify(f"{issued.short[:4]} {issued.short[4:]}", gate, guard)

    assert result.person.pk == resident.pk and result.passage.channel == Channel.PASS_CODE
    # The number stands for the token: the token itself is now used up too.
    with pytest.raises(passcode.PassCodeRefused) as refused:
        passcode.verify(issued.token, gate, guard)
    assert refused.value.reason == passcode.REPLAYED


def test_an_unknown_short_number_is_refused(gate, guard):
    with pytest.raises(passcode.PassCodeRefused) as refused:
        passcode.verify("00000000", gate, guard)
    assert refused.value.reason == passcode.UNKNOWN and "数字码" in refused.value.messages[0]
    assert rejected(passcode.UNKNOWN) == 1


def test_the_health_code_reasons_come_with_the_verdict(district, resident, gate, guard):
    status(resident, Colour.RED, ["重点人员：密切接触者（2026-11-20 起）"])

    result = passcode.verify(passcode.issue(resident).token, gate, guard)

    assert result.decision.verdict == Verdict.DENY
    assert any("密切接触者" in reason for reason in result.decision.reasons), result.decision.reasons
    assert Passage.objects.get().reasons == result.decision.reasons


def test_the_declaration_and_temperature_count_as_at_every_gate(district, gate, guard):
    declare(district.person_b, has_symptoms=True)
    result = passcode.verify(passcode.issue(district.person_b).token, gate, guard, temperature="38.1")
    assert result.decision.verdict == Verdict.DENY
    assert "申报有发热、咳嗽等症状" in result.decision.reasons
    assert any("38.1" in reason for reason in result.decision.reasons)


def test_only_the_places_own_staff_may_verify(district, resident, gate, guard, users):
    far_gate = make_gate(district.community_b, "李庄村口")
    token = passcode.issue(resident).token
    with pytest.raises(PermissionDenied):
        passcode.verify(token, far_gate, guard)
    with pytest.raises(PermissionDenied):
        passcode.verify(token, gate, users.leader)
    assert Passage.objects.count() == 0 and RejectedScan.objects.count() == 0
    # Not used up by the refused attempts.
    assert passcode.verify(token, gate, guard).decision.verdict == Verdict.ALLOW


def test_identify_reads_the_person_without_a_passage(resident):
    token = passcode.issue(resident).token
    assert passcode.identify(token).pk == resident.pk
    assert passcode.identify(token).pk == resident.pk
    assert Passage.objects.count() == 0


# Cards --------------------------------------------------------------------------------------------

def test_a_card_passes_every_day_until_it_is_revoked(district, resident, gate, guard, users):
    card = passcode.issue_card(resident, user=users.worker_a)
    code = passcode.card_code(card)
    assert code.startswith("FKC") and len(code) == 43
    # Neither the stored id nor the audit log holds a code that opens a gate.
    assert card.code not in (code, code[3:])
    created = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="healthcode.PassCard")
    assert code[3:] not in str(created.changes)

    first = passcode.verify(code, gate, guard)
    second = passcode.verify(" ".join(code[i:i + 4] for i in range(0, len(code), 4)).lower(), gate, guard)
    assert first.passage.channel == second.passage.channel == Channel.CARD
    assert first.passage.pk != second.passage.pk

    passcode.revoke_card(card, user=users.worker_a)
    with pytest.raises(passcode.PassCodeRefused) as refused:
        passcode.verify(code, gate, guard)
    assert refused.value.reason == passcode.CARD_REVOKED
    assert rejected(passcode.CARD_REVOKED) == 1
    assert Passage.objects.count() == 2
    revoked = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="healthcode.PassCard")
    assert "revoked_at" in revoked.changes


def test_a_forged_or_unknown_card_is_refused(resident, gate, guard, users):
    card = passcode.issue_card(resident, user=users.worker_a)
    code = passcode.card_code(card)
    with pytest.raises(passcode.PassCodeRefused) as refused:
        passcode.verify(code[:-1] + ("A" if code[-1] != "A" else "B"), gate, guard)
    assert refused.value.reason == passcode.FORGED
    card.delete()
    with pytest.raises(passcode.PassCodeRefused) as refused:
        passcode.verify(code, gate, guard)
    assert refused.value.reason == passcode.CARD_UNKNOWN


def test_staff_issue_print_and_revoke_a_card_through_the_pages(district, resident, users, client_for):
    worker = client_for(users.worker_a)
    page = worker.get(f"/pass-cards/person/{resident.pk}/")
    assert page.status_code == 200 and "王*英" in page.content.decode()

    response = worker.post(f"/pass-cards/person/{resident.pk}/issue/")
    card = PassCard.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/pass-cards/{card.pk}/card.pdf"
    pdf = worker.get(response["Location"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    # Another community's worker cannot see, print or revoke it.
    other = client_for(users.worker_b)
    assert other.get(f"/pass-cards/person/{resident.pk}/").status_code == 404
    assert other.get(f"/pass-cards/{card.pk}/card.pdf").status_code == 404
    assert other.post(f"/pass-cards/{card.pk}/revoke/").status_code == 404

    assert worker.post(f"/pass-cards/{card.pk}/revoke/").status_code == 302
    card.refresh_from_db()
    assert card.revoked_at is not None
    assert worker.get(f"/pass-cards/{card.pk}/card.pdf").status_code == 404
    # Revoking twice says so and changes nothing.
    revoked_at = card.revoked_at
    page = worker.post(f"/pass-cards/{card.pk}/revoke/", follow=True)
    assert "该通行卡已作废" in page.content.decode()
    card.refresh_from_db()
    assert card.revoked_at == revoked_at


def test_a_guard_types_the_printed_card_number_and_a_revoked_cards_number_is_refused(resident, gate, guard, users):
    card = passcode.issue_card(resident, user=users.worker_a)
    number = passcode.card_number(card)
    assert len(number) == 12 and number.isdigit()
    # The table holds a keyed digest of the number, never the number; the audit log neither.
    assert number not in (card.code, card.number_digest)
    assert PassCard.objects.filter(number_digest=passcode.number_digest(number)).get() == card
    created = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="healthcode.PassCard")
    assert number not in str(created.changes)

    typed = passcode.verify(passcode.card_number_grouped(card), gate, guard)  # "1234 5678 9012", as printed
    assert typed.person.pk == resident.pk and typed.passage.channel == Channel.CARD
    assert passcode.verify(number, gate, guard).passage.pk != typed.passage.pk  # shown every day, no replay rule
    assert passcode.identify(f"{number[:6]}-{number[6:]}").pk == resident.pk

    passcode.revoke_card(card, user=users.worker_a)
    with pytest.raises(passcode.PassCodeRefused) as refused:
        passcode.verify(number, gate, guard)
    assert refused.value.reason == passcode.CARD_REVOKED and "作废" in refused.value.messages[0]
    assert Passage.objects.count() == 2


def test_a_wrong_card_number_is_refused_and_guessing_is_stopped(resident, gate, guard, users):
    card = passcode.issue_card(resident, user=users.worker_a)
    number = passcode.card_number(card)
    wrong = f"{(int(number) + 1) % 10 ** 12:012d}"
    with pytest.raises(passcode.PassCodeRefused) as refused:
        passcode.verify(wrong, gate, guard)
    assert refused.value.reason == passcode.CARD_UNKNOWN and "12位卡号" in refused.value.messages[0]

    for _typo in range(passcode.TYPED_FAILURES_PER_WINDOW - 1):
        with pytest.raises(passcode.PassCodeRefused):
            passcode.verify(wrong, gate, guard)
    # After that many wrong numbers even the right one is refused for a while: guessing, not typos.
    with pytest.raises(passcode.PassCodeRefused) as refused:
        passcode.verify(number, gate, guard)
    assert refused.value.reason == passcode.TOO_MANY
    assert Passage.objects.count() == 0
    # Scanning still works, and another guard is not affected.
    assert passcode.verify(passcode.card_code(card), gate, guard).person.pk == resident.pk
    other = make_user("guard_b", Role.CHECKPOINT_STAFF, gate.area)
    gate.staff.add(other)
    assert passcode.verify(number, gate, other).person.pk == resident.pk


def test_the_card_id_on_the_database_row_is_not_typed_as_a_card(resident, gate, guard, users):
    """A new user typed the card's 编号 (its row id) from the old printout and was told 不是通行码 only."""
    card = passcode.issue_card(resident, user=users.worker_a)
    with pytest.raises(passcode.PassCodeRefused) as refused:
        passcode.verify(str(card.pk), gate, guard)
    assert "12位卡号" in refused.value.messages[0]


def test_the_printed_card_shows_a_qr_code_that_decodes_to_the_card_code(resident, users, tmp_path):
    """Rendered to an image with poppler and read back with zbar, as a guard's camera would; the number is
    printed in groups, the long code only inside the QR code, and no two lines of text overlap."""
    import shutil
    import subprocess

    if not (shutil.which("pdftoppm") and shutil.which("zbarimg") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils and zbar-tools are needed to read the card back")
    card = passcode.issue_card(resident, user=users.worker_a)
    (tmp_path / "card.pdf").write_bytes(passcode.card_pdf(card))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "card.pdf"),
                    str(tmp_path / "card")], check=True)
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "card.png")], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert decoded == passcode.card_code(card)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "card.pdf"), "-"], capture_output=True,
                          text=True).stdout
    assert "王*英" in text and "王秀英" not in text
    assert passcode.card_number_grouped(card) in text
    assert passcode.card_code(card)[:8] not in text.replace(" ", "")
    boxes = text_boxes(tmp_path / "card.pdf")
    assert len(boxes) >= 6
    for index, (top, bottom, words) in enumerate(boxes):
        for other_top, other_bottom, other_words in boxes[index + 1:]:
            assert bottom <= other_top or other_bottom <= top, f"{words!r} overlaps {other_words!r}"


def text_boxes(pdf_path):
    """(top, bottom, text) of each printed line, from poppler's bounding boxes (points from the top)."""
    import re
    import subprocess

    html = subprocess.run(["pdftotext", "-bbox-layout", str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout
    lines = []
    for block in re.findall(r"<line (.*?)</line>", html, re.S):
        top, bottom = (float(re.search(rf'{edge}="([\d.]+)"', block).group(1)) for edge in ("yMin", "yMax"))
        lines.append((top, bottom, " ".join(re.findall(r">([^<]+)</word>", block))))
    return lines


def test_residents_cannot_issue_cards_and_guards_cannot_see_them(district, resident, guard, client_for, users):
    station = client_for(guard)
    assert station.get(f"/pass-cards/person/{resident.pk}/").status_code == 403
    assert station.post(f"/pass-cards/person/{resident.pk}/issue/").status_code == 403
    assert Client().post(f"/pass-cards/person/{resident.pk}/issue/").status_code == 302  # to the login
    assert PassCard.objects.count() == 0


def test_a_refused_code_is_kept_as_a_fingerprint_never_whole(resident, gate, guard):
    issued = passcode.issue(resident)
    passcode.verify(issued.token, gate, guard)
    for _attempt in range(2):
        with pytest.raises(passcode.PassCodeRefused):
            passcode.verify(issued.token, gate, guard)
    first, second = RejectedScan.objects.order_by("pk")
    assert issued.token not in first.code and issued.token[4:12] not in first.code
    assert first.code.startswith(issued.token[:4] + "~") and len(first.code) <= 64
    assert first.code == second.code  # the same code tried again still shows as the same
