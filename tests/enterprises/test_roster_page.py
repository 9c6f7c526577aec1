"""The roster page: masked rows in department order with today's check-in, the count from the roster counter,
the missing filter and search, a fixed number of queries whatever the roster's size, and the add form drawn
on request (bench/enterprises.py holds the time)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.enterprises import services
from tests.enterprises.conftest import hire


@pytest.fixture
def staff(firms, new_resident_id):
    names = ["王秀英", "赵建华", "孙丽", "周志刚", "吴敏"]
    return [hire(firms.factory, type("P", (), {"name": name, "id_number": new_resident_id()}), firms.boss,
                 department=["质检部", "包装车间"][index % 2], returned_from="武汉" if index == 0 else "")
            for index, name in enumerate(names)]


def _roster(client, firms, query=""):
    response = client.get(f"/enterprises/{firms.factory.pk}/roster/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_rows_are_masked_in_department_order_with_todays_check_in(staff, firms, client_for):
    services.check_in(staff[1], temperature="36.5")
    page = _roster(client_for(firms.boss), firms)
    order = [page.index(name) for name in ("赵*华", "周*刚", "王*英", "孙*", "吴*")]  # 包装车间 before 质检部
    assert order == sorted(order)
    assert "王秀英" not in page and staff[0].person.id_number not in page
    assert "武汉 · " in page and "在册 5 人，今日到岗 1 人" in page
    assert page.count("/check-in/") == 4  # the one checked in has no 代打卡 form
    missing = _roster(client_for(firms.boss), firms, "?missing=1")
    assert "赵*华" not in missing and "周*刚" in missing
    found = _roster(client_for(firms.boss), firms, "?q=周志刚")
    assert "周*刚" in found and "孙*" not in found


def test_the_page_costs_the_same_queries_for_a_longer_roster(staff, firms, client_for, new_resident_id):
    client = client_for(firms.boss)
    _roster(client, firms)
    with CaptureQueriesContext(connection) as few:
        _roster(client, firms)
    for index in range(12):
        name = "职工" + "甲乙丙丁戊己庚辛壬癸子丑"[index]
        hire(firms.factory, type("P", (), {"name": name, "id_number": new_resident_id()}), firms.boss)
        services.check_in(firms.factory.employees.latest("id"), temperature="36.6")
    with CaptureQueriesContext(connection) as many:
        page = _roster(client, firms)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert "在册 17 人" in page
    assert not any("COUNT(" in query["sql"] for query in many.captured_queries)  # the counter, not a count


def test_the_add_form_is_drawn_when_asked_for(staff, firms, client_for):
    client = client_for(firms.boss)
    assert 'id="employee-form"' not in _roster(client, firms) and "?add=1#add" in _roster(client, firms)
    page = _roster(client, firms, "?add=1")
    assert 'id="employee-form"' in page and 'name="id_number"' in page
    # A refused form comes back with its message.
    response = client.post(f"/enterprises/{firms.factory.pk}/roster/", {"name": "马小军", "id_number": "123",
                                                                        "lodging": "home"})
    assert response.status_code == 400 and 'id="employee-form"' in response.content.decode()
