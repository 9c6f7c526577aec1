"""Facts for health-code tests: plain functions, so that every test module can import them."""

import datetime

from django.utils import timezone

from fangkong.healthcode.facts import SOURCES, Fact, fact_source
from fangkong.screening import services as screening
from fangkong.screening.models import Category

# Test facts (test:*, zone:*) that the testing and zone apps provide in production: a source registered
# once for the whole run that answers from this dict, which each test fills and empties.
EXTRA_FACTS: dict[int, list[Fact]] = {}


def _extra_facts(person_ids):
    return {pk: list(EXTRA_FACTS[pk]) for pk in person_ids if pk in EXTRA_FACTS}


if _extra_facts not in SOURCES:
    fact_source(_extra_facts)


def add_fact(person, kind, at, reason=""):
    EXTRA_FACTS.setdefault(person.pk, []).append(Fact(kind, at, reason or kind))


def negative_test(person, hours_ago, now=None):
    now = now or timezone.now()
    add_fact(person, "test:negative", now - datetime.timedelta(hours=hours_ago), "核酸阴性")


def screen(person, code, user, days_ago=0):
    return screening.open_screening(person, Category.objects.get(code=code), user=user,
                                    reported_on=screening.today() - datetime.timedelta(days=days_ago))
