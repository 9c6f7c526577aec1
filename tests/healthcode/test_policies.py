"""Place policies through the one gate verdict function: colour, test windows, sealed zone, temperature,
which policy applies (place > kind of place in an area > area, nearest area) and when."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.healthcode import services
from fangkong.healthcode.models import ColourRequirement, PlacePolicy
from fangkong.passes.models import PlaceKind, Verdict
from fangkong.passes.verdict import gate_verdict
from tests.conftest import declare
from tests.healthcode.helpers import EXTRA_FACTS, add_fact, negative_test, screen
from tests.passes.office_helpers import make_place

pytestmark = pytest.mark.without_thermometer


@pytest.fixture(autouse=True)
def _no_extra_facts():
    EXTRA_FACTS.clear()
    yield
    EXTRA_FACTS.clear()


def policy(users, area, *, place=None, kind="", days=(0, None), **fields):
    today = timezone.localdate()
    starts = today + datetime.timedelta(days=days[0])
    ends = today + datetime.timedelta(days=days[1]) if days[1] is not None else None
    return services.save_policy(None, user=users.admin, name=fields.pop("name", "测试政策"), area=area, place=place,
                                kind=kind, starts_on=starts, ends_on=ends,
                                **{"colour": ColourRequirement.ANY, "no_sealed_zone": False, **fields})


def verdict(person, place, temperature=None, at=None):
    services.recompute([person.pk])
    return gate_verdict(person, place, at or timezone.now(), temperature=temperature, declaration=declare(person))


def test_without_a_policy_red_is_denied_and_yellow_warned(district, users, gate):
    screen(district.person_a, "close_contact", users.worker_a)
    screen(district.person_a_neighbour, "spatiotemporal", users.worker_a)
    red = verdict(district.person_a, gate)
    assert red.verdict == Verdict.DENY
    assert [r for r in red.reasons if r.startswith("红码")] == [red.reasons[0]]
    assert red.reasons[0].startswith("红码：重点人员：密切接触者")
    # The key-person provider no longer reports what the health code covers: one reason, not two.
    assert not any(r.startswith("重点人员（") for r in red.reasons)
    yellow = verdict(district.person_a_neighbour, gate)
    assert yellow.verdict == Verdict.WARN and yellow.reasons[0].startswith("黄码：重点人员：时空伴随者")
    assert verdict(district.person_b, gate).verdict == Verdict.ALLOW


def test_a_deny_category_that_a_rule_colours_yellow_still_denies(district, users, gate):
    # 次密切接触者: the rule gives a yellow code (a warning by itself); the category says 禁止通行.
    screen(district.person_a, "secondary_contact", users.worker_a)
    decision = verdict(district.person_a, gate)
    assert decision.verdict == Verdict.DENY
    assert decision.reasons[0].startswith("黄码：重点人员：次密切接触者")
    assert decision.reasons[1] == "重点人员（次密切接触者），管控期间不能通行，请联系社区"


@pytest.mark.parametrize("hours,expected", [(24, Verdict.DENY), (48, Verdict.ALLOW), (72, Verdict.ALLOW)])
def test_a_negative_test_30_hours_ago_against_24_48_72_hour_policies(district, users, gate, hours, expected):
    policy(users, district.district, test_within_hours=hours)
    negative_test(district.person_a, hours_ago=30)
    decision = verdict(district.person_a, gate)
    assert decision.verdict == expected
    if expected == Verdict.DENY:
        assert decision.reasons == ["无 24 小时内核酸阴性证明"]


def test_no_test_at_all_is_denied_where_a_test_is_required(district, users, gate):
    policy(users, district.community_a, test_within_hours=72)
    assert verdict(district.person_a, gate).reasons == ["无 72 小时内核酸阴性证明"]


def test_green_only_denies_yellow_with_its_reasons(district, users, gate):
    policy(users, district.district, colour=ColourRequirement.GREEN)
    screen(district.person_a, "fever", users.worker_a)
    decision = verdict(district.person_a, gate)
    assert decision.verdict == Verdict.DENY and decision.reasons[0].startswith("黄码：重点人员：发热人员")


def test_sealed_zone_and_temperature_requirements(district, users, gate):
    policy(users, district.district, no_sealed_zone=True, require_temperature=True)
    add_fact(district.person_a, "zone:sealed", timezone.now(), "幸福里小区封控")
    decision = verdict(district.person_a, gate, temperature="36.5")
    assert "封控区人员，不能通行" in decision.reasons and decision.verdict == Verdict.DENY
    decision = verdict(district.person_b, gate)
    assert decision.reasons == ["该场所必须测温，请工作人员测温后登记"]
    assert verdict(district.person_b, gate, temperature="36.4").verdict == Verdict.ALLOW


def test_place_beats_kind_beats_area_and_the_nearest_area_wins(district, users, gate):
    organisation = make_place(district.community_a, "区政府机关", kind=PlaceKind.ORGANISATION)
    other = make_place(district.community_b, "李庄村口", kind=PlaceKind.CHECKPOINT)
    negative_test(district.person_a, hours_ago=30)
    person = district.person_a

    def rule_at(place):
        found = services.policy_in_force(place)
        return found.name if found else None

    policy(users, district.district, name="全区72小时", test_within_hours=72)
    assert {rule_at(gate), rule_at(organisation), rule_at(other)} == {"全区72小时"}
    policy(users, district.subdistrict, name="东风街道48小时", test_within_hours=48)
    assert (rule_at(gate), rule_at(other)) == ("东风街道48小时", "全区72小时")
    policy(users, district.district, name="机关24小时", kind=PlaceKind.ORGANISATION, test_within_hours=24)
    assert (rule_at(gate), rule_at(organisation)) == ("东风街道48小时", "机关24小时")
    assert verdict(person, organisation, temperature="36.5").reasons == ["无 24 小时内核酸阴性证明"]
    policy(users, district.community_a, name="北门仅绿码", place=gate, colour=ColourRequirement.GREEN)
    assert rule_at(gate) == "北门仅绿码"
    assert PlacePolicy.objects.get(name="北门仅绿码").area == district.community_a
    assert verdict(person, gate).verdict == Verdict.ALLOW


def test_only_policies_in_force_on_the_day_apply(district, users, gate):
    policy(users, district.district, name="下周起", test_within_hours=24, days=(7, None))
    policy(users, district.district, name="上周", test_within_hours=24, days=(-10, -3))
    assert services.policy_in_force(gate) is None
    assert verdict(district.person_a, gate).verdict == Verdict.ALLOW
    next_week = timezone.now() + datetime.timedelta(days=8)
    assert services.policy_in_force(gate, next_week).name == "下周起"
    assert gate_verdict(district.person_a, gate, next_week).verdict == Verdict.DENY


def test_a_saved_policy_reaches_the_gate_at_once(district, users, gate, django_capture_on_commit_callbacks):
    assert services.policy_in_force(gate) is None  # cached for a minute...
    with django_capture_on_commit_callbacks(execute=True):
        policy(users, district.district, name="全区仅绿码", colour=ColourRequirement.GREEN)
    assert services.policy_in_force(gate).name == "全区仅绿码"  # ...but a save clears the cache


def test_bad_policies_are_refused_and_scope_is_checked(district, users, gate):
    with pytest.raises(ValidationError) as error:
        policy(users, district.district, name=" ", days=(3, 1))
    assert set(error.value.message_dict) == {"name", "ends_on"}
    with pytest.raises(ValidationError) as error:
        services.save_policy(None, user=users.officer, name="越权", area=district.subdistrict2,
                             starts_on=timezone.localdate())
    assert error.value.message_dict == {"area": ["只能为本辖区设置政策"]}
    assert not PlacePolicy.objects.exists()


def test_the_verdict_reads_the_status_with_one_query(district, users, gate, django_assert_num_queries):
    from fangkong.people.models import Person

    screen(district.person_b, "close_contact", users.worker_b)
    services.recompute([district.person_b.pk])
    # Warm the per-place policy, rule and category caches, as a busy gate has them.
    from fangkong.screening.services import gate_effects

    services.policy_in_force(gate)
    services.covered_fact_kinds()
    gate_effects()
    person = Person.objects.select_related("health_status__override").get(pk=district.person_b.pk)
    from fangkong.healthcode.verdict import health_code
    from fangkong.passes.verdict import GateDecision

    decision = GateDecision()
    with django_assert_num_queries(0):
        health_code(person, gate, timezone.now(), decision)
    assert decision.verdict == Verdict.DENY
    with django_assert_num_queries(1):
        health_code(district.person_b, gate, timezone.now(), GateDecision())
