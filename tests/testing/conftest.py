"""A running campaign over 东风街道 (communities A and C of the shared district), a site in A with a
sampler (lab staff), and helpers to fill tubes."""

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone


@dataclass
class Setup:
    campaign: object
    round: object
    site: object
    sampler: object
    other_campaign: object
    other_site: object
    other_sampler: object


@pytest.fixture
def setup(district, users):
    from fangkong.accounts.roles import Role
    from fangkong.testing import services
    from fangkong.testing.models import Duty
    from tests.conftest import make_user

    today = timezone.localdate()
    campaign = services.create_campaign(name="东风街道全员核酸", area=district.subdistrict, starts_on=today,
                                        ends_on=today + datetime.timedelta(days=2), user=users.officer)
    site = services.create_site(campaign, name="幸福里小区北门采样点", area=district.community_a, user=users.officer)
    # Lab and sampling staff are bound to their sites, not to an area of the ledger.
    sampler = make_user("sampler", Role.LAB_STAFF, None, full_name="采样员甲")
    services.add_team_member(site, sampler, Duty.SAMPLER, users.officer)
    other = services.create_campaign(name="李庄村核酸", area=district.subdistrict2, starts_on=today, ends_on=today,
                                     user=users.admin)
    other_site = services.create_site(other, name="李庄村委会采样点", area=district.community_b, user=users.admin)
    other_sampler = make_user("sampler_b", Role.LAB_STAFF, None, full_name="采样员乙")
    services.add_team_member(other_site, other_sampler, Duty.SAMPLER, users.admin)
    return Setup(campaign, campaign.rounds.get(number=1), site, sampler, other, other_site, other_sampler)
