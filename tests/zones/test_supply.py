"""保供: requests from the resident's phone (no login) or logged by a worker, taken, delivered and closed by the
grid worker; urgent when medical; overdue after 24 hours; counted on the community's daily report."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.screening import reports
from fangkong.zones import services
from fangkong.zones.models import SupplyKind, SupplyRequest, SupplyState


def test_a_resident_asks_from_the_link_on_their_pass_page(district, users, sealed):
    notes = services.pass_notes([district.person_a.pk, district.person_b.pk])
    assert list(notes) == [district.person_a.pk]
    (line, _none), (label, link) = notes[district.person_a.pk]
    assert line == "封控区：足不出户，今日不可出行" and label.startswith("申请保供")
    client = Client()
    refused = client.post(link, {"kind": SupplyKind.FOOD, "text": "  "})
    assert refused.status_code == 422 and "请写明需要什么" in refused.content.decode()
    assert not SupplyRequest.objects.exists()
    assert client.post(link, {"kind": SupplyKind.MEDICAL, "text": "需要去医院换药"}).status_code == 200
    made = SupplyRequest.objects.get()
    assert made.urgent and made.by_resident and made.household == district.household_a101
    assert made.area == district.community_a and made.state == SupplyState.OPEN
    assert AuditEvent.objects.filter(object_type="zones.SupplyRequest", object_id=str(made.pk)).exists()
    assert Client().get("/s/forged-token/").status_code == 404


def test_the_grid_worker_takes_delivers_and_closes_with_a_note(district, users):
    made = services.log_supply(district.household_a101, user=users.worker_a, kind=SupplyKind.FOOD, text="大米10斤")
    assert not made.urgent
    services.advance(made, user=users.grid_worker, step="take")
    services.advance(made, user=users.grid_worker, step="deliver")
    with pytest.raises(ValidationError) as refused:
        services.advance(made, user=users.grid_worker, step="close", note="")
    assert refused.value.message_dict["note"] == ["请填写办结说明（送了什么、谁签收）"]
    services.advance(made, user=users.grid_worker, step="close", note="已送到门口，本人签收")
    made.refresh_from_db()
    assert made.state == SupplyState.CLOSED and made.taken_by == users.grid_worker and made.note.startswith("已送到")
    with pytest.raises(ValidationError):
        services.advance(made, user=users.grid_worker, step="take")


def test_a_worker_of_another_community_cannot_close_a_request_by_id(district, users, client_for):
    made = services.log_supply(district.household_a101, user=users.worker_a, kind=SupplyKind.FOOD, text="大米10斤")
    with pytest.raises(PermissionDenied):
        services.advance(made, user=users.worker_b, step="take")
    client = client_for(users.worker_b)
    assert client.post(f"/zones/supply/{made.pk}/take/").status_code == 404
    assert client.post(f"/api/supply-requests/{made.pk}/take/", {}, content_type="application/json").status_code == 404
    made.refresh_from_db()
    assert made.state == SupplyState.OPEN


def test_open_requests_urgent_first_with_overdue_after_a_day(district, users, client_for):
    old = services.log_supply(district.household_a102, user=users.worker_a, kind=SupplyKind.FOOD, text="蔬菜")
    SupplyRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(hours=25))
    urgent = services.log_supply(district.household_a101, user=users.worker_a, kind=SupplyKind.MEDICAL, text="透析")
    assert list(services.open_requests(users.worker_a)) == [urgent, old]
    old.refresh_from_db()
    assert services.is_overdue(old) and not services.is_overdue(urgent)
    page = client_for(users.grid_worker).get("/zones/supply/").content.decode()
    assert "超过24小时" in page and "紧急" in page
    assert list(services.open_requests(users.worker_b)) == []


def test_empty_text_and_unknown_kind_are_refused(district, users):
    for kind, text, field in ((SupplyKind.FOOD, "", "text"), ("cash", "现金", "kind")):
        with pytest.raises(ValidationError) as refused:
            services.log_supply(district.household_a101, user=users.worker_a, kind=kind, text=text)
        assert field in refused.value.message_dict
    assert not SupplyRequest.objects.exists()


def test_the_daily_report_counts_them(district, users):
    made = services.log_supply(district.household_a101, user=users.worker_a, kind=SupplyKind.FOOD, text="大米")
    services.log_supply(district.household_a102, user=users.worker_a, kind=SupplyKind.MEDICINE, text="降压药")
    for step, note in (("take", ""), ("close", "已送达")):
        services.advance(made, user=users.grid_worker, step=step, note=note)
    figures = reports.day_extras(district.community_a, timezone.localdate())["supply"]
    assert figures == {"supply_new": 2, "supply_closed": 1, "supply_open": 1}
    assert reports.day_extras(district.community_b, timezone.localdate())["supply"]["supply_new"] == 0


def test_open_requests_wait_on_the_workers_home_page(district, users, client_for):
    services.log_supply(district.household_a101, user=users.worker_a, kind=SupplyKind.MEDICAL, text="需要就医")
    assert "1 条保供需求未办结（其中紧急或超时 1 条）" in client_for(users.grid_worker).get("/").content.decode()
    assert "保供需求" not in client_for(users.worker_b).get("/").content.decode()


def test_the_resident_link_is_rate_limited(district, users, sealed, settings):
    settings.FANGKONG_LIMITS = {**settings.FANGKONG_LIMITS, "supply": {"address": "100/10m", "target": "2/h"}}
    (_line, _none), (_label, link) = services.pass_notes([district.person_a.pk])[district.person_a.pk]
    client = Client()
    assert [client.get(link).status_code for _n in range(3)] == [200, 200, 429]
