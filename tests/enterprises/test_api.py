"""The API by the names the checks rely on, each answer matched against the OpenAPI document."""

import pytest

from fangkong.enterprises import services
from fangkong.enterprises.models import Enterprise
from tests.api.test_schema_matches_answers import Document
from tests.conftest import resident_id
from tests.enterprises.conftest import CODES

JSON = "application/json"


@pytest.fixture
def document(users, client_for):
    return Document(client_for(users.admin).get("/api/schema/", {"format": "json"}).json())


def test_the_enterprise_api_by_its_names(district, users, firms, client_for, document):
    check = document.check
    officer = client_for(users.worker_a)
    created = check(officer.post("/api/enterprises/", {"name": "幸福里制衣厂", "credit_code": CODES[2],
                                                       "area": district.community_a.pk}, content_type=JSON))
    assert created.status_code == 201
    body = created.json()
    assert body["state"] == "closed" and body["roster_count"] == 0 and body["on_duty_rate"] == 0.0
    wrong = check(officer.post("/api/enterprises/", {"name": "乙厂", "credit_code": "91330100799655058C",
                                                     "area": district.community_a.pk}, content_type=JSON))
    assert wrong.status_code == 400 and "校验位错误" in wrong.json()["credit_code"][0]
    listed = check(officer.get("/api/enterprises/")).json()
    assert {row["name"] for row in listed["results"]} == {"幸福里食品厂", "幸福里制衣厂"}

    boss = client_for(firms.boss)
    url = f"/api/enterprises/{firms.factory.pk}"
    hired = check(boss.post(f"{url}/employees/", {"name": "王秀英", "id_number": district.person_a.id_number,
                                                  "phone": "13903711234"}, content_type=JSON))
    assert hired.status_code == 201 and hired.json()["id_number"].startswith("4101") and "*" in \
        hired.json()["id_number"]
    again = check(boss.post(f"{url}/employees/", {"name": "王秀英", "id_number": district.person_a.id_number},
                            content_type=JSON))
    assert again.status_code == 400 and "重复" in again.json()["id_number"][0]
    second = check(boss.post(f"{url}/employees/", {"name": "马小军", "id_number": resident_id("1990-05-05", 77),
                                                   "phone": "13700001111"}, content_type=JSON)).json()
    assert len(check(boss.get(f"{url}/employees/")).json()["results"]) == 2
    checked = check(boss.post(f"{url}/checkins/", {"employee": hired.json()["id"], "temperature": "36.5"},
                              content_type=JSON))
    assert checked.status_code == 201 and checked.json()["temperature"] == "36.5"
    assert check(boss.post(f"{url}/checkins/", {"employee": second["id"], "temperature": "45"},
                           content_type=JSON)).status_code == 400
    assert len(check(boss.get(f"{url}/checkins/")).json()["results"]) == 1
    detail = check(boss.get(f"{url}/")).json()
    assert (detail["roster_count"], detail["present_today"], detail["on_duty_rate"]) == (2, 1, 0.5)
    problem = check(boss.post(f"{url}/problems/", {"kind": "materials", "text": "包装膜断货"}, content_type=JSON))
    assert problem.status_code == 201 and problem.json()["state"] == "open"
    assert check(boss.get(f"{url}/problems/")).json()["results"][0]["text"] == "包装膜断货"

    # Another enterprise's admin: every id of this one reads as absent, and nothing is written.
    other = client_for(firms.other_boss)
    assert check(other.get(f"{url}/")).status_code == 404
    assert check(other.post(f"{url}/employees/", {"name": "赵丽", "id_number": district.person_c.id_number},
                            content_type=JSON)).status_code == 404
    assert check(boss.post("/api/enterprises/", {"name": "丙厂", "credit_code": CODES[3],
                                                 "area": district.community_a.pk}, content_type=JSON)).status_code \
        == 403
    assert not Enterprise.objects.filter(credit_code=CODES[3]).exists()


def test_the_rate_is_a_fraction_of_one(firms, district, client_for):
    from tests.enterprises.conftest import hire

    staff = [hire(firms.factory, person, firms.boss) for person in district.persons_a]
    services.check_in(staff[0], temperature="36.5")
    body = client_for(firms.boss).get(f"/api/enterprises/{firms.factory.pk}/").json()
    assert body["on_duty_rate"] == pytest.approx(1 / 3, abs=1e-4)
