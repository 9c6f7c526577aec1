"""The demo's places and passages: the figures the back office shows, and a checkpoint that is busy now."""

import random
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from fangkong.passes import demo
from fangkong.passes.models import Passage, Place
from fangkong.people.models import Person
from tests.passes.office_helpers import checkpoint_user


def test_the_demo_builds_its_figures_and_a_live_checkpoint(district, users):
    guard = checkpoint_user("demo_guard", district.community_a)
    demo.build(district.district, "small", random.Random(3), checkpoint_user=guard)
    places, with_passages, passages, at_government = demo.FIGURES["small"]
    assert Place.objects.count() == places
    assert Passage.objects.values("place").distinct().count() == with_passages
    assert Passage.objects.count() == passages
    assert Passage.objects.filter(place__name__endswith="政府大院").count() == at_government
    post = guard.checkpoint_places.get()
    recent = Passage.objects.filter(place=post, at__gte=timezone.now() - timedelta(hours=1))
    assert recent.count() >= demo.LIVE_PASSAGES
    assert not Passage.objects.filter(at__gt=timezone.now()).exists()
    # Every place applied before it was reviewed, and its code opened gates from the review on.
    assert not Place.objects.filter(applied_at__gte=F("decided_at")).exists()
    assert not Place.objects.exclude(code_issued_at=F("decided_at")).exists()
    # Visitors who declared at a place code: listed apart, counted as nobody's residents.
    assert Person.objects.visitors().count() == demo.VISITORS["small"]
    assert not Person.objects.visitors().exclude(household=None).exists()
    demo.build(district.district, "small", random.Random(3), checkpoint_user=guard)  # a second run adds nothing
    assert Passage.objects.count() == passages


def test_the_demo_enterprise_admin_looks_after_its_communitys_enterprise_gates(district, users):
    from fangkong.accounts.roles import Role
    from fangkong.passes.models import PlaceKind
    from tests.passes.office_helpers import staff_user

    demo.build(district.district, "small", random.Random(3))
    admin = staff_user("demo_enterprise", Role.ENTERPRISE_ADMIN, district.community_a)
    demo.give_enterprise_gates(admin)
    demo.give_enterprise_gates(admin)  # a rerun changes nothing
    gates = Place.objects.filter(area=district.community_a, kind=PlaceKind.ENTERPRISE_GATE)
    assert gates.exists()
    assert set(Place.objects.visible_to(admin)) == set(gates)
