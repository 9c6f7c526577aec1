"""What the gates' hot path caches (who may record where, the API token's user, the place) is dropped the
moment the facts behind it change: a removed guard, a deleted token or a suspended place stops at once."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from fangkong.accounts import tokens
from fangkong.healthcode import passcode
from fangkong.passes import services
from fangkong.passes.models import Channel, DutyShift, Passage
from tests.conftest import declare


def verify(api, person, place):
    return api.post("/api/pass-codes/verify/", json.dumps({"code": passcode.issue(person).token, "place": place.pk}),
                    content_type="application/json")


def test_a_guard_taken_off_a_post_is_refused_at_once(district, gate, guard, users):
    assert services.may_record_at(guard, gate)  # cached now
    gate.staff.remove(guard)
    assert not services.may_record_at(guard, gate)
    with pytest.raises(PermissionDenied):
        services.record_passage(district.person_a, gate, channel=Channel.ASSISTED, recorder=guard,
                                idempotency_key="removed")
    shift = DutyShift.objects.create(place=gate, user=guard, starts_at="2026-01-01T08:00+08:00",
                                     ends_at="2026-01-01T16:00+08:00")
    assert services.may_record_at(guard, gate)  # a duty shift posts them again
    shift.delete()
    assert not services.may_record_at(guard, gate)
    assert not Passage.objects.exists()


def test_a_deleted_token_or_deactivated_guard_stops_verifying_at_once(district, gate, guard):
    declare(district.person_a)
    token, key = tokens.issue(guard, verified=False)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert verify(api, district.person_a, gate).status_code == 200  # the token's user is cached now
    guard.is_active = False
    guard.save()
    assert verify(api, district.person_a, gate).status_code == 401
    guard.is_active = True
    guard.save()
    assert verify(api, district.person_a, gate).status_code == 200
    token.delete()
    assert verify(api, district.person_a, gate).status_code == 401
    assert Passage.objects.count() == 2


def test_a_suspended_place_refuses_pass_codes_at_once(district, gate, guard, users):
    declare(district.person_a)
    api = Client(HTTP_AUTHORIZATION=f"Token {tokens.issue(guard, verified=False)[1]}")
    assert verify(api, district.person_a, gate).status_code == 200  # the place is cached now
    services.suspend_place(gate, reason="整改", user=users.worker_a)
    response = verify(api, district.person_a, gate)
    assert response.status_code == 403
    assert "不能在该场所核验通行码" in response.json()["detail"]
    assert Passage.objects.count() == 1
