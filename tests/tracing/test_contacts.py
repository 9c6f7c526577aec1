"""Co-location (时空伴随), household and workplace contacts, ranking, marks, secondary contacts."""

import datetime
import random

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.passes.models import Direction, Passage, Place
from fangkong.tracing import services
from fangkong.tracing.models import Contact, ContactKind, Mark, MarkChange
from tests.conftest import numbered_name
from tests.passes.office_helpers import passage

from .conftest import stay

M = datetime.timedelta(minutes=1)


def found(scene, users):
    trace = services.open_trace(scene.case, timezone.localdate(), user=users.officer)
    return trace, {c.person: c for c in services.contacts_of(trace)}


def test_a_stay_overlapping_the_widened_window_is_a_contact_and_one_beyond_it_is_not(
        district, users, scene, make_person):
    # The case: in the market from `at` for 60 minutes; the venue's margin widens it to at-30 .. at+90.
    inside = make_person("钱一", district.community_a)
    edge = make_person("孙二", district.community_a)
    beyond = make_person("周三", district.community_a)
    elsewhere = make_person("吴四", district.community_a)
    stay(inside, scene.market, scene.at + 10 * M, 20)  # 20 minutes inside
    stay(edge, scene.market, scene.at - 40 * M, 20)  # left 20 minutes before the case came: 10 min in the margin
    stay(beyond, scene.market, scene.at + 95 * M, 20)  # came 35 minutes after the case left
    stay(elsewhere, scene.gate, scene.at, 60)
    _trace, contacts = found(scene, users)
    assert contacts[inside].overlap_minutes == 20 and contacts[inside].kind == ContactKind.CO_LOCATION
    assert contacts[edge].overlap_minutes == 10
    assert beyond not in contacts and elsewhere not in contacts
    assert contacts[inside].place == scene.market


def test_contacts_are_ranked_by_overlap_minutes_then_household_and_workplace(district, users, scene, make_person):
    short = make_person("钱一", district.community_a)
    long = make_person("孙二", district.community_a)
    colleague = make_person("周三", district.community_a)
    for person, workplace in ((scene.case, "郑州第一棉纺厂"), (colleague, "郑州第一棉纺厂")):
        person.workplace = workplace
        person.save()
    household_member = make_person("王小明", district.community_a, household=district.household_a101)
    stay(short, scene.market, scene.at, 5)
    stay(long, scene.market, scene.at - 10 * M, 120)  # the whole widened window from at-10 on: 100 minutes
    _trace, contacts = found(scene, users)
    ranked = list(contacts)
    assert ranked[:2] == [long, short]
    assert contacts[long].overlap_minutes == 100
    assert contacts[household_member].kind == ContactKind.HOUSEHOLD
    assert contacts[colleague].kind == ContactKind.WORKPLACE
    assert ranked.index(household_member) < ranked.index(colleague)


def test_the_sql_search_agrees_with_the_orm_and_python_pairing_on_random_passages(district, users, scene, make_person):
    rng = random.Random(17)
    persons = [make_person(numbered_name("接触者", n), district.community_a) for n in range(25)]
    places = [scene.market, scene.gate, scene.far]
    start = scene.at - datetime.timedelta(hours=14)
    for _n in range(400):
        passage(rng.choice(persons), rng.choice(places), at=start + rng.randrange(28 * 60) * M,
                direction=rng.choice([Direction.IN, Direction.IN, Direction.OUT]))
    case_stays = [(1, scene.market, scene.at, scene.at + 60 * M), (2, scene.gate, scene.at + 3 * 60 * M,
                                                                   scene.at + 3 * 60 * M + 30 * M),
                  (3, scene.far, scene.at - 5 * 60 * M, scene.at - 4 * 60 * M)]
    windows = [(pk, place.pk, s, e) for pk, place, s, e in case_stays]
    by_sql = {f.person_id: (f.minutes, f.place_id, f.first_at) for f in services.co_location(windows, [scene.case.pk])}
    assert by_sql == orm_answer(windows, scene.case.pk)
    assert len(by_sql) > 5


