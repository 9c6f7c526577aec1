"""Key persons at the gate: an open screening in a deny/warn category decides the verdict, in every channel.

Categories that a health-code rule colours (密切接触者 → 红码) are reported by the health code, once."""

import datetime

import pytest
from django.utils import timezone

from fangkong.passes.models import Channel, Passage, Verdict
from fangkong.passes.verdict import gate_verdict
from fangkong.screening import services
from fangkong.screening.models import Category, State
from tests.conftest import declare
from tests.passes.office_helpers import checkpoint_user

pytestmark = pytest.mark.without_thermometer


def names(reasons, category):
    """The reasons that name the category: the screening provider's, or the health code's where a rule
    turns the category into a colour (e.g. 红码：重点人员：密切接触者)."""
    return [reason for reason in reasons if category in reason]


def verdict_of(person, gate):
    return gate_verdict(person, gate, timezone.now(), declaration=declare(person))


def test_close_contact_is_denied_returnee_warned_released_allowed(
        district, users, gate, django_capture_on_commit_callbacks):
    # The health code recomputes a person's status when the screening's transaction commits.
    commits = django_capture_on_commit_callbacks
    person = district.person_a
    assert verdict_of(person, gate).verdict == Verdict.ALLOW
    with commits(execute=True):
        contact = services.open_screening(person, Category.objects.get(code="close_contact"), user=users.worker_a)
    decision = verdict_of(person, gate)
    assert (decision.verdict, decision.allowed) == (Verdict.DENY, False)
    assert names(decision.reasons, "密切接触者")

    neighbour = district.person_a_neighbour
    with commits(execute=True):
        services.open_screening(neighbour, Category.objects.get(code="return_province"), user=users.worker_a)
    decision = verdict_of(neighbour, gate)
    assert (decision.verdict, decision.allowed) == (Verdict.WARN, True)
    assert names(decision.reasons, "省外返回人员")

    for state, reason in ((State.VERIFIED, "已核实"), (State.UNDER_CONTROL, "集中隔离"), (State.RELEASED, "期满解除")):
        with commits(execute=True):
            services.change_state(contact, state, reason, user=users.worker_a)
    decision = verdict_of(person, gate)
    assert decision.verdict == Verdict.ALLOW and not names(decision.reasons, "密切接触者")


def test_categories_without_a_gate_effect_do_not_stop_anyone(district, users, gate):
    services.open_screening(district.person_a, Category.objects.get(code="cold_chain"), user=users.worker_a)
    assert verdict_of(district.person_a, gate).verdict == Verdict.ALLOW


def test_the_checkpoint_station_records_the_key_persons_verdict(district, users, client_for, gate):
    guard = checkpoint_user("guard_a", district.community_a, gate)
    services.open_screening(district.person_a, Category.objects.get(code="close_contact"), user=users.worker_a,
                            reported_on=services.today() - datetime.timedelta(days=1))
    services.open_screening(district.person_a_neighbour, Category.objects.get(code="return_province"),
                            user=users.worker_a)
    station = client_for(guard)
    for number, name, token in ((district.numbers["a"], "王秀英", "a" * 32),
                                (district.numbers["a_neighbour"], "王志强", "b" * 32)):
        response = station.post(f"/station/{gate.pk}/assist/", {
            "id_type": "resident_id", "id_number": number, "name": name, "phone": "", "temperature": "36.5",
            "direction": "in", "visited_risk_area": "no", "has_symptoms": "no", "had_contact": "no", "consent": "on",
            "token": token})
        assert response.status_code == 302, response.content.decode()[-1500:]
    denied = Passage.objects.get(person=district.person_a)
    assert (denied.verdict, denied.channel, denied.recorder) == (Verdict.DENY, Channel.ASSISTED, guard)
    assert names(denied.reasons, "密切接触者")
    warned = Passage.objects.get(person=district.person_a_neighbour)
    assert warned.verdict == Verdict.WARN and names(warned.reasons, "省外返回人员")
