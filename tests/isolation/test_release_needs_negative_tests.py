"""A release on or after the planned end needs the negative tests its kind asks for (counted as release proposals
count them). Without them it is refused, saying how many are missing, and nothing is written; with a written
reason it waits for a second approver, as an early release does. Through the service, the order page and the API."""

import pytest
from django.core.exceptions import ValidationError

from fangkong.audit.models import AuditEvent
from fangkong.healthcode.models import HealthStatus
from fangkong.isolation import services
from fangkong.isolation.models import IsolationOrder, Kind, State
from tests.isolation.conftest import isolate

JSON = "application/json"


def _written():
    """What a refused release must leave as it was: orders, audit rows, health codes."""
    return (list(IsolationOrder.objects.order_by("pk").values_list("state", "release_requested_by", "ended_on")),
            AuditEvent.objects.count(), list(HealthStatus.objects.order_by("pk").values_list("colour", "isolation")))


def test_a_release_without_the_tests_is_refused_saying_how_many_are_missing(district, users, negative_results):
    order = isolate(district.person_a, users.worker_a, start_days_ago=14)
    before = _written()
    with pytest.raises(ValidationError) as error:
        services.request_release(order, user=users.worker_a)
    assert "还差 2 次阴性检测" in error.value.message_dict["reason"][0]
    assert "确需解除请填写原因，由另一人审批" in error.value.message_dict["reason"][0]
    assert _written() == before
    negative_results(district.person_a, 0)
    negative_results(district.person_a, 0)  # the same day again counts once
    with pytest.raises(ValidationError) as error:
        services.request_release(order, user=users.worker_a)
    assert "还差 1 次阴性检测" in str(error.value)
    assert _written() == before
    negative_results(district.person_a, 2)
    services.request_release(order, user=users.worker_a)
    order.refresh_from_db()
    assert (order.state, order.state_reason, order.release_requested_by) == (State.RELEASED, "隔离期满", None)


def test_results_before_the_start_or_outside_the_window_do_not_release(district, users, negative_results):
    order = isolate(district.person_a, users.worker_a, start_days_ago=16)
    negative_results(district.person_a, 17, 5)  # before the start; after it, but not within the last 3 days
    with pytest.raises(ValidationError) as error:
        services.request_release(order, user=users.worker_a)
    assert "还差 2 次阴性检测" in str(error.value)


def test_the_kinds_defaults_decide_how_many_tests(district, users):
    services.set_kind_default(Kind.HOME_MONITORING, release_tests=0, user=users.admin)
    monitoring = isolate(district.person_a, users.worker_a, kind=Kind.HOME_MONITORING, start_days_ago=7)
    services.request_release(monitoring, user=users.worker_a)
    monitoring.refresh_from_db()
    assert monitoring.state == State.RELEASED
    services.set_kind_default(Kind.HOME, release_tests=3, user=users.admin)
    home = isolate(district.person_a_neighbour, users.worker_a, start_days_ago=14)
    with pytest.raises(ValidationError) as error:
        services.request_release(home, user=users.worker_a)
    assert "还差 3 次阴性检测" in str(error.value) and "居家隔离解除须隔离开始后、最近 3 天内 3 个不同日期" in str(
        error.value)


def test_with_a_reason_it_waits_for_another_approver_and_the_certificate_follows(district, users, sites,
                                                                                  client_for):
    order = isolate(district.person_a, users.worker_a, start_days_ago=14)
    services.request_release(order, user=users.admin, reason="已出具外院核酸阴性报告")
    order.refresh_from_db()
    assert order.state == State.ISOLATING and order.release_pending and not order.release_requested_early
    with pytest.raises(ValidationError) as error:
        services.request_release(order, user=users.worker_a, reason="再申请一次")
    assert "已有解除申请等待审批" in str(error.value)
    with pytest.raises(ValidationError) as error:
        services.approve_release(order, user=users.admin)
    assert "不能审批自己提交的" in str(error.value)
    services.approve_release(order, user=sites.approver)
    order.refresh_from_db()
    assert (order.state, order.state_reason, order.release_requested_by, order.release_approved_by) == (
        State.RELEASED, "已出具外院核酸阴性报告", users.admin, sites.approver)
    rows = AuditEvent.objects.filter(object_type="isolation.IsolationOrder", object_id=str(order.pk)).order_by("id")
    assert [(row.action, row.actor) for row in rows] == [
        ("create", users.worker_a), ("update", users.admin), ("update", sites.approver)]
    certificate = client_for(users.worker_a).get(f"/isolation/{order.pk}/certificate.pdf")
    assert certificate.status_code == 200 and certificate["Content-Type"] == "application/pdf"
    assert HealthStatus.objects.get(person=district.person_a).isolation == ""