def orm_answer(windows, case_id):
    """The same search from the ORM's rows: every passage at the places, paired in Python, overlaps summed."""
    import math

    rules = services.kind_rules()
    kinds = dict(Place.objects.values_list("pk", "kind"))
    rows = list(Passage.objects.exclude(person_id=case_id)
                .values_list("pk", "person_id", "place_id", "direction", "at"))
    stays = services.pair_stays(rows, {pk: rules[kind][0] for pk, kind in kinds.items()},
                                {pk: services.horizon(kind, rules[kind][0]) for pk, kind in kinds.items()})
    seconds, best, first = {}, {}, {}
    for visit, place_id, s, e in windows:
        margin = datetime.timedelta(minutes=rules[kinds[place_id]][1])
        lo, hi = s - margin, e + margin
        for stay_ in stays:
            if stay_.place_id == place_id and stay_.start < hi and stay_.end > lo:
                overlap = (min(stay_.end, hi) - max(stay_.start, lo)).total_seconds()
                person = stay_.person_id
                seconds[person] = seconds.get(person, 0) + overlap
                if person not in best or (overlap, -visit) > best[person][0]:
                    best[person] = ((overlap, -visit), place_id)
                first[person] = min(first.get(person, max(stay_.start, lo)), max(stay_.start, lo))
    return {person: (math.ceil(total / 60), best[person][1], first[person]) for person, total in seconds.items()}


def test_marks_are_kept_with_their_history(district, users, scene, make_person):
    other = make_person("钱一", district.community_a)
    stay(other, scene.market, scene.at, 30)
    trace, contacts = found(scene, users)
    contact = contacts[other]
    with pytest.raises(ValidationError):
        services.mark_contact(contact, Mark.NOT_CONTACT, note="", user=users.officer)
    services.mark_contact(contact, Mark.CLOSE, note="同一摊位购物", user=users.officer)
    services.mark_contact(contact, Mark.NOT_CONTACT, note="核实为错误扫码", user=users.officer)
    contact.refresh_from_db()
    assert contact.mark == Mark.NOT_CONTACT
    assert list(MarkChange.objects.filter(contact=contact).order_by("id").values_list("to_mark", "note")) == [
        (Mark.CLOSE, "同一摊位购物"), (Mark.NOT_CONTACT, "核实为错误扫码")]
    # A refreshed search keeps the marks.
    services.refresh_contacts(trace)
    contact.refresh_from_db()
    assert contact.mark == Mark.NOT_CONTACT


def test_secondary_contacts_are_found_one_level_deeper_from_confirmed_close_contacts(
        district, users, scene, make_person):
    close = make_person("钱一", district.community_a)
    unconfirmed = make_person("孙二", district.community_a)
    met_close = make_person("周三", district.community_a)
    met_unconfirmed = make_person("吴四", district.community_a)
    met_before = make_person("郑五", district.community_a)
    stay(close, scene.market, scene.at, 30)
    stay(unconfirmed, scene.market, scene.at, 30)
    stay(close, scene.far, scene.at + 5 * 60 * M, 20)
    stay(met_close, scene.far, scene.at + 5 * 60 * M + 5 * M, 10)
    stay(unconfirmed, scene.gate, scene.at + 5 * 60 * M, 20)
    stay(met_unconfirmed, scene.gate, scene.at + 5 * 60 * M, 20)
    stay(close, scene.gate, scene.at - 10 * 60 * M, 20)  # before meeting the case: no exposure yet
    stay(met_before, scene.gate, scene.at - 10 * 60 * M, 20)
    trace, contacts = found(scene, users)
    services.mark_contact(contacts[close], Mark.CLOSE, user=users.officer)
    assert services.expand_secondary(trace, user=users.officer) == 1
    secondary = Contact.objects.get(trace=trace, level=2)
    assert secondary.person == met_close and secondary.via == contacts[close]
    assert secondary.overlap_minutes == 10
    assert services.expand_secondary(trace, user=users.officer) == 0  # known persons are not repeated


