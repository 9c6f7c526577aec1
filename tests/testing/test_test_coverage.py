"""应检尽检 on the small district, counted by hand; and who may see what.

The campaign covers 东风街道: 幸福里社区 (王秀英 and 王志强 in 1号楼, 张子涵 in 2号楼) and 新华社区 (赵丽).
王秀英 and 王志强 are tested in round 1, 赵丽 is exempt, 李建国 (李庄村, outside) is tested too.
So: 应检 3, 已检 2, 未检 1 (张子涵), 免检 1.
"""

import datetime

import pytest
from django.utils import timezone

from fangkong.healthcode.facts import facts_for
from fangkong.testing import services
from fangkong.testing.models import Round
from tests.testing.helpers import fill


@pytest.fixture
def tested(setup, district, users):
    fill(services.register_tube(setup.site, "C-0001", setup.sampler),
         [district.person_a, district.person_a_neighbour, district.person_b], setup.sampler)
    services.exempt(setup.campaign, district.person_c, "长期卧床", users.officer)
    return setup


def figures(row):
    return (row.should, row.tested, row.not_tested, row.exempt)


def test_coverage_counts_by_hand(tested, district, users):
    total, rows = services.coverage(tested.campaign, tested.round, users.officer)
    assert figures(total) == (3, 2, 1, 1)
    assert {row.label: figures(row) for row in rows} == {"幸福里社区": (3, 2, 1, 0), "新华社区": (0, 0, 0, 1)}
    total, rows = services.coverage(tested.campaign, tested.round, users.officer, district.community_a)
    assert {row.label: figures(row) for row in rows} == {"幸福里小区1号楼": (2, 2, 0, 0),
                                                         "幸福里小区2号楼": (1, 0, 1, 0)}
    missing = services.not_tested(tested.campaign, tested.round, users.officer)
    assert list(missing) == [district.person_a_other_grid]


def test_a_grid_worker_counts_and_chases_only_their_grid(tested, district, users, client_for):
    total, _rows = services.coverage(tested.campaign, tested.round, users.grid_worker)
    assert figures(total) == (2, 2, 0, 0)
    page = client_for(users.grid_worker).get(f"/testing/{tested.campaign.pk}/coverage/")
    assert page.status_code == 200
    assert "张*涵" not in page.content.decode()


def test_the_coverage_page_lists_who_was_not_tested_masked(tested, district, users, client_for):
    client = client_for(users.officer)
    page = client.get(f"/testing/{tested.campaign.pk}/coverage/?area={district.community_a.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "张*涵" in html and "幸福里小区2号楼1单元101" in html
    assert district.numbers["a_other_grid"] not in html
    assert 'id="hourly-data"' in html and "vendor/echarts.min.js" in html
    # Scans per hour: three samples in this hour at the site.
    chart = services.hourly(tested.campaign, tested.round, users.officer)
    assert chart["sites"][0]["site"] == "幸福里小区北门采样点" and chart["sites"][0]["total"] == 3
    assert sum(chart["totals"]) == 3
    # An area outside the campaign is not there.
    assert client.get(f"/testing/{tested.campaign.pk}/coverage/?area={district.community_b.pk}").status_code == 404
    api = client.get(f"/api/testing/campaigns/{tested.campaign.pk}/coverage/")
    assert api.status_code == 200 and api.json()["total"]["not_tested"] == 1


def test_overdue_fact_after_a_round_has_ended(tested, district):
    Round.objects.filter(pk=tested.round.pk).update(day=timezone.localdate() - datetime.timedelta(days=1))
    from fangkong.people.models import Person

    Person.objects.filter(pk=district.person_a_other_grid.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=5))
    facts = facts_for([p.pk for p in district.persons_a] + [district.person_c.pk])
    overdue = {pk for pk, found in facts.items() for fact in found if fact.kind == "test:overdue"}
    assert overdue == {district.person_a_other_grid.pk}


def test_lab_staff_see_only_their_own_campaign(tested, district, client_for):
    other = fill(services.register_tube(tested.other_site, "B-0001", tested.other_sampler), [district.person_b],
                 tested.other_sampler)
    client = client_for(tested.sampler)
    assert client.get(f"/testing/sites/{tested.site.pk}/").status_code == 200
    for url in (f"/testing/{tested.other_campaign.pk}/", f"/testing/sites/{tested.other_site.pk}/",
                f"/testing/sites/{tested.other_site.pk}/retests/", f"/api/testing/tubes/{other.pk}/",
                f"/api/testing/tubes/{other.pk}/samples/", f"/api/testing/sites/{tested.other_site.pk}/",
                f"/api/testing/campaigns/{tested.other_campaign.pk}/"):
        assert client.get(url).status_code == 404, url
    listed = client.get("/api/testing/campaigns/").json()
    assert [c["id"] for c in listed["results"]] == [tested.campaign.pk]
    # Nor the persons of the ledger, whatever the id.
    assert client.get(f"/api/persons/{district.person_b.pk}/").status_code in (403, 404)
    assert client.get(f"/api/persons/{district.person_a.pk}/").status_code in (403, 404)
