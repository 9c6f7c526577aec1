"""The demo campaign builds on the shared district and shows what the pages need."""

import random

from fangkong.accounts.roles import Role
from fangkong.testing import demo
from fangkong.testing.models import Campaign, RetestTask, Sample, Tube, TubeResult


def test_the_demo_has_a_campaign_in_progress_with_positive_pools_and_retests(district, users):
    users_with_roles = [(users.admin, Role.DISTRICT_ADMIN), (users.officer, Role.SUBDISTRICT_OFFICER)]
    demo.build(district.district, random.Random(5), users_with_roles)
    campaign = Campaign.objects.get()
    assert campaign.sites.count() == 2 and campaign.rounds.count() == 3
    assert Tube.objects.filter(result=TubeResult.POSITIVE).exists()
    assert RetestTask.objects.exists()
    assert Sample.objects.filter(round__number=2).count() <= 4
    demo.build(district.district, random.Random(5), users_with_roles)  # idempotent
    assert Campaign.objects.count() == 1
