"""The testing app's health-code facts (see fangkong/healthcode/facts.py): four bulk sources, each a
constant number of queries for any number of persons.

    test:negative       the person's latest negative result (at: its result time)
    test:positive       a positive single tube (at: its result time)
    test:pool_positive  member of a positive pool whose retest is still open
    test:overdue        not tested in the latest ended round of an active campaign covering their area
"""

import datetime
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.db import id_array
from fangkong.healthcode.facts import Fact, fact_source

from .models import CampaignState, Exemption, RetestTask, Round, Sample, Tube, TubeResult


def _when(at) -> str:
    return timezone.localtime(at).strftime("%m-%d %H:%M")


@fact_source
def test_results(person_ids):
    """Two queries: the persons' samples (by the person index), then those tubes that have a result (by
    primary key). Joining in SQL instead lets the plan hang on the tubes' result statistics, which a bulk
    result import has just made stale (bench/testing.py: 30 s instead of 0.05 s per 5,000 persons)."""
    tubes_of = defaultdict(list)
    samples = Sample.objects.filter(person_id__in=id_array(person_ids)).values_list("person_id", "tube_id").order_by()
    for person_id, tube_id in samples:
        tubes_of[person_id].append(tube_id)
    tube_ids = {tube_id for ids in tubes_of.values() for tube_id in ids}
    results = {pk: (result, at, size) for pk, result, at, size in Tube.objects.filter(
        pk__in=id_array(tube_ids), result__in=[TubeResult.NEGATIVE, TubeResult.POSITIVE]).values_list(
        "pk", "result", "result_at", "pool_size").order_by()} if tube_ids else {}
    found = defaultdict(list)
    for person_id, ids in tubes_of.items():
        negative = max((results[t][1] for t in ids if t in results and results[t][0] == TubeResult.NEGATIVE),
                       default=None)
        positive = max((results[t][1] for t in ids if t in results and results[t][0] == TubeResult.POSITIVE
                        and results[t][2] == 1), default=None)
        if negative is not None:
            found[person_id].append(Fact("test:negative", negative, _("核酸阴性（%(at)s）") % {"at": _when(negative)}))
        if positive is not None:
            found[person_id].append(Fact("test:positive", positive,
                                         _("核酸检测阳性（%(at)s）") % {"at": _when(positive)}))
    return found


@fact_source
def open_retests(person_ids):
    """One query: members of positive pools not yet resolved by a single-tube retest."""
    found = defaultdict(list)
    rows = RetestTask.objects.open().filter(person_id__in=id_array(person_ids)).values_list("person_id", "created_at")
    for person_id, at in rows.order_by():
        if person_id not in found:
            found[person_id].append(Fact("test:pool_positive", at, _("混管阳性，请尽快复检")))
    return found


@fact_source
def overdue_tests(person_ids):
    """Four queries: the latest ended round of every active campaign, the persons' areas, their samples in
    those rounds and their exemptions. A person registered after the round's day was not due."""
    today = timezone.localdate()
    latest = {}
    rounds = (Round.objects.filter(campaign__state=CampaignState.ACTIVE, day__lt=today)
              .values_list("pk", "campaign_id", "number", "day", "campaign__name", "campaign__area__path")
              .order_by("campaign_id", "number"))
    for row in rounds:
        latest[row[1]] = row  # the last one per campaign wins
    if not latest:
        return {}
    from fangkong.people.models import Person

    persons = (Person.objects.filter(pk__in=id_array(person_ids))
               .values_list("pk", "area__path", "created_at").order_by())
    round_ids = [row[0] for row in latest.values()]
    sampled = set(Sample.objects.filter(round_id__in=round_ids, person_id__in=id_array(person_ids))
                  .values_list("round_id", "person_id").order_by())
    exempt = set(Exemption.objects.filter(campaign_id__in=list(latest), person_id__in=id_array(person_ids))
                 .values_list("campaign_id", "person_id").order_by())
    found = defaultdict(list)
    for person_id, path, created_at in persons:
        for round_id, campaign_id, number, day, name, campaign_path in latest.values():
            if (not path.startswith(campaign_path) or (round_id, person_id) in sampled
                    or (campaign_id, person_id) in exempt or timezone.localdate(created_at) > day):
                continue
            at = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))
            found[person_id].append(Fact("test:overdue", at, _("%(campaign)s第%(n)d轮（%(day)s）未检测") % {
                "campaign": name, "n": number, "day": f"{day.month}月{day.day}日"}))
    return found
