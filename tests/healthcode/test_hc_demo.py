"""The health-code demo on top of the small demo district: colours for everyone, one pending and one approved
override, a district-wide green-only policy for organisation places, printed pass cards for the oldest
residents; safe to run twice."""

import random
from io import StringIO

from django.core.management import call_command

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.healthcode import demo, passcode
from fangkong.healthcode.models import ColourRequirement, HealthStatus, Override, OverrideState, PassCard, PlacePolicy
from fangkong.people.models import Person
from fangkong.territory.models import Area, AreaLevel


def test_the_demo_builds_health_codes_once(db):
    call_command("demo_district", "--size", "small", stdout=StringIO())
    district = Area.objects.get(level=AreaLevel.DISTRICT, name="东湖示范区")
    users = [(user, Role(user.groups.get().name)) for user in User.objects.filter(groups__isnull=False)]
    for _ in range(2):
        demo.build(district, random.Random(6), users)
    assert HealthStatus.objects.count() == Person.objects.in_area(district).count()
    assert sorted(Override.objects.values_list("state", flat=True)) == [OverrideState.APPROVED, OverrideState.PENDING]
    approved = Override.objects.get(state=OverrideState.APPROVED)
    assert approved.decided_by != approved.requested_by
    assert HealthStatus.objects.get(person=approved.person).colour == approved.colour
    policy = PlacePolicy.objects.get()
    assert (policy.area, policy.kind, policy.colour) == (district, "organisation", ColourRequirement.GREEN)
    cards = list(PassCard.objects.select_related("person"))
    assert len(cards) == 5 and len({card.person_id for card in cards}) == 5
    oldest = min(Person.objects.in_area(district).exclude(birth_date=None).values_list("birth_date", flat=True))
    assert oldest in {card.person.birth_date for card in cards}
    assert passcode.identify(passcode.card_code(cards[0])) == cards[0].person  # a card works at a gate
