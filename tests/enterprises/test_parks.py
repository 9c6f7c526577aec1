"""Parks (园区) kept by district admins and subdistrict officers: a scoped list with each park's enterprises and
on-duty figures, create and edit audited, and bad input refused in Chinese with nothing written."""

from fangkong.audit.models import AuditEvent
from fangkong.enterprises import services
from fangkong.enterprises.models import DayFigure, Park


def _park_audits(park):
    return AuditEvent.objects.filter(object_type="enterprises.Park", object_id=str(park.pk))


def test_a_subdistrict_officer_creates_and_edits_a_park_audited(district, users, client_for):
    officer = client_for(users.officer)
    response = officer.post("/enterprises/parks/new/", {"name": "  东风  工业园 ", "area": district.subdistrict.pk})
    assert response.status_code == 302 and response.url == "/enterprises/parks/"
    park = Park.objects.get()
    assert (park.name, park.area) == ("东风 工业园", district.subdistrict)
    assert _park_audits(park).filter(actor=users.officer).count() == 1
    response = officer.post(f"/enterprises/parks/{park.pk}/edit/", {"name": "东风科技园",
                                                                   "area": district.community_a.pk})
    assert response.status_code == 302
    park.refresh_from_db()
    assert (park.name, park.area) == ("东风科技园", district.community_a)
    assert _park_audits(park).count() == 2
    page = officer.get(f"/enterprises/parks/{park.pk}/edit/").content.decode()
    assert 'value="东风科技园"' in page


def test_bad_park_input_is_refused_in_chinese_and_writes_nothing(district, users, client_for):
    Park.objects.create(name="东风工业园", area=district.subdistrict)
    officer = client_for(users.officer)
    events = AuditEvent.objects.count()
    for data, message in [
        ({"name": "", "area": district.subdistrict.pk}, "请填写园区名称"),
        ({"name": "东风工业园", "area": district.subdistrict.pk}, "东风街道已有名为“东风工业园”的园区"),
        ({"name": "李庄园区", "area": district.community_b.pk}, "所属区域不在您的管辖范围内"),  # another subdistrict
    ]:
        response = officer.post("/enterprises/parks/new/", data)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert Park.objects.count() == 1 and AuditEvent.objects.count() == events
    # The service says it itself when another channel passes an area outside the officer's scope.
    try:
        services.save_park(None, {"name": "李庄园区", "area": district.community_b}, user=users.officer)
    except services.ValidationError as exc:
        assert exc.message_dict["area"] == ["所属区域不在您的管辖范围内"]
    else:
        raise AssertionError("an area outside the scope was accepted")
    assert Park.objects.count() == 1
    # The same name in another area is a different park.
    services.save_park(None, {"name": "东风工业园", "area": district.community_a}, user=users.officer)
    assert Park.objects.count() == 2


def test_the_parks_page_shows_figures_and_only_parks_in_scope(firms, district, users, client_for):
    ours = Park.objects.create(name="东风工业园", area=district.subdistrict)
    theirs = Park.objects.create(name="李庄物流园区", area=district.community_b)
    empty = Park.objects.create(name="新华创业园", area=district.community_c)
    for enterprise, park in ((firms.factory, ours), (firms.other, theirs)):
        enterprise.park = park
        enterprise.roster_count = 10
        enterprise.save(update_fields=["park", "roster_count"])
    DayFigure.objects.create(enterprise=firms.factory, day=services.today(), present=7)
    rows = {row["park"].name: row for row in services.park_table(users.officer)}
    assert set(rows) == {"东风工业园", "新华创业园"}
    assert (rows["东风工业园"]["enterprises"], rows["东风工业园"]["roster"], rows["东风工业园"]["present"],
            rows["东风工业园"]["rate"]) == (1, 10, 7, 0.7)
    assert rows["新华创业园"]["enterprises"] == 0
    page = client_for(users.officer).get("/enterprises/parks/").content.decode()
    assert "东风工业园" in page and "70%" in page and "李庄物流园区" not in page
    assert f"/enterprises/parks/{empty.pk}/edit/" in page
    assert 'href="/enterprises/parks/"' in client_for(users.officer).get("/enterprises/").content.decode()
    # Another officer cannot open a park outside their area, and an enterprise admin has no parks page.
    assert client_for(users.officer).get(f"/enterprises/parks/{theirs.pk}/edit/").status_code == 404
    assert client_for(firms.boss).get("/enterprises/parks/").status_code == 403
    assert client_for(users.admin).get("/enterprises/parks/").content.decode().count("/edit/") == 3