def test_a_district_admin_widens_a_kinds_margin_and_a_worker_may_not(district, users, scene, make_person):
    from django.core.exceptions import PermissionDenied

    late = make_person("钱一", district.community_a)
    stay(late, scene.market, scene.at + 100 * M, 10)  # 40 minutes after the case left: beyond the default 30
    assert late not in found(scene, users)[1]
    with pytest.raises(PermissionDenied):
        services.set_kind_rule("venue", 60, 45, user=users.officer)
    with pytest.raises(ValidationError):
        services.set_kind_rule("venue", 2000, 45, user=users.admin)
    services.set_kind_rule("venue", 60, 45, user=users.admin)
    assert found(scene, users)[1][late].overlap_minutes == 5


def test_co_workers_come_from_the_enterprise_roster_and_the_workplace_text_each_once(
        district, users, scene, make_person):
    from fangkong.enterprises.models import Employee, Enterprise

    factory = Enterprise.objects.create(name="幸福里食品厂", credit_code="91350100M000100Y43",
                                        area=district.community_a)
    other = Enterprise.objects.create(name="李庄物流园", credit_code="91410100MA40000X1A",
                                      area=district.community_b)
    on_roster = make_person("钱一", district.community_a)
    left = make_person("孙二", district.community_a)
    both = make_person("周三", district.community_a)  # on the roster and with the same workplace text
    elsewhere = make_person("吴四", district.community_a)
    home = make_person("王小明", district.community_a, household=district.household_a101)  # household and roster
    scene.case.workplace = "幸福里食品厂"
    scene.case.save()
    both.workplace = "幸福里食品厂"
    both.save()
    for person in (scene.case, on_roster, both, home):
        Employee.objects.create(enterprise=factory, person=person)
    Employee.objects.create(enterprise=factory, person=left, active=False)
    Employee.objects.create(enterprise=other, person=elsewhere)
    trace, contacts = found(scene, users)
    assert contacts[on_roster].kind == ContactKind.WORKPLACE and contacts[both].kind == ContactKind.WORKPLACE
    assert contacts[home].kind == ContactKind.HOUSEHOLD
    assert left not in contacts and elsewhere not in contacts and scene.case not in contacts
    assert trace.contacts.filter(person=both).count() == 1
    # The tracer's search again (a visit changed) keeps them once.
    services.refresh_contacts(trace)
    assert trace.contacts.filter(person__in=[on_roster, both, home]).count() == 3


def test_an_entry_and_exit_pair_only_within_the_place_kinds_longest_stay(district, users, scene, make_person):
    # Three hours between entry and exit: one stay at a compound gate (12 h), two passings at a checkpoint (2 h).
    at_gate = make_person("钱一", district.community_a)
    at_checkpoint = make_person("孙二", district.community_b)
    start = scene.at - datetime.timedelta(hours=30)
    stay(at_gate, scene.gate, start, 180)
    stay(at_checkpoint, scene.far, start, 180)
    gate_stays = services.stays_of(at_gate.pk, start - M, start + M)
    assert [(s.start, s.end, s.assumed) for s in gate_stays] == [(start, start + 180 * M, False)]
    passings = services.stays_of(at_checkpoint.pk, start - 60 * M, start + 240 * M)
    assert [(s.start, s.end, s.assumed) for s in passings] == [
        (start, start + 10 * M, True), (start + 170 * M, start + 180 * M, True)]
    # The search agrees: a case at the checkpoint in the middle of those three hours meets no one there.
    middle = [(1, scene.far.pk, start + 80 * M, start + 100 * M)]
    assert services.co_location(middle, [scene.case.pk]) == []
    at_edge = [(1, scene.far.pk, start + 20 * M, start + 30 * M)]  # widened by 30 minutes: meets the entry
    assert [f.person_id for f in services.co_location(at_edge, [scene.case.pk])] == [at_checkpoint.pk]
    # A default stay set longer than the kind's horizon widens it: the default stay always fits.
    services.set_kind_rule("checkpoint", 240, 30, user=users.admin)
    assert services.horizon("checkpoint", 240) == 240 * M
    assert [(s.start, s.end) for s in services.stays_of(at_checkpoint.pk, start - M, start + M)] == [
        (start, start + 180 * M)]