def test_the_order_page_says_what_is_missing_next_to_the_release_button(district, users, sites, client_for,
                                                                        negative_results):
    order = isolate(district.person_a, users.worker_a, start_days_ago=14)
    worker = client_for(users.worker_a)
    page = worker.get(f"/isolation/{order.pk}/").content.decode()
    form = page[page.index('id="release-form"'):]
    form = form[:form.index("</form>")]
    assert "还差 2 次阴性检测" in form and 'name="reason"' in form and "解除隔离" in form
    negative_results(district.person_a, 1)
    assert "还差 1 次阴性检测" in worker.get(f"/isolation/{order.pk}/").content.decode()

    before = _written()
    refused = worker.post(f"/isolation/{order.pk}/release/", {"reason": ""}, follow=True).content.decode()
    assert "还差 1 次阴性检测，不能解除" in refused and _written() == before

    asked = worker.post(f"/isolation/{order.pk}/release/", {"reason": "外院阴性报告已核验"}, follow=True)
    body = asked.content.decode()
    assert "阴性检测未齐，已提交解除申请，等待另一位审批人审批" in body and "解除待审批（阴性检测未齐）" in body
    order.refresh_from_db()
    assert order.state == State.ISOLATING and order.release_requested_by == users.worker_a
    listing = worker.get("/isolation/").content.decode()
    assert "解除待审批（阴性检测未齐）" in listing
    second = client_for(sites.approver)
    second.post(f"/isolation/{order.pk}/approve-release/", {"decision": "approve"})
    order.refresh_from_db()
    assert (order.state, order.release_approved_by) == (State.RELEASED, sites.approver)
    history = worker.get(f"/people/{district.person_a.pk}/").content.decode()
    assert "申请解除（阴性检测未齐）：外院阴性报告已核验" in history


def test_with_the_tests_in_the_page_releases_at_once_without_asking_a_reason(district, users, client_for,
                                                                            negative_results):
    order = isolate(district.person_a, users.worker_a, start_days_ago=14)
    negative_results(district.person_a, 0, 1)
    worker = client_for(users.worker_a)
    page = worker.get(f"/isolation/{order.pk}/").content.decode()
    form = page[page.index('id="release-form"'):]
    form = form[:form.index("</form>")]
    assert "还差" not in form and 'name="reason"' not in form
    done = worker.post(f"/isolation/{order.pk}/release/", follow=True).content.decode()
    order.refresh_from_db()
    assert order.state == State.RELEASED and "已解除隔离" in done and "解除隔离证明" in done


def test_the_api_refuses_with_400_then_a_reason_waits_for_another_approver(district, users, sites, client_for):
    order = isolate(district.person_a, users.worker_a, start_days_ago=15)
    admin = client_for(users.admin)
    before = _written()
    refused = admin.post(f"/api/isolations/{order.pk}/release/", {}, content_type=JSON)
    assert refused.status_code == 400 and "还差 2 次阴性检测" in refused.json()["reason"][0]
    assert _written() == before
    pending = admin.post(f"/api/isolations/{order.pk}/release/", {"reason": "疾控复核同意"}, content_type=JSON)
    assert pending.status_code == 200
    assert (pending.json()["state"], pending.json()["release_pending"]) == (State.ISOLATING, True)
    own = admin.post(f"/api/isolations/{order.pk}/approve-release/", content_type=JSON)
    assert own.status_code == 400 and "不能审批自己提交的" in own.json()["reason"][0]
    order.refresh_from_db()
    assert order.state == State.ISOLATING
    approved = client_for(sites.approver).post(f"/api/isolations/{order.pk}/approve-release/", content_type=JSON)
    assert approved.status_code == 200 and approved.json()["state"] == State.RELEASED
    assert approved.json()["release_approved_by"] == sites.approver.pk
