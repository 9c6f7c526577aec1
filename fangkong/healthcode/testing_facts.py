"""The health-code facts read from the testing app (see facts.py): three bulk sources, each a constant
number of queries for any number of persons.

    test:negative       the person's latest negative result (at: its result time)
    test:positive       a positive single tube (at: its result time)
    test:pool_positive  member of a positive pool whose retest is still open
    test:overdue        not tested in the latest ended round of an active campaign covering their area
"""

import datetime
from collections import defaultdict

from django.db import connection
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.db import id_array
from fangkong.testing.models import CampaignState, Exemption, RetestTask, Round, Sample, TubeResult

from .facts import Fact, fact_source


def _when(at) -> str:
    return timezone.localtime(at).strftime("%m-%d %H:%M")


@fact_source
def test_results(person_ids):
    """One query: each person's latest negative and latest positive single-tube result time, joined from the
    samples (by the person index) to their tubes (by primary key). The result filters sit in the aggregates,
    not in WHERE: a bulk result import has just made the tubes' result statistics stale, and a plan that
    trusted them took 30 s instead of 0.05 s per 5,000 persons (bench/testing.py)."""
    per_person = (Sample.objects.filter(person_id__in=id_array(person_ids)).values("person_id").order_by()
                  .annotate(negative=Max("tube__result_at", filter=Q(tube__result=TubeResult.NEGATIVE)),
                            positive=Max("tube__result_at", filter=Q(tube__result=TubeResult.POSITIVE,
                                                                     tube__pool_size=1))))
    found = {}
    for negative, positive, ids in _by_result_times(per_person):
        facts = []
        if negative is not None:
            facts.append(Fact("test:negative", negative, _("核酸阴性（%(at)s）") % {"at": _when(negative)}))
        if positive is not None:
            facts.append(Fact("test:positive", positive, _("核酸检测阳性（%(at)s）") % {"at": _when(positive)}))
        if facts:
            facts = tuple(facts)  # one immutable sequence shared by the group's persons
            for person_id in ids:
                found[person_id] = facts
    return found


def _by_result_times(per_person):
    """[(negative, positive, person ids)]: the persons grouped by their two result times. A lab's batch shares
    a few times, so PostgreSQL sends a few rows of id arrays rather than a row and a timestamp to parse per
    person (Django parses them in Python, 5 µs each: 5 s for a district's million results)."""
    sql, params = per_person.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT negative, positive, array_agg(person_id) FROM ({sql}) AS per_person GROUP BY 1, 2",
                       params)
        return cursor.fetchall()


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
    """The latest ended round of every active campaign (one query), then per such round one query for the
    persons due in it and not tested: in its area, registered by its day, neither sampled in it nor exempt.
    The checks run in SQL, so that a round everyone went to costs no rows."""
    today = timezone.localdate()
    latest = {}
    rounds = (Round.objects.filter(campaign__state=CampaignState.ACTIVE, day__lt=today)
              .values_list("pk", "campaign_id", "number", "day", "campaign__name", "campaign__area__path")
              .order_by("campaign_id", "number"))
    for row in rounds:
        latest[row[1]] = row  # the last one per campaign wins
    from fangkong.people.models import Person

    found = defaultdict(list)
    for round_id, campaign_id, number, day, name, campaign_path in latest.values():
        # Overdue from the end of the round's day; a person registered after that day was not due.
        at = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))
        reason = _("%(campaign)s第%(n)d轮（%(day)s）未检测") % {
            "campaign": name, "n": number, "day": f"{day.month}月{day.day}日"}
        due = (Person.objects.in_ledger().filter(pk__in=id_array(person_ids), area__path__startswith=campaign_path,
                                                 created_at__lt=at)
               .filter(~Exists(Sample.objects.filter(round_id=round_id, person_id=OuterRef("pk"))),
                       ~Exists(Exemption.objects.filter(campaign_id=campaign_id, person_id=OuterRef("pk"))))
               .values_list("pk", flat=True).order_by())
        for person_id in due:
            found[person_id].append(Fact("test:overdue", at, reason))
    return found
