"""Daily check-in and the on-duty rate: from the phone (a personal link, no login), by the admin, by the API;
a scan at the enterprise's gate counts as presence; another enterprise's employee is refused; the rate, the
capacity and the tables by sector."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.enterprises import services
from fangkong.enterprises.models import CheckIn, CheckInSource, Employee
from fangkong.passes.models import Verdict
from tests.enterprises.conftest import hire
from tests.passes.office_helpers import passage


@pytest.fixture
def staff(district, firms):
    return [hire(firms.factory, person, firms.boss) for person in district.persons_a]


def test_an_employee_checks_in_from_the_phone_without_logging_in(staff, client):
    employee = staff[0]
    page = client.get(f"/e/{employee.checkin_token}/")
    assert page.status_code == 200 and "幸福里食品厂" in page.content.decode()
    response = client.post(f"/e/{employee.checkin_token}/", {"temperature": "36.6", "symptoms": "no"})
    assert response.status_code == 200 and "已打卡" in response.content.decode()
    checkin = CheckIn.objects.get(employee=employee)
    assert checkin.temperature == Decimal("36.6") and checkin.source == CheckInSource.PHONE
    assert client.get("/e/not-a-token/").status_code == 404


def test_an_impossible_temperature_is_told_and_nothing_is_written(staff, client):
    response = client.post(f"/e/{staff[0].checkin_token}/", {"temperature": "45", "symptoms": "no"})
    assert response.status_code == 400 and "不可能" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_the_admin_checks_in_for_an_employee_and_it_is_audited(firms, staff, client_for):
    client_for(firms.boss).post(f"/enterprises/{firms.factory.pk}/roster/{staff[1].pk}/check-in/",
                                {"temperature": "36.4"})
    checkin = CheckIn.objects.get(employee=staff[1])
    assert checkin.source == CheckInSource.ADMIN and checkin.by == firms.boss
    assert AuditEvent.objects.filter(object_type="enterprises.CheckIn", object_id=str(checkin.pk),
                                     actor=firms.boss).exists()


def test_a_check_in_for_another_enterprises_employee_is_refused(district, firms, staff, client_for):
    theirs = hire(firms.other, district.person_b, firms.other_boss)
    with pytest.raises(ValidationError) as refused:
        services.check_in(theirs, temperature="36.5", source="admin", user=firms.boss, enterprise=firms.factory)
    assert "不在本企业名册上" in str(refused.value)
    client_for(firms.boss).post(f"/enterprises/{firms.factory.pk}/roster/{theirs.pk}/check-in/",
                                {"temperature": "36.4"})
    response = client_for(firms.boss).post(f"/api/enterprises/{firms.factory.pk}/checkins/",
                                           {"employee": theirs.pk, "temperature": "36.5"},
                                           content_type="application/json")
    assert response.status_code == 400 and "不在本企业名册上" in response.json()["employee"][0]
    assert not CheckIn.objects.exists()


def test_a_scan_at_the_enterprises_gate_counts_as_presence(firms, staff, client_for):
    passage(staff[0].person, firms.gate)
    passage(staff[1].person, firms.gate, verdict=Verdict.DENY)  # turned away: not present
    passage(staff[2].person, firms.gate, at=timezone.now() - datetime.timedelta(days=1))  # yesterday
    page = client_for(firms.boss).get(f"/enterprises/{firms.factory.pk}/roster/?missing=1").content.decode()
    assert staff[0].person.name_masked not in page
    assert staff[1].person.name_masked in page and staff[2].person.name_masked in page
    assert CheckIn.objects.get(employee=staff[0]).source == CheckInSource.GATE
    assert services.figures(firms.factory)["present"] == 1


def test_the_on_duty_rate_is_present_today_over_the_roster(firms, staff, client_for):
    assert services.figures(firms.factory) == {"roster": 3, "present": 0, "missing": 3, "rate": 0.0,
                                               "capacity": None}
    services.check_in(staff[0], temperature="36.5")
    services.check_in(staff[1], temperature="36.7")
    services.check_in(staff[1], temperature="36.6")  # a correction, not a second presence
    services.set_capacity(firms.factory, 70, user=firms.boss)
    assert services.figures(firms.factory) == {"roster": 3, "present": 2, "missing": 1, "rate": 0.6667,
                                               "capacity": 70}
    services.remove_employee(staff[0], user=firms.boss)  # left: off the roster and out of the count
    assert services.figures(firms.factory)["rate"] == 0.5
    page = client_for(firms.boss).get(firms.factory.get_absolute_url()).content.decode()
    assert "50%" in page and "70%" in page


def test_capacity_outside_0_to_100_is_refused(firms):
    with pytest.raises(ValidationError) as refused:
        services.set_capacity(firms.factory, 120, user=firms.boss)
    assert "0 到 100" in str(refused.value)


def test_the_district_table_by_sector(district, firms, staff, users, client_for):
    other_staff = hire(firms.other, district.person_b, firms.other_boss)
    services.check_in(staff[0], temperature="36.5")
    services.check_in(other_staff, temperature="36.5")
    rows = {row["sector"]: row for row in services.on_duty_table(users.admin)}
    assert rows["manufacturing"]["roster"] == 3 and rows["manufacturing"]["present"] == 1
    assert rows["logistics"]["rate"] == 1.0
    # A community's officer sees their community's enterprises only.
    assert [row["sector"] for row in services.on_duty_table(users.worker_a)] == ["manufacturing"]
    page = client_for(users.admin).get("/enterprises/on-duty/").content.decode()
    assert "制造业" in page and "交通运输和物流" in page and "50%" in page  # 2 of 4 in the district


def test_the_admins_home_page_says_how_many_have_not_checked_in(firms, staff, client_for):
    services.check_in(staff[0], temperature="36.5")
    home = client_for(firms.boss).get("/").content.decode()
    assert "2 名职工今天还没有健康打卡" in home
    assert f"/enterprises/{firms.factory.pk}/roster/?missing=1" in home


def test_the_tables_counters_follow_every_way_in_and_out(district, firms, staff, users):
    """The district table reads counters the services keep; they must agree with counting the rows."""
    passage(staff[0].person, firms.gate)  # presence by the gate
    services.record_gate_presence(firms.factory)
    services.record_gate_presence(firms.factory)  # again: nothing more
    services.check_in(staff[1], temperature="36.5")
    services.check_in(staff[1], temperature="36.6")  # a correction
    services.remove_employee(staff[2], user=firms.boss)
    services.remove_employee(staff[2], user=firms.boss)  # twice: once off the roster
    hire(firms.factory, district.person_b, firms.boss)
    services.add_employee(firms.factory, {"name": staff[2].person.name, "id_number": staff[2].person.id_number},
                          user=firms.boss)  # back on the roster
    (row,) = [row for row in services.on_duty_rows(users.admin) if row[0] == firms.factory.pk]
    roster = Employee.objects.filter(enterprise=firms.factory, active=True).count()
    present = CheckIn.objects.filter(enterprise=firms.factory, day=timezone.localdate(), employee__active=True).count()
    figures = services.figures(firms.factory)
    assert (row[3], row[4]) == (figures["roster"], figures["present"]) == (roster, present) == (4, 2)
    back = Employee.objects.get(pk=staff[2].pk)
    services.check_in(back, temperature="36.5")  # back on the roster and on duty, then gone again
    services.remove_employee(back, user=firms.boss)
    assert services.figures(firms.factory)["present"] == CheckIn.objects.filter(
        enterprise=firms.factory, day=timezone.localdate(), employee__active=True).count() == 2


def test_the_periodic_task_brings_gate_scans_into_the_district_table(firms, staff, users):
    from fangkong.enterprises.tasks import gate_presence

    passage(staff[0].person, firms.gate)
    assert gate_presence() == 1
    rows = {row["sector"]: row for row in services.on_duty_table(users.admin)}
    assert rows["manufacturing"]["present"] == 1
