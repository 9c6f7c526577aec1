"""The tracing demo on top of the small demo district: a case with visits, co-located contacts partly judged,
two acted on, risk places; safe to run twice."""

import random
from io import StringIO

from django.core.management import call_command

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.isolation.models import IsolationOrder
from fangkong.screening.models import Screening
from fangkong.territory.models import Area, AreaLevel
from fangkong.tracing import demo
from fangkong.tracing.models import Contact, ContactKind, ContactTask, Mark, MarkChange, RiskPlace, Trace


def test_the_demo_builds_one_trace_with_judged_and_acted_contacts_once(db):
    call_command("demo_district", "--size", "small", stdout=StringIO())
    district = Area.objects.get(level=AreaLevel.DISTRICT, name="东湖示范区")
    users = [(user, Role(user.groups.get().name)) for user in User.objects.filter(groups__isnull=False)]
    demo.build(district, random.Random(7), users)  # a second run changes nothing
    trace = Trace.objects.get()
    visits = trace.visits.count()  # the three demo stays, and whatever the passes demo gave the case
    assert visits >= 3 and RiskPlace.objects.filter(trace=trace, active=True).count() == visits
    co_located = Contact.objects.filter(trace=trace, kind=ContactKind.CO_LOCATION)
    assert co_located.count() >= 9 and co_located.filter(overlap_minutes__gt=0).count() == co_located.count()
    marks = set(Contact.objects.filter(trace=trace).values_list("mark", flat=True))
    assert {Mark.CLOSE, Mark.SECONDARY, Mark.NOT_CONTACT, Mark.UNDECIDED} <= marks
    assert MarkChange.objects.filter(contact__trace=trace).exclude(note="").count() == 4
    acted = list(Contact.objects.filter(trace=trace, acted_at__isnull=False).values_list("person_id", flat=True))
    assert len(acted) == 2 and ContactTask.objects.filter(person_id__in=acted).count() == 2
    assert IsolationOrder.objects.filter(person_id__in=acted).count() == 2
    assert Screening.objects.filter(person_id__in=acted).count() >= 2
