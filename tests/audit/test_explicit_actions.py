"""Audited actions are explicit: each service writes its audit row with the acting user, inside its transaction.

No signal writes audit rows. The suite's safety net (`_every_change_made_through_a_page_is_audited` in
tests/conftest.py) fails any test whose page or API request changes an Audited record without the row of
the service that did it; these tests name the user, the action and the fields for the services that once
took the acting user and ignored it, and show that a change that rolls back leaves no row.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.passes.models import DutyShift, Place, PlaceKind, PlaceState
from fangkong.screening.models import Category
from tests.conftest import make_user


def only_row(obj, action=None):
    """The one audit row of `obj` (of `action` when given)."""
    rows = AuditEvent.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk))
    [row] = rows.filter(action=action) if action else rows
    return row


@pytest.fixture
def gate(district):
    place = Place(area=district.community_a, name="幸福里小区北门", kind=PlaceKind.COMPOUND_GATE, address="文化路12号",
                  contact_name="王建军", state=PlaceState.APPROVED)
    place.set_contact_phone("13903710001")
    place.save()
    return place


# The place's lifecycle on its page --------------------------------------------------------------------

def test_suspending_and_resuming_a_place_are_on_the_workers_account(users, gate, client_for):
    worker = client_for(users.worker_a)
    assert worker.post(f"/places/{gate.pk}/suspend/", {"reason": "门岗撤销"}).status_code == 302
    suspended = only_row(gate)
    assert (suspended.actor, suspended.action) == (users.worker_a, AuditAction.UPDATE)
    assert suspended.changes == {"state": ["approved", "suspended"], "state_reason": ["", "门岗撤销"]}

    assert worker.post(f"/places/{gate.pk}/resume/").status_code == 302
    resumed = AuditEvent.objects.filter(object_type="passes.Place", object_id=str(gate.pk)).first()
    assert (resumed.actor, resumed.action) == (users.worker_a, AuditAction.UPDATE)
    assert resumed.changes == {"state": ["suspended", "approved"], "state_reason": ["门岗撤销", ""]}


def test_a_new_code_for_a_lost_poster_is_on_the_workers_account(users, gate, client_for):
    old_code = gate.code
    assert client_for(users.worker_a).post(f"/places/{gate.pk}/rotate/").status_code == 302
    gate.refresh_from_db()
    row = only_row(gate)
    assert (row.actor, row.action) == (users.worker_a, AuditAction.UPDATE)
    assert row.changes["code"] == [old_code, gate.code] and "code_issued_at" in row.changes


def test_deleting_a_duty_shift_keeps_who_had_it_in_the_log(users, gate, client_for):
    guard = make_user("guard_a", None, gate.area)
    now = timezone.now()
    shift = DutyShift.objects.create(place=gate, user=guard, starts_at=now, ends_at=now + datetime.timedelta(hours=8),
                                     duty="测温")
    response = client_for(users.worker_a).post(f"/places/{gate.pk}/shifts/{shift.pk}/delete/")
    assert response.status_code == 302 and not DutyShift.objects.exists()
    row = only_row(shift)
    assert (row.actor, row.action, row.object_repr) == (users.worker_a, AuditAction.DELETE, str(shift))
    assert (row.changes["user"], row.changes["place"], row.changes["duty"]) == (guard.pk, gate.pk, "测温")


# Pass cards -----------------------------------------------------------------------------------------------

def test_issuing_and_revoking_a_pass_card_are_on_the_workers_account(district, users, client_for):
    from fangkong.healthcode.models import PassCard

    worker = client_for(users.worker_a)
    worker.post(f"/pass-cards/person/{district.person_a.pk}/issue/")
    card = PassCard.objects.get()
    issued = only_row(card)
    assert (issued.actor, issued.action, issued.changes["person"]) == (users.worker_a, AuditAction.CREATE,
                                                                        district.person_a.pk)
    assert worker.post(f"/pass-cards/{card.pk}/revoke/").status_code == 302
    revoked = only_row(card, AuditAction.UPDATE)
    assert revoked.actor == users.worker_a and list(revoked.changes) == ["revoked_at"]


# One transaction ------------------------------------------------------------------------------------------

def test_a_refused_deletion_leaves_no_audit_row(users, client_for, district):
    """The row is written before the delete, which the database refuses: both roll back together."""
    from fangkong.screening import services

    category = Category.objects.get(code="close_contact")
    services.open_screening(district.person_a, category, user=users.worker_a)
    page = client_for(users.admin).post(f"/key-persons/categories/{category.pk}/delete/", follow=True)
    assert "不能删除，可以停用" in page.content.decode()
    assert Category.objects.filter(pk=category.pk).exists()
    assert not AuditEvent.objects.filter(object_type="screening.Category", action=AuditAction.DELETE).exists()

    unused = Category.objects.get(code="cold_chain")
    client_for(users.admin).post(f"/key-persons/categories/{unused.pk}/delete/")
    assert only_row(unused, AuditAction.DELETE).actor == users.admin


def test_a_change_rolled_back_by_its_caller_takes_its_audit_row_with_it(users, gate):
    from fangkong.passes import services

    with pytest.raises(ValidationError), transaction.atomic():
        services.suspend_place(gate, reason="门岗撤销", user=users.worker_a)
        raise ValidationError("the caller's next step failed")
    gate.refresh_from_db()
    assert gate.state == PlaceState.APPROVED
    assert not AuditEvent.objects.filter(object_type="passes.Place").exists()


def test_a_save_that_changes_nothing_writes_no_row(users, gate):
    from fangkong.passes import services

    place = Place.objects.get(pk=gate.pk)
    services.update_place(place, user=users.worker_a, name=place.name)
    assert not AuditEvent.objects.filter(object_type="passes.Place").exists()
    services.update_place(place, user=users.worker_a, name="幸福里小区东门")
    assert only_row(place).changes == {"name": ["幸福里小区北门", "幸福里小区东门"]}


def test_the_safety_net_catches_a_page_that_changes_a_record_without_its_row(
        users, gate, client_for, monkeypatch, _every_change_made_through_a_page_is_audited):
    """Proof that the net works: a service that forgets its row is caught (and the net is then emptied, so
    that this test itself passes)."""
    from fangkong.audit import services as audit

    monkeypatch.setattr(audit, "record_change", lambda *args, **kwargs: None)
    client_for(users.worker_a).post(f"/places/{gate.pk}/suspend/", {"reason": "门岗撤销"})
    net = _every_change_made_through_a_page_is_audited
    assert net.unaudited == [f"update passes.Place #{gate.pk}"]
    net.unaudited.clear()


# Outside any request (a task, a command, the demo): the user given is the one on the row ------------------

def test_each_service_that_takes_the_acting_user_writes_it_on_its_row(district, users, gate, client_for):
    """These eight took `user` and ignored it: their rows said 系统 unless a page's request said who it was."""
    from fangkong.healthcode import passcode
    from fangkong.passes import services as places
    from fangkong.testing import services as testing

    admin = users.admin
    now = timezone.now()
    shift = DutyShift.objects.create(place=gate, user=users.worker_a, starts_at=now,
                                     ends_at=now + datetime.timedelta(hours=1))
    campaign = testing.create_campaign(name="东风街道全员核酸", area=district.subdistrict, starts_on=now.date(),
                                       ends_on=now.date(), user=admin)
    site = testing.create_site(campaign, name="幸福里采样点", area=district.community_a, user=admin)
    tube = testing.register_tube(site, "W-0001", admin)
    testing.add_to_tube(tube, district.person_a, admin)
    card = passcode.issue_card(district.person_a, user=admin)
    actions = [
        (lambda: places.suspend_place(gate, reason="门岗撤销", user=admin), gate, "update"),
        (lambda: places.resume_place(gate, user=admin), gate, "update"),
        (lambda: places.rotate_code(gate, user=admin), gate, "update"),
        (lambda: places.delete_shift(shift, user=admin), shift, "delete"),
        (lambda: testing.close_campaign(campaign, admin), campaign, "update"),
        (lambda: None, site, "create"),  # create_site, above
        (lambda: testing.seal_tube(tube, admin), tube, "update"),
        (lambda: passcode.revoke_card(card, user=admin), card, "update"),
    ]
    for act, obj, action in actions:
        label, pk = obj._meta.label, str(obj.pk)
        act()
        row = AuditEvent.objects.filter(object_type=label, object_id=pk, action=action).first()
        assert row is not None and (row.actor, row.actor_name) == (admin, "district_admin"), (label, action)


def test_a_change_in_the_django_admin_is_on_the_admins_account(district, client_for):
    from fangkong.accounts.models import User
    from fangkong.screening.models import Category

    root = User.objects.create_superuser("root", password="x-Very-long-pass-1")
    client = client_for(root)
    unused = Category.objects.get(code="cold_chain")
    response = client.post(f"/admin/screening/category/{unused.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Category.objects.filter(pk=unused.pk).exists()
    row = only_row(unused, AuditAction.DELETE)
    assert (row.actor, row.changes["code"]) == (root, "cold_chain")
