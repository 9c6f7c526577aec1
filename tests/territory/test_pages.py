"""Territory pages: the tree with counts, records edited within scope only."""

import pytest

from fangkong.territory.models import Area, Household
from tests import viewtests


class TestHouseholdPages(viewtests.ListTests, viewtests.DetailTests, viewtests.OutsideScopeTests,
                         viewtests.CreateTests, viewtests.EditTests):
    viewer = creator = editor = "worker_a"
    list_url = "/territory/households/"
    detail_url = "/territory/households/{pk}/"
    create_url = "/territory/household/new/"
    edit_url = "/territory/household/{pk}/edit/"
    outside_requests = ["/territory/households/{pk}/", "/territory/household/{pk}/edit/",
                        ("POST", "/territory/household/{pk}/edit/", {"address": "越界1号"})]

    inside = viewtests.pick("district", "household_a102")
    outside = viewtests.pick("district", "household_b")

    @pytest.fixture
    def create_data(self, district):
        return {"area": district.community_a.pk, "grid": district.grid_a2.pk, "address": "幸福里平房3号"}

    def created(self, data):
        return Household.objects.get(address=data["address"])

    @pytest.fixture
    def edit_data(self, inside):
        return {"area": inside.area_id, "grid": inside.grid_id, "unit": inside.unit_id, "floor": "1", "room": "102",
                "address": "幸福里小区1号楼1单元102室"}

    def edited(self, household, data):
        assert household.address == data["address"]


class TestTerritoryPermissions(viewtests.PermissionTests):
    refused = "leader"  # reads everything, changes nothing
    refused_requests = [("POST", "/territory/compound/new/", {"name": "新小区"}),
                        ("POST", "/territory/household/new/", {"address": "越权1号"})]


class TestAreaPages(viewtests.OutsideScopeTests):
    viewer = "worker_a"
    outside_requests = ["/territory/areas/new/?parent={pk}"]  # below an area above their community

    outside = viewtests.pick("district", "subdistrict")


def tree(response):
    """{area name: {"households": n, "persons": n}} as the tree shows them (other apps add more counters)."""
    return {area.name: {key: counts[key] for key in ("households", "persons")}
            for area, _depth, counts in response.context["rows"]}


def test_the_tree_counts_households_and_persons_within_scope(district, users, client_for):
    rows = tree(client_for(users.admin).get("/territory/"))
    assert rows["测试区"] == {"households": 5, "persons": 5}
    assert rows["东风街道"] == {"households": 4, "persons": 4}
    assert rows["李庄村"] == {"households": 1, "persons": 1}
    assert tree(client_for(users.grid_worker).get("/territory/")) == {"幸福里社区": {"households": 2, "persons": 2}}


def test_a_community_page_lists_its_grids_and_compounds(district, users, client_for):
    response = client_for(users.worker_a).get(f"/territory/areas/{district.community_a.pk}/")
    assert response.status_code == 200
    assert {g.name for g in response.context["grids"]} == {"幸福里网格", "第一网格", "第一网格一组", "第二网格"}
    assert [c.name for c in response.context["compounds"]] == ["幸福里小区"]
    assert [a.name for a in response.context["ancestors"]] == ["测试区", "东风街道"]


def test_a_household_is_created_only_in_the_workers_community(district, users, client_for):
    client = client_for(users.worker_a)
    response = client.post("/territory/household/new/", {"area": district.community_b.pk, "address": "越界1号"})
    assert response.status_code == 200 and "area" in response.context["form"].errors
    assert not Household.objects.filter(address="越界1号").exists()
    response = client.post("/territory/household/new/", {"area": district.community_a.pk, "grid": district.grid_a2.pk,
                                                         "address": "幸福里平房3号"})
    household = Household.objects.get(address="幸福里平房3号")
    assert response.status_code == 302 and response["Location"] == f"/territory/households/{household.pk}/"


def test_a_subdistrict_officer_creates_a_community_below_their_subdistrict_and_nothing_below_it(
        district, users, client_for):
    url = f"/territory/areas/new/?parent={district.subdistrict.pk}"
    response = client_for(users.officer).post(url, {"name": "锦绣社区", "code": ""})
    area = Area.objects.get(name="锦绣社区")
    assert response.status_code == 302 and (area.level, area.parent) == ("community", district.subdistrict)
    response = client_for(users.officer).get(f"/territory/areas/new/?parent={area.pk}")
    assert response.status_code == 302  # nothing below a community


def test_the_household_list_searches_addresses(district, users, client_for):
    response = client_for(users.admin).get("/territory/households/", {"q": "2号楼"})
    assert [h.address for h in response.context["page_obj"]] == ["幸福里小区2号楼1单元101"]
    response = client_for(users.admin).get("/territory/households/", {"area": district.community_b.pk})
    assert [h.person_count for h in response.context["page_obj"]] == [1]


def test_the_household_page_shows_its_members_masked(district, users, client_for):
    page = client_for(users.worker_b).get(f"/territory/households/{district.household_b.pk}/").content.decode()
    assert "李建国" in page and district.numbers["b"][:4] + "*" * 10 in page
    assert district.numbers["b"] not in page
