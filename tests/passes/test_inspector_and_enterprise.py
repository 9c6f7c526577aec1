"""Two roles that had nothing to do: the inspector reads places, passages (masked), the daily report and the
health-code overview of their areas; the enterprise admin sees and looks after only their own gates."""

import pytest
from rest_framework.test import APIClient

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.passes.models import Place, PlaceKind, PlaceState
from tests.passes.office_helpers import make_place, passage, staff_user


@pytest.fixture
def gates(district):
    """An enterprise's gate in 幸福里社区, another enterprise's gate beside it, and a passage at each."""
    ours = make_place(district.community_a, "恒达电子北门", kind=PlaceKind.ENTERPRISE_GATE)
    theirs = make_place(district.community_a, "金源食品南门", kind=PlaceKind.ENTERPRISE_GATE)
    passage(district.person_a, ours)
    passage(district.person_a_neighbour, theirs)
    return ours, theirs


@pytest.fixture
def enterprise_admin(district):
    return staff_user("hengda", Role.ENTERPRISE_ADMIN, district.community_a, full_name="恒达电子管理员")


@pytest.fixture
def inspector(district):
    return staff_user("inspector", Role.INSPECTOR, district.subdistrict, full_name="督查员")


def test_the_inspector_reads_places_passages_the_daily_report_and_health_codes(district, users, client_for, gates,
                                                                               inspector):
    client = client_for(inspector)
    home = client.get("/").content.decode()
    assert 'id="role-help"' in home and "督查人员" in home
    for url in ("/places/", f"/places/{gates[0].pk}/", "/passages/", "/passages/records/", "/reports/district/",
                "/health-code/"):
        assert client.get(url).status_code == 200, url
        assert f'href="{url}"' in home or url.startswith(("/places/", "/passages/records/")), url
    places = client.get("/places/").content.decode()
    assert "恒达电子北门" in places and "金源食品南门" in places
    # Passages with the name and number masked: the inspector may not look people up.
    records = client.get("/passages/records/").content.decode()
    assert "王*英" in records and "王秀英" not in records
    assert district.numbers["a"] not in records
    # The report's counts, but no way into the key persons' names.
    report = client.get("/reports/district/").content.decode()
    assert "幸福里社区" in report and "/key-persons/" not in report and "dr-remind\"" not in report
    for url in ("/key-persons/", "/reports/", "/people/", f"/health-code/persons/{district.person_a.pk}/"):
        assert client.get(url).status_code == 403, url
    # An inspector reads; they do not review, edit or record.
    assert client.post(f"/places/{gates[0].pk}/decide/", {"decision": "approve"}).status_code == 403
    assert client.get(f"/places/{gates[0].pk}/edit/").status_code == 403


def test_the_inspector_stays_within_the_assigned_areas(district, users, client_for, inspector):
    village_gate = make_place(district.community_b, "李庄村口")
    client = client_for(inspector)
    assert client.get(f"/places/{village_gate.pk}/").status_code == 404
    assert "李庄村口" not in client.get("/places/").content.decode()


def test_an_officer_makes_the_enterprise_admin_a_manager_of_its_gate(district, users, client_for, gates,
                                                                      enterprise_admin):
    ours, _theirs = gates
    officer = client_for(users.officer)
    detail = officer.get(f"/places/{ours.pk}/").content.decode()
    assert 'id="managers"' in detail and "恒达电子管理员" in detail
    response = officer.post(f"/places/{ours.pk}/managers/", {"user": enterprise_admin.pk})
    assert response.status_code == 302
    assert list(ours.managers.all()) == [enterprise_admin]
    assert AuditEvent.objects.filter(object_type="passes.Place", object_id=str(ours.pk),
                                     changes__managers__added="恒达电子管理员").exists()
    # Only an enterprise admin of the place's area may be chosen.
    refused = officer.post(f"/places/{ours.pk}/managers/", {"user": users.worker_a.pk})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    assert ours.managers.count() == 1
    # The enterprise admin cannot hand its gate to someone else.
    assert client_for(enterprise_admin).post(f"/places/{ours.pk}/managers/",
                                             {"user": enterprise_admin.pk}).status_code == 403


def test_the_enterprise_admin_sees_its_own_gate_and_not_another_by_changing_the_id(district, client_for, gates,
                                                                                    enterprise_admin):
    ours, theirs = gates
    ours.managers.add(enterprise_admin)
    client = client_for(enterprise_admin)
    home = client.get("/").content.decode()
    assert 'id="my-places"' in home and "恒达电子北门" in home and "金源食品南门" not in home
    assert "1 人次" in home  # today's passages at its gate
    assert f'href="/places/{ours.pk}/poster.pdf"' in home
    # The area's households and persons are not an enterprise's business.
    assert "下级区域" not in home
    for url in (f"/places/{ours.pk}/", f"/places/{ours.pk}/poster.pdf", f"/places/{ours.pk}/edit/"):
        assert client.get(url).status_code == 200, url
    for url in (f"/places/{theirs.pk}/", f"/places/{theirs.pk}/poster.pdf", f"/places/{theirs.pk}/edit/"):
        assert client.get(url).status_code == 404, url
    places = client.get("/places/").content.decode()
    assert "恒达电子北门" in places and "金源食品南门" not in places
    # Its passages only, names and numbers masked; another gate's passages stay out even when asked for.
    records = client.get(f"/passages/records/?place={ours.pk}").content.decode()
    assert "王*英" in records and "王秀英" not in records and district.numbers["a"] not in records
    everything = client.get("/passages/records/").content.decode()
    assert "王*强" not in everything and "金源食品南门" not in everything
    assert "王*强" not in client.get(f"/passages/records/?place={theirs.pk}").content.decode()
    # And through the API the same.
    api = APIClient()
    api.force_authenticate(enterprise_admin)
    assert api.get(f"/api/places/{ours.pk}/").status_code == 200
    assert api.get(f"/api/places/{theirs.pk}/").status_code == 404


def test_an_enterprise_admin_applies_for_a_new_gate_and_looks_after_it_while_it_waits(district, client_for,
                                                                                      enterprise_admin):
    client = client_for(enterprise_admin)
    assert "申请场所码" in client.get("/").content.decode()
    response = client.post("/places/new/", {
        "name": "恒达电子东门", "kind": PlaceKind.ENTERPRISE_GATE, "area": district.community_a.pk,
        "address": "科学大道100号", "contact_name": "李经理", "contact_phone": "13903710000", "policy": "standard",
        "measures_temperature": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    place = Place.objects.get(name="恒达电子东门")
    assert place.state == PlaceState.PENDING and list(place.managers.all()) == [enterprise_admin]
    assert client.get(response["Location"]).status_code == 200
    home = client.get("/").content.decode()
    assert "恒达电子东门" in home and "待审核" in home
    assert f'href="/places/{place.pk}/poster.pdf"' not in home  # no poster before the review


def test_the_enterprise_admin_sees_nothing_of_the_community_and_its_people(district, client_for, gates,
                                                                            enterprise_admin):
    client = client_for(enterprise_admin)
    for url in ("/people/", "/key-persons/", "/reports/district/", "/health-code/", "/health-code/overrides/"):
        assert client.get(url).status_code == 403, url
    # Without a place of its own it sees none of the community's places.
    assert "恒达电子北门" not in client.get("/places/").content.decode()
    assert client.get(f"/places/{gates[0].pk}/").status_code == 404
