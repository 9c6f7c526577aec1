"""What the gates' hot path caches (who may record where, the API token's user, the place) is dropped the
moment the facts behind it change: a removed guard, a deleted token or a suspended place stops at once."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from office_helpers import checkpoint_user, make_place

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


# At 8:00 every guard of the district logs in; each login writes that user's last_login. What the gates cached
# about the other guards (their tokens, where they may record) must survive it, or the rush finds every cache empty.

def test_logins_at_the_shift_change_leave_every_gates_cached_answers(district, gate, guard, users, password,
                                                                    django_assert_num_queries):
    declare(district.person_a)
    api = Client(HTTP_AUTHORIZATION=f"Token {tokens.issue(guard, verified=False)[1]}")
    assert verify(api, district.person_a, gate).status_code == 200  # the token and the guard's post are cached
    for user in (users.worker_a, guard):  # a colleague signs in, and the guard himself on the station page
        assert Client().post("/login/", {"username": user.username, "password": password}).status_code == 302
    with django_assert_num_queries(0):
        assert services.recorder_access(guard, gate) == services.RECORDER_OK
    with django_assert_num_queries(2):  # the person with their facts, the passage: nothing for the token or post
        assert verify(api, district.person_a, gate).status_code == 200


def test_a_change_to_one_user_is_seen_on_their_next_request_and_nobody_elses_is_dropped(
        district, gate, guard, users, django_assert_num_queries):
    from fangkong.accounts import services as accounts
    from fangkong.accounts.roles import Role
    from tests.conftest import role_group

    colleague = checkpoint_user("guard_colleague", district.community_a, gate)
    colleague_api = Client(HTTP_AUTHORIZATION=f"Token {tokens.issue(colleague, verified=False)[1]}")
    declare(district.person_a)

    def colleague_still_cached():
        with django_assert_num_queries(0):
            assert services.recorder_access(colleague, gate) == services.RECORDER_OK
        with django_assert_num_queries(2):
            assert verify(colleague_api, district.person_a, gate).status_code == 200

    assert verify(colleague_api, district.person_a, gate).status_code == 200
    assert services.recorder_access(guard, gate) == services.RECORDER_OK

    guard.area = district.community_b  # moved to another community: the gate is out of sight
    guard.save()
    assert services.recorder_access(guard, gate) == services.RECORDER_HIDDEN
    colleague_still_cached()

    guard.area = district.community_a
    guard.save()
    assert services.recorder_access(guard, gate) == services.RECORDER_OK
    role_group(Role.CHECKPOINT_STAFF).user_set.remove(guard)  # the role taken away, from the role's side
    guard = type(guard).objects.get(pk=guard.pk)  # a new request reads the user afresh
    assert services.recorder_access(guard, gate) == services.RECORDER_DENIED
    colleague_still_cached()

    guard.groups.set([role_group(Role.CHECKPOINT_STAFF)])
    guard = type(guard).objects.get(pk=guard.pk)
    assert services.recorder_access(guard, gate) == services.RECORDER_OK
    key = tokens.issue(guard, verified=False)[1]
    guard_api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert verify(guard_api, district.person_a, gate).status_code == 200
    accounts.set_active(guard, False, acting_user=users.admin)
    assert verify(guard_api, district.person_a, gate).status_code == 401
    guard = type(guard).objects.get(pk=guard.pk)
    assert services.recorder_access(guard, gate) == services.RECORDER_HIDDEN  # an inactive account sees nothing
    colleague_still_cached()


def test_a_new_post_or_a_lost_one_is_seen_at_that_place_only(district, gate, guard, django_assert_num_queries):
    other_gate = make_place(district.community_a, "幸福里小区南门", staff=[guard])
    assert services.recorder_access(guard, gate) == services.RECORDER_OK
    assert services.recorder_access(guard, other_gate) == services.RECORDER_OK
    gate.staff.remove(guard)
    assert services.recorder_access(guard, gate) == services.RECORDER_DENIED
    with django_assert_num_queries(0):
        assert services.recorder_access(guard, other_gate) == services.RECORDER_OK
    guard.checkpoint_places.remove(other_gate)  # from the user's side: that user's answers go
    assert services.recorder_access(guard, other_gate) == services.RECORDER_DENIED


def test_a_role_that_loses_a_permission_loses_it_for_every_member_at_once(district, gate, guard):
    from django.contrib.auth.models import Permission

    from fangkong.accounts.roles import Role
    from tests.conftest import role_group

    assert services.recorder_access(guard, gate) == services.RECORDER_OK
    role_group(Role.CHECKPOINT_STAFF).permissions.remove(Permission.objects.get(codename="record_passage"))
    guard = type(guard).objects.get(pk=guard.pk)
    assert services.recorder_access(guard, gate) == services.RECORDER_DENIED
