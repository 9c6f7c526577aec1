"""Retention: passages and declarations older than 28 days are deleted, corrections and acks with them."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone
from office_helpers import make_place, passage

from fangkong.passes.models import Declaration, Passage, PassageAck
from tests.conftest import declare


def test_old_passages_declarations_corrections_and_acks_go_and_recent_ones_stay(district, users):
    place = make_place(district.community_a)
    person = district.persons_a[0]
    old_at = timezone.now() - timedelta(days=29)
    old = passage(person, place, at=old_at)
    correction = passage(person, place, at=old_at)
    Passage.objects.filter(pk=correction.pk).update(corrects=old)
    PassageAck.objects.create(passage=old, user=users.worker_a)
    old_declaration = declare(person)
    Declaration.objects.filter(pk=old_declaration.pk).update(at=old_at)
    recent = passage(person, place, at=timezone.now() - timedelta(days=27))
    recent_declaration = declare(person)

    out = StringIO()
    call_command("purge_retention", stdout=out)

    assert list(Passage.objects.values_list("pk", flat=True)) == [recent.pk]
    assert list(Declaration.objects.values_list("pk", flat=True)) == [recent_declaration.pk]
    assert not PassageAck.objects.exists()
    assert "出入记录删除 2 条" in out.getvalue() and "健康申报删除 1 份" in out.getvalue()


def test_rejected_scans_go_with_the_passages(district):
    from fangkong.passes.models import RejectedScan
    from fangkong.passes.services import place_for_code

    assert place_for_code("no-such-place-code-0123456789", ip="203.0.113.9") is None
    assert place_for_code("another-unknown-code-987654", ip="203.0.113.9") is None
    old, recent = RejectedScan.objects.order_by("pk")
    assert "no-such-place-code-0123456789" not in old.code
    RejectedScan.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=29))

    call_command("purge_retention", stdout=StringIO())

    assert list(RejectedScan.objects.values_list("pk", flat=True)) == [recent.pk]
