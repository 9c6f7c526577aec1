"""Risk places: the case's visits with their windows; the resident's own records mark a passage in a window."""

import datetime

from django.test import Client
from django.utils import timezone

from fangkong.passes import services as passes
from fangkong.passes.models import Proof
from fangkong.tracing import services
from fangkong.tracing.models import RiskPlace

from .conftest import stay

M = datetime.timedelta(minutes=1)


def phone_of(person):
    client = Client()
    client.cookies[passes.DEVICE_COOKIE] = passes.device_cookie(passes.add_to_device(None, person, "本人",
                                                                                     proof=Proof.SMS))
    return client


def test_my_records_mark_a_passage_in_a_risk_window_with_what_to_do(district, users, scene):
    neighbour = district.person_a_neighbour
    stay(neighbour, scene.market, scene.at + 70 * M, 10)  # within the venue's 30 minutes after the case left
    stay(neighbour, scene.market, scene.at + 5 * 60 * M, 10)  # hours later: no risk
    services.open_trace(scene.case, timezone.localdate(), user=users.officer)
    window = RiskPlace.objects.get()
    assert (window.place, window.starts_at, window.ends_at) == (scene.market, scene.at, scene.at + 60 * M)
    page = phone_of(neighbour).get(f"/c/{scene.gate.code}/mine").content.decode()
    assert page.count("risk-note") == 2  # the entry and the exit of the first stay
    assert "请立即向所在社区报告" in page


def test_a_withdrawn_visit_is_no_risk_any_more(district, users, scene):
    neighbour = district.person_a_neighbour
    stay(neighbour, scene.market, scene.at, 10)
    trace = services.open_trace(scene.case, timezone.localdate(), user=users.officer)
    services.mark_visit_wrong(trace.visits.get(), reason="扫错码", user=users.officer)
    assert "risk-note" not in phone_of(neighbour).get(f"/c/{scene.gate.code}/mine").content.decode()


def test_a_place_policy_is_set_on_the_risk_places_page_and_refused_out_of_scope(district, users, scene, client_for):
    from fangkong.tracing.models import RiskPolicy

    officer = client_for(users.officer)
    officer.post("/tracing/risk-places/policy/", {"place": scene.gate.pk, "enabled": "1", "days": "7"})
    assert RiskPolicy.objects.get().days == 7
    refused = client_for(users.worker_b).post("/tracing/risk-places/policy/", {"place": scene.gate.pk, "enabled": ""},
                                              follow=True)
    assert "您没有设置场所通行政策的权限" in refused.content.decode() and RiskPolicy.objects.exists()
    officer.post("/tracing/risk-places/policy/", {"place": scene.gate.pk, "enabled": ""})
    assert not RiskPolicy.objects.exists()
