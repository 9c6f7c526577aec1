"""A unit applies for its place code without an account; the community reviews it."""

import pytest
from django.core import signing

from fangkong.core import crypto, limits
from fangkong.passes.models import Place, PlaceKind, PlaceState
from fangkong.passes.places import REGISTRATION_SALT


def application(district, **changes):
    return {"name": "好又多超市（文化路店）", "kind": PlaceKind.VENUE, "community": district.community_a.pk,
            "address": "文化路18号", "contact_name": "李娟", "contact_phone": "13903710001", **changes}


def test_the_form_needs_no_login_and_offers_every_community(district, client):
    response = client.get("/register/")
    text = response.content.decode()
    assert response.status_code == 200
    for name in ("幸福里社区", "新华社区", "李庄村"):
        assert name in text
    assert '<optgroup label="东风街道">' in text


def test_an_application_creates_a_pending_place_and_a_thank_you_page(district, client):
    response = client.post("/register/", application(district))
    place = Place.objects.get()
    assert response.status_code == 302 and response["Location"].startswith("/register/")
    assert place.state == PlaceState.PENDING and place.area == district.community_a
    assert place.decided_by is None
    assert crypto.decrypt(place.contact_phone_encrypted) == "13903710001"

    page = client.get(response["Location"]).content.decode()
    assert "等待<b>幸福里社区</b>审核" in page
    assert "139****0001" in page and "13903710001" not in page
    assert place.code not in page  # no working code before approval


def test_a_bad_phone_gets_a_chinese_error_and_nothing_is_created(district, client):
    response = client.post("/register/", application(district, contact_phone="1234"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "手机号码应为11位" in text
    assert 'value="好又多超市（文化路店）"' in text  # what was typed stays
    assert not Place.objects.exists()


@pytest.mark.parametrize("field", ["name", "kind", "community", "address", "contact_name"])
def test_missing_fields_are_refused(district, client, field):
    response = client.post("/register/", application(district, **{field: ""}))
    assert "该字段是必填项" in response.content.decode()
    assert not Place.objects.exists()


def test_a_district_or_unknown_area_is_not_a_community(district, client):
    for area in (district.district.pk, district.subdistrict.pk, 999999):
        response = client.post("/register/", application(district, community=area))
        assert "选择一个有效的选项" in response.content.decode()
    assert not Place.objects.exists()


def test_a_second_application_of_the_same_unit_is_refused(district, client):
    client.post("/register/", application(district))
    response = client.post("/register/", application(district))
    assert "幸福里社区已有名为“好又多超市（文化路店）”的场所" in response.content.decode()
    assert Place.objects.count() == 1


def test_applications_are_limited_per_address_and_hour(district, client):
    per_hour = limits.rate("register", "address")
    assert (per_hour.count, per_hour.seconds) == (20, 3600)
    for n in range(per_hour.count):
        assert client.post("/register/", application(district, name=f"商店{n}")).status_code == 302
    response = client.post("/register/", application(district, name="再来一个"))
    assert response.status_code == 429
    assert "提交太频繁" in response.content.decode() and int(response["Retry-After"]) <= 3600
    assert Place.objects.count() == per_hour.count


def test_the_unit_follows_the_review_and_gets_its_poster(district, users, client, client_for):
    location = client.post("/register/", application(district))["Location"]
    place = Place.objects.get()
    assert client.get(f"{location}poster.pdf")["Location"] == location  # not yet

    client_for(users.worker_a).post(f"/places/{place.pk}/decide/", {"decision": "approve"})
    page = client.get(location).content.decode()
    assert "审核已通过" in page
    poster = client.get(f"{location}poster.pdf")
    assert poster.status_code == 200 and poster["Content-Type"] == "application/pdf"


def test_a_rejected_unit_sees_the_reason(district, users, client, client_for):
    location = client.post("/register/", application(district))["Location"]
    place = Place.objects.get()
    client_for(users.worker_a).post(f"/places/{place.pk}/decide/", {"decision": "reject", "reason": "不在本社区"})
    page = client.get(location).content.decode()
    assert "审核未通过" in page and "不在本社区" in page


def test_a_forged_link_is_not_found(district, client):
    client.post("/register/", application(district))
    place = Place.objects.get()
    forged = signing.dumps(place.pk, salt="something-else")
    assert client.get(f"/register/{forged}/").status_code == 404
    assert client.get(f"/register/{forged}/poster.pdf").status_code == 404
    assert client.get("/register/not-a-token/").status_code == 404
    assert client.get(f"/register/{signing.dumps(place.pk, salt=REGISTRATION_SALT)}/").status_code == 200


def test_officers_see_applications_in_the_queue(district, users, client, client_for):
    client.post("/register/", application(district))
    text = client_for(users.worker_a).get("/places/", {"state": "pending"}).content.decode()
    assert "1 个场所待审核" in text and "好又多超市（文化路店）" in text
    assert "1 个场所待审核" not in client_for(users.worker_b).get("/places/").content.decode()
