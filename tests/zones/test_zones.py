"""Risk zones: drawing, kind changes, lifting, what the gate reads, scope, audit and bad input."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.passes.models import Verdict
from fangkong.passes.verdict import gate_verdict
from fangkong.people.models import Person
from fangkong.zones import services
from fangkong.zones.models import (
    ExceptionPass,
    OutRule,
    PassKind,
    RiskZone,
    ZoneChange,
    ZoneHousehold,
    ZoneKind,
)
from tests.passes.office_helpers import make_place

from .conftest import seal


def _zone_of(household):
    row = ZoneHousehold.objects.filter(household=household).first()
    return row.zone if row else None


def test_sealing_a_compound_holds_its_households_audited_with_history(district, users, sealed):
    assert {_zone_of(h) for h in (district.household_a101, district.household_a102, district.household_a2_101)} == {
        sealed}
    assert _zone_of(district.household_b) is None
    assert sealed.area == district.community_a  # the lowest area holding what it covers
    assert services.populations([sealed.pk]) == {sealed.pk: 3}
    event = AuditEvent.objects.get(object_type="zones.RiskZone", object_id=str(sealed.pk))
    assert event.actor == users.officer and event.changes["covers"] == [f"小区 幸福里小区（#{district.compound_a.pk}）"]
    change = ZoneChange.objects.get(zone=sealed)
    assert (change.from_kind, change.to_kind, change.by) == ("", ZoneKind.SEALED, users.officer)
    assert [row[1:] for row in services.buildings_of(sealed)] == [["1号楼", 2, 2], ["2号楼", 1, 1]]


def test_a_kind_change_and_the_lifting_keep_who_and_why(district, users, sealed):
    services.change_kind(sealed, user=users.officer, kind=ZoneKind.CONTROLLED, reason="连续3轮阴性")
    services.change_kind(sealed, user=users.admin, kind=ZoneKind.PRECAUTION, reason="7天无新增")
    services.lift(sealed, user=users.admin, reason="14天无新增")
    sealed.refresh_from_db()
    assert sealed.kind == ZoneKind.LIFTED and sealed.lifted_by == users.admin and sealed.lift_reason == "14天无新增"
    history = list(ZoneChange.objects.filter(zone=sealed).values_list("from_kind", "to_kind", "reason", "by__username"))
    assert history[1:] == [("sealed", "controlled", "连续3轮阴性", "subdistrict_officer"),
                           ("controlled", "precaution", "7天无新增", "district_admin"),
                           ("precaution", "lifted", "14天无新增", "district_admin")]
    assert not ZoneHousehold.objects.exists()
    assert AuditEvent.objects.filter(object_type="zones.RiskZone", object_id=str(sealed.pk)).count() == 4


def test_a_household_in_two_zones_is_held_by_the_stricter_until_it_is_lifted(district, users):
    area = services.create_zone(user=users.officer, kind=ZoneKind.PRECAUTION, name="幸福里社区防范区",
                                reason="周边发现病例", areas=[district.community_a.pk])
    building = services.create_zone(user=users.officer, kind=ZoneKind.SEALED, name="1号楼封控",
                                    reason="楼内阳性", buildings=[district.building_a1.pk])
    assert _zone_of(district.household_a101) == building
    assert _zone_of(district.household_a2_101) == area
    services.lift(building, user=users.officer, reason="14天无新增")
    assert _zone_of(district.household_a101) == area


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"compounds": []}, "compounds", "请至少选择一个区域、小区、楼栋或户"),
    ({"reason": " "}, "reason", "请填写划定原因"),
    ({"kind": "lifted"}, "kind", "请选择类型"),
    ({"kind": "red"}, "kind", "请选择类型"),
    ({"name": ""}, "name", "请填写区域名称"),
    ({"households": ["abc"]}, "households", "户编号应为数字"),
    ({"out_rule": OutRule.EVERY_N_DAYS, "out_every_days": 0}, "out_every_days", "出行间隔应为 1 到 14 天"),
])
def test_bad_zones_are_refused_in_chinese_and_write_nothing(district, users, fields, field, message):
    data = {"kind": ZoneKind.SEALED, "name": "幸福里小区", "reason": "阳性", "compounds": [district.compound_a.pk],
            **fields}
    with pytest.raises(ValidationError) as refused:
        services.create_zone(user=users.officer, **data)
    assert any(message in text for text in refused.value.message_dict[field])
    assert not RiskZone.objects.exists() and not ZoneHousehold.objects.exists() and not AuditEvent.objects.filter(
        object_type="zones.RiskZone").exists()


def test_a_compound_of_another_district_is_refused(district, users, foreign_compound):
    with pytest.raises(ValidationError) as refused:
        services.create_zone(user=users.officer, kind=ZoneKind.SEALED, name="外区", reason="阳性",
                             compounds=[district.compound_a.pk, foreign_compound.pk])
    assert refused.value.message_dict["compounds"] == ["小区不存在或不在您的管辖范围内"]
    assert not RiskZone.objects.exists()


def test_a_community_worker_cannot_draw_or_lift(district, users, sealed):
    with pytest.raises(PermissionDenied):
        seal(users.worker_a, district)
    with pytest.raises(PermissionDenied):
        services.lift(sealed, user=users.worker_a, reason="想解封")


def test_lifting_needs_a_reason_and_only_once(district, users, sealed):
    with pytest.raises(ValidationError) as refused:
        services.lift(sealed, user=users.officer, reason="  ")
    assert refused.value.message_dict["reason"] == ["请填写解封原因"]
    sealed.refresh_from_db()
    assert sealed.kind == ZoneKind.SEALED and ZoneHousehold.objects.count() == 3
    services.lift(sealed, user=users.officer, reason="解封")
    with pytest.raises(ValidationError):
        services.lift(sealed, user=users.officer, reason="再次解封")
    with pytest.raises(ValidationError):
        services.change_kind(sealed, user=users.officer, kind=ZoneKind.SEALED, reason="再封")


def test_a_kind_change_needs_another_kind_and_a_reason(district, users, sealed):
    for kind, reason, field in ((ZoneKind.SEALED, "同类型", "kind"), (ZoneKind.LIFTED, "绕过解封", "kind"),
                                (ZoneKind.CONTROLLED, "", "reason")):
        with pytest.raises(ValidationError) as refused:
            services.change_kind(sealed, user=users.officer, kind=kind, reason=reason)
        assert field in refused.value.message_dict
    assert ZoneChange.objects.filter(zone=sealed).count() == 1


# Exception passes -------------------------------------------------------------------------------------

def test_an_exception_pass_is_audited_and_lets_its_holder_pass_within_its_window(district, users, sealed):
    place = make_place(district.community_a, "幸福里小区北门", compound=district.compound_a)
    person = Person.objects.get(pk=district.person_a.pk)
    now = timezone.now()
    granted = services.grant_pass(person, user=users.officer, kind=PassKind.MEDICAL, reason="孕检",
                                  starts_at=now - datetime.timedelta(hours=1),
                                  ends_at=now + datetime.timedelta(hours=2))
    assert granted.zone == sealed and granted.approved_by == users.officer
    assert AuditEvent.objects.filter(object_type="zones.ExceptionPass", object_id=str(granted.pk)).exists()
    assert gate_verdict(person, place, now, declaration=None).reasons[-1].startswith("例外通行（就医）")
    later = Person.objects.get(pk=person.pk)
    assert gate_verdict(later, place, now + datetime.timedelta(hours=3)).verdict == Verdict.DENY
    services.revoke_pass(granted, user=users.officer)
    revoked = Person.objects.get(pk=person.pk)
    assert any("封控期间足不出户" in r for r in gate_verdict(revoked, place, now).reasons)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"reason": ""}, "reason", "请填写事由"),
    ({"ends_at": -1}, "ends_at", "结束时间应晚于开始时间"),
    ({"ends_at": 24 * 20}, "ends_at", "例外通行最长 14 天"),
    ({"kind": "shopping"}, "kind", "请选择类型"),
])
def test_bad_exception_passes_are_refused(district, users, sealed, fields, field, message):
    now = timezone.now()
    hours = fields.pop("ends_at", 4)
    data = {"kind": PassKind.DIALYSIS, "reason": "透析", "starts_at": now,
            "ends_at": now + datetime.timedelta(hours=hours), **fields}
    with pytest.raises(ValidationError) as refused:
        services.grant_pass(district.person_a, user=users.officer, **data)
    assert any(message in text for text in refused.value.message_dict[field])
    assert not ExceptionPass.objects.exists()


def test_no_exception_pass_outside_a_zone(district, users):
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        services.grant_pass(district.person_b, user=users.admin, kind=PassKind.MEDICAL, reason="就医",
                            starts_at=now, ends_at=now + datetime.timedelta(hours=1))
    assert "无需例外通行" in refused.value.message_dict["person"][0]


# Precaution: the going-out rule -------------------------------------------------------------------------

def test_every_n_days_gives_each_household_one_day_in_n():
    start = datetime.date(2026, 12, 1)
    days = [start + datetime.timedelta(days=n) for n in range(6)]
    for household in (7, 8):
        allowed = [day for day in days if services.may_go_out(start, OutRule.EVERY_N_DAYS, 3, household, day)]
        assert len(allowed) == 2 and (allowed[1] - allowed[0]).days == 3
        blocked = next(day for day in days if day not in allowed)
        assert services.next_day_out(start, OutRule.EVERY_N_DAYS, 3, household, blocked) in allowed


def test_odd_even_days_by_household_number():
    day = datetime.date(2026, 12, 3)
    assert services.may_go_out(day, OutRule.ODD_EVEN, 2, 11, day)
    assert not services.may_go_out(day, OutRule.ODD_EVEN, 2, 12, day)
    assert services.next_day_out(day, OutRule.ODD_EVEN, 2, 12, day) == datetime.date(2026, 12, 4)


def test_the_today_line_for_each_kind(district, users):
    zone = seal(users.officer, district, kind=ZoneKind.PRECAUTION, out_rule=OutRule.ODD_EVEN)
    today = datetime.date(2026, 12, 3)
    household = district.household_a101.pk
    odd = household % 2 == 1
    assert services.today_line(zone, household, today) == ("防范区：今日可出行" if odd else
                                                            "防范区：今日不可出行，下次可出行日 12月4日")
    zone.kind = ZoneKind.SEALED
    assert services.today_line(zone, household, today) == "封控区：足不出户，今日不可出行"


def test_a_household_added_to_a_sealed_building_joins_at_the_next_refresh(district, users, sealed):
    from fangkong.territory.models import Household
    from fangkong.zones.tasks import refresh_zones

    home = Household.objects.create(area=district.community_a, unit=district.unit_a1, floor=3, room="301",
                                    address="幸福里小区1号楼1单元301")
    assert _zone_of(home) is None
    assert refresh_zones() == 1
    assert _zone_of(home) == sealed
