"""Per-kind defaults (隔离期限): days, the home health monitoring after a release (14+7) and the negative tests a
release asks for, set by a district admin on a page and through the API; new orders take their planned end."""

import datetime

from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.isolation import services
from fangkong.isolation.models import IsolationOrder, Kind, KindDefault, State
from tests.isolation.conftest import isolate

JSON = "application/json"


def test_the_page_sets_every_default_of_every_kind_or_none(users, client_for):
    admin = client_for(users.admin)
    page = admin.get("/isolation/settings/").content.decode()
    assert 'name="centralized-then_days"' in page and 'name="home-release_tests"' in page
    data = {f"{kind}-{name}": value for kind in Kind.values
            for name, value in (("days", 14), ("then_days", 0), ("release_tests", 2), ("release_window_days", 3))}
    refused = admin.post("/isolation/settings/", {**data, "centralized-days": "10", "home-release_tests": "x"})
    assert refused.status_code == 400 and "解除前核酸阴性次数应为 0 到 10 之间的整数" in refused.content.decode()
    assert 'value="x"' in refused.content.decode()  # what was typed is kept
    assert not KindDefault.objects.exists()  # nothing saved, the good kinds neither
    admin.post("/isolation/settings/", {**data, "centralized-days": "7", "centralized-then_days": "3"})
    assert services.kind_defaults()[Kind.CENTRALIZED] == {"days": 7, "then_days": 3, "release_tests": 2,
                                                         "release_window_days": 3}
    assert AuditEvent.objects.filter(object_type="isolation.KindDefault", actor=users.admin).count() == 3
    assert client_for(users.worker_a).post("/isolation/settings/", data).status_code == 403


def test_the_api_lists_and_sets_a_kinds_defaults(district, users, client_for):
    admin = client_for(users.admin)
    listed = admin.get("/api/isolation-kinds/").json()
    assert [row["kind"] for row in listed] == Kind.values and listed[0]["label"] == "集中隔离"
    changed = admin.patch("/api/isolation-kinds/home/", {"days": 10, "release_tests": 1}, content_type=JSON)
    assert changed.status_code == 200 and (changed.json()["days"], changed.json()["release_tests"]) == (10, 1)
    bad = admin.patch("/api/isolation-kinds/home/", {"days": 0}, content_type=JSON)
    assert bad.status_code == 400 and "隔离天数应为 1 到 60 之间的整数" in bad.json()["days"][0]
    assert admin.patch("/api/isolation-kinds/quarantine/", {"days": 3}, content_type=JSON).status_code == 404
    worker = client_for(users.worker_a)
    assert worker.get("/api/isolation-kinds/home/").json()["days"] == 10
    assert worker.patch("/api/isolation-kinds/home/", {"days": 3}, content_type=JSON).status_code == 403
    assert services.kind_days()[Kind.HOME] == 10
    order = isolate(district.person_a, users.worker_a)
    assert order.planned_end == timezone.localdate() + datetime.timedelta(days=10)


def test_a_release_of_a_kind_with_days_after_it_starts_home_health_monitoring(district, users, negative_results):
    services.set_kind_default(Kind.CENTRALIZED, then_days=7, user=users.admin)
    order = isolate(district.person_a, users.worker_a, kind=Kind.CENTRALIZED, start_days_ago=14)
    negative_results(district.person_a, 0, 1)
    services.request_release(order, user=users.worker_a)
    follow = IsolationOrder.objects.get(person=district.person_a, state=State.ISOLATING)
    assert (follow.kind, follow.start, follow.planned_end, follow.worker) == (
        Kind.HOME_MONITORING, timezone.localdate(), timezone.localdate() + datetime.timedelta(days=7), users.worker_a)
    assert AuditEvent.objects.filter(object_type="isolation.IsolationOrder", object_id=str(follow.pk),
                                     action="create", actor=users.worker_a).exists()
    services.set_kind_default(Kind.HOME, then_days=0, user=users.admin)
    home = isolate(district.person_a_neighbour, users.worker_a, start_days_ago=14)
    negative_results(district.person_a_neighbour, 0, 1)
    services.request_release(home, user=users.worker_a)
    assert not IsolationOrder.objects.active().filter(person=district.person_a_neighbour).exists()
