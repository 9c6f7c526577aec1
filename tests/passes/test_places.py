"""Places in the staff pages: scoped list and detail, review, suspension, code rotation, staff and roster.

Uses the small district of tests/conftest.py: worker_a (幸福里社区, A), worker_b (李庄村, B), the officer of
东风街道 (A and 新华社区 C, not B), the district admin and a read-only leader.
"""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role, ensure_roles
from fangkong.audit.models import AuditEvent
from fangkong.core import crypto
from fangkong.passes.models import DutyShift, Passage, Place, PlaceKind, PlaceState, RejectedScan
from tests import viewtests

PHONE = "13903710001"


def place_in(area, name="幸福里小区北门", state=PlaceState.APPROVED, kind=PlaceKind.COMPOUND_GATE,
             address="文化路12号", **extra):
    place = Place(area=area, name=name, kind=kind, address=address, contact_name="王建军", state=state, **extra)
    place.set_contact_phone(PHONE)
    place.save()
    return place


def role_user(username, role, area, grid=None):
    if not Group.objects.filter(name=role.value).exists():
        ensure_roles()
    user = User.objects.create_user(username=username, password="x-Long-enough-2020", full_name=username,
                                    area=area, grid=grid)
    user.groups.set([Group.objects.get(name=role.value)])
    return user


@pytest.fixture
def places(district):
    """An approved gate and a pending shop in A, an approved place in B."""

    class Places:
        gate = place_in(district.community_a)
        pending = place_in(district.community_a, "好又多超市", PlaceState.PENDING, PlaceKind.VENUE)
        village = place_in(district.community_b, "李庄村卡点", kind=PlaceKind.CHECKPOINT, address="李庄村村口")

    return Places


class TestPlacePages(viewtests.ListTests, viewtests.DetailTests, viewtests.OutsideScopeTests,
                     viewtests.CreateTests, viewtests.EditTests, viewtests.PermissionTests):
    viewer = creator = editor = "worker_a"
    list_url = "/places/"
    detail_url = "/places/{pk}/"
    create_url = "/places/new/"
    edit_url = "/places/{pk}/edit/"
    outside_requests = [
        "/places/{pk}/", "/places/{pk}/poster.pdf", "/places/{pk}/edit/", "/places/{pk}/rotate/",
        *[("POST", f"/places/{{pk}}/{action}/", {"decision": "approve", "reason": "x"})
          for action in ("decide", "suspend", "resume", "rotate", "staff", "shifts")],
    ]
    refused = "leader"
    refused_requests = [("POST", "/places/new/", {"name": "东风路卡点"}),
                        ("POST", "/places/{pk}/decide/", {"decision": "approve"})]

    inside = viewtests.pick("places", "pending")
    outside = viewtests.pick("places", "village")

    @pytest.fixture
    def create_data(self, district):
        return form_data(district.community_a)

    def created(self, data):
        return Place.objects.get(name=data["name"])

    @pytest.fixture
    def edit_data(self, inside):
        return form_data(inside.area, name="好又多超市（文化路店）", kind=PlaceKind.VENUE, contact_phone="")

    def edited(self, place, data):
        assert (place.name, place.state) == (data["name"], PlaceState.PENDING)


# The list ----------------------------------------------------------------------------------------

def test_the_list_shows_only_the_places_in_scope_with_counts(users, places, client_for):
    page = client_for(users.worker_a).get("/places/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "共 2 个" in text and "1 个场所待审核" in text

    everything = client_for(users.admin).get("/places/").content.decode()
    assert "共 3 个" in everything and "李庄村卡点" in everything


def test_search_and_filters_narrow_the_list(users, places, district, client_for):
    client = client_for(users.admin)
    assert "共 1 个" in client.get("/places/", {"q": "超市"}).content.decode()
    assert "共 2 个" in client.get("/places/", {"q": "文化路"}).content.decode()  # by address
    pending = client.get("/places/", {"state": "pending"}).content.decode()
    assert "共 1 个" in pending and "好又多超市" in pending
    assert "共 1 个" in client.get("/places/", {"kind": "checkpoint"}).content.decode()
    by_area = client.get("/places/", {"area": district.community_b.pk}).content.decode()
    assert "共 1 个" in by_area and "李庄村卡点" in by_area
    # An area outside the viewer's scope shows nothing rather than its places.
    assert "共 0 个" in client_for(users.worker_a).get("/places/", {"area": district.community_b.pk}).content.decode()


def test_the_list_costs_the_same_queries_for_5_or_50_places(users, district, client_for,
                                                           django_assert_max_num_queries):
    for n in range(5):
        place_in(district.community_a, f"场所{n}")
    client = client_for(users.worker_a)
    client.get("/places/")  # warm the session and permission caches

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/places/")
    for n in range(5, 50):
        place_in(district.community_a, f"场所{n}")
    with django_assert_max_num_queries(len(few)):
        client.get("/places/")


# The detail page and scope -----------------------------------------------------------------------

def test_the_detail_shows_masked_phone_scan_url_and_poster_link(users, places, client_for):
    text = client_for(users.worker_a).get(f"/places/{places.gate.pk}/").content.decode()
    assert "139****0001" in text and PHONE not in text
    assert places.gate.scan_url in text
    assert f"/places/{places.gate.pk}/poster.pdf" in text
    assert "<svg" in text  # the code on screen, to try a scan from the desk


def test_staff_pages_need_a_login(places, client):
    response = client.get(f"/places/{places.gate.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# Review ------------------------------------------------------------------------------------------

def test_an_officer_approves_a_pending_place_and_its_code_works(users, places, client_for, client,
                                                               django_capture_on_commit_callbacks):
    assert client.get(f"/c/{places.pending.code}").status_code == 404  # pending: not yet
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users.officer).post(f"/places/{places.pending.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 302
    places.pending.refresh_from_db()
    assert places.pending.state == PlaceState.APPROVED
    assert places.pending.decided_by == users.officer and places.pending.decided_at is not None
    # The scan while pending was cached; approval makes the next scan work at once.
    assert client.get(f"/c/{places.pending.code}").status_code == 200
    assert AuditEvent.objects.filter(object_type="passes.Place", object_id=str(places.pending.pk),
                                     action="update", actor=users.officer).exists()


def test_a_pending_place_has_no_start_date_until_it_is_approved(users, places, client_for):
    """A pending place showed 启用时间 今天 beside 尚未启用; its code is enabled only by the approval."""
    staff = client_for(users.worker_a)
    pending = staff.get(f"/places/{places.pending.pk}/").content.decode()
    assert "尚未启用" in pending and "启用时间" not in pending
    staff.post(f"/places/{places.pending.pk}/decide/", {"decision": "approve"})
    approved = staff.get(f"/places/{places.pending.pk}/").content.decode()
    assert "启用时间" in approved and "尚未启用" not in approved
    places.pending.refresh_from_db()
    assert places.pending.code_active_since == places.pending.decided_at


def test_rejection_without_a_reason_changes_nothing(users, places, client_for):
    staff = client_for(users.worker_a)
    before = AuditEvent.objects.count()
    response = staff.post(f"/places/{places.pending.pk}/decide/",
                                               {"decision": "reject", "reason": "  "})
    assert response.status_code == 200
    assert "不通过时必须填写原因" in response.content.decode()
    places.pending.refresh_from_db()
    assert places.pending.state == PlaceState.PENDING and places.pending.decided_at is None
    assert AuditEvent.objects.count() == before


def test_rejection_with_a_reason_is_shown_and_the_code_stays_invalid(users, places, client_for, client):
    client_for(users.worker_a).post(f"/places/{places.pending.pk}/decide/",
                                    {"decision": "reject", "reason": "地址不在本社区"})
    places.pending.refresh_from_db()
    assert places.pending.state == PlaceState.REJECTED and places.pending.state_reason == "地址不在本社区"
    text = client_for(users.worker_a).get(f"/places/{places.pending.pk}/").content.decode()
    assert "未通过原因：地址不在本社区" in text
    assert client.get(f"/c/{places.pending.code}").status_code == 404
    poster = client_for(users.worker_a).get(f"/places/{places.pending.pk}/poster.pdf")
    assert poster.status_code == 409 and "只有已启用的场所才能下载海报" in poster.content.decode()


def test_a_decided_place_cannot_be_decided_again(users, places, client_for):
    response = client_for(users.worker_a).post(f"/places/{places.gate.pk}/decide/",
                                               {"decision": "reject", "reason": "重复"})
    assert "该场所已审核，不能重复审核" in response.content.decode()
    places.gate.refresh_from_db()
    assert places.gate.state == PlaceState.APPROVED


def test_a_grid_worker_cannot_decide(users, places, client_for):
    response = client_for(users.grid_worker).post(f"/places/{places.pending.pk}/decide/",
                                                    {"decision": "approve"})
    assert response.status_code in (403, 404)
    places.pending.refresh_from_db()
    assert places.pending.state == PlaceState.PENDING


# Suspension and code rotation invalidate the poster at once ----------------------------------------

def scan_is_refused(client, code, reason):
    rejected, passages = RejectedScan.objects.count(), Passage.objects.count()
    response = client.get(f"/c/{code}")
    assert response.status_code == 404
    assert "二维码无效" in response.content.decode()
    assert RejectedScan.objects.count() == rejected + 1
    assert RejectedScan.objects.latest("at").reason == reason
    assert Passage.objects.count() == passages


def test_suspending_invalidates_the_poster_at_once_and_resuming_restores_it(users, places, client_for, client,
                                                                           django_capture_on_commit_callbacks):
    code = places.gate.code
    assert client.get(f"/c/{code}").status_code == 200  # cached as approved
    staff = client_for(users.worker_a)

    response = staff.post(f"/places/{places.gate.pk}/suspend/", {"reason": ""})
    assert "暂停时必须填写原因" in response.content.decode()
    places.gate.refresh_from_db()
    assert places.gate.state == PlaceState.APPROVED

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(f"/places/{places.gate.pk}/suspend/", {"reason": "门岗撤销"}).status_code == 302
    places.gate.refresh_from_db()
    assert places.gate.state == PlaceState.SUSPENDED and places.gate.state_reason == "门岗撤销"
    scan_is_refused(client, code, "suspended")
    assert staff.get(f"/places/{places.gate.pk}/poster.pdf").status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(f"/places/{places.gate.pk}/resume/").status_code == 302
    places.gate.refresh_from_db()
    assert places.gate.state == PlaceState.APPROVED and places.gate.code == code
    assert client.get(f"/c/{code}").status_code == 200


def test_only_suspended_places_resume(users, places, client_for):
    client_for(users.worker_a).post(f"/places/{places.pending.pk}/resume/")
    places.pending.refresh_from_db()
    assert places.pending.state == PlaceState.PENDING


def test_rotating_the_code_invalidates_the_old_poster(users, places, client_for, client,
                                                     django_capture_on_commit_callbacks):
    old = places.gate.code
    assert client.get(f"/c/{old}").status_code == 200
    staff = client_for(users.worker_a)
    confirm = staff.get(f"/places/{places.gate.pk}/rotate/")
    assert confirm.status_code == 200 and "海报立即失效" in confirm.content.decode()
    places.gate.refresh_from_db()
    assert places.gate.code == old  # a GET only asks

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(f"/places/{places.gate.pk}/rotate/").status_code == 302
    places.gate.refresh_from_db()
    assert places.gate.code != old and len(places.gate.code) >= 22
    scan_is_refused(client, old, "unknown")
    assert client.get(f"/c/{places.gate.code}").status_code == 200
    assert places.gate.scan_url in staff.get(f"/places/{places.gate.pk}/").content.decode()


# Create and edit ---------------------------------------------------------------------------------

def form_data(area, **changes):
    return {"name": "东风路卡点", "kind": PlaceKind.CHECKPOINT, "area": area.pk, "address": "东风路与文化路口",
            "contact_name": "赵刚", "contact_phone": "139 0371 0002", "measures_temperature": "on",
            "policy": "standard", **changes}


def test_an_officer_creates_a_place_that_is_approved_at_once(users, district, client_for):
    response = client_for(users.officer).post("/places/new/", form_data(district.community_a))
    place = Place.objects.get(name="东风路卡点")
    assert response.status_code == 302 and response["Location"] == f"/places/{place.pk}/"
    assert place.state == PlaceState.APPROVED and place.decided_by == users.officer
    assert crypto.decrypt(place.contact_phone_encrypted) == "13903710002"
    assert place.contact_phone_masked == "139****0002"
    assert place.measures_temperature and not place.records_exit


def test_a_bad_phone_gets_a_chinese_error_and_keeps_the_input(users, district, client_for):
    response = client_for(users.worker_a).post("/places/new/", form_data(district.community_a,
                                                                          contact_phone="12345"))
    text = response.content.decode()
    assert response.status_code == 200 and "手机号码应为11位" in text
    assert 'value="东风路卡点"' in text
    assert not Place.objects.filter(name="东风路卡点").exists()


def test_a_place_cannot_be_created_outside_the_scope(users, district, client_for):
    response = client_for(users.worker_a).post("/places/new/", form_data(district.community_b))
    assert "选择一个有效的选项" in response.content.decode()
    assert not Place.objects.filter(name="东风路卡点").exists()


def test_a_compound_of_another_community_is_refused(users, district, client_for):
    response = client_for(users.officer).post("/places/new/", form_data(
        district.community_c, compound=district.compound_a.pk))
    assert "选择一个有效的选项" in response.content.decode()
    assert not Place.objects.filter(name="东风路卡点").exists()


def test_editing_keeps_the_phone_when_left_empty_and_refuses_a_duplicate_name(users, places, client_for):
    staff = client_for(users.worker_a)
    data = form_data(places.gate.area, name="幸福里小区北门（新）", contact_phone="")
    assert staff.post(f"/places/{places.gate.pk}/edit/", data).status_code == 302
    places.gate.refresh_from_db()
    assert places.gate.name == "幸福里小区北门（新）"
    assert crypto.decrypt(places.gate.contact_phone_encrypted) == PHONE
    duplicate = staff.post(f"/places/{places.gate.pk}/edit/", {**data, "name": "好又多超市"})
    assert "已有名为“好又多超市”的场所" in duplicate.content.decode()


# Checkpoint staff and the duty roster ------------------------------------------------------------

@pytest.fixture
def guards(district):
    class Guards:
        a = role_user("guard_a", Role.CHECKPOINT_STAFF, district.community_a)
        b = role_user("guard_b", Role.CHECKPOINT_STAFF, district.community_b)
        not_a_guard = role_user("worker_a2", Role.COMMUNITY_WORKER, district.community_a)

    return Guards


def at(hours):
    return (timezone.localtime() + datetime.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def test_staff_are_posted_from_the_places_scope_only(users, places, guards, client_for):
    staff = client_for(users.worker_a)
    assert staff.post(f"/places/{places.gate.pk}/staff/", {"user": guards.a.pk}).status_code == 302
    assert list(places.gate.staff.all()) == [guards.a]
    for outsider in (guards.b, guards.not_a_guard):
        response = staff.post(f"/places/{places.gate.pk}/staff/", {"user": outsider.pk})
        assert "选择一个有效的选项" in response.content.decode()
    assert list(places.gate.staff.all()) == [guards.a]
    assert staff.post(f"/places/{places.gate.pk}/staff/", {"remove": guards.a.pk}).status_code == 302
    assert not places.gate.staff.exists()


def test_a_shift_ending_before_it_starts_is_refused(users, places, guards, client_for):
    response = client_for(users.worker_a).post(f"/places/{places.gate.pk}/shifts/", {
        "user": guards.a.pk, "starts_at": at(8), "ends_at": at(2)})
    assert "结束时间必须晚于开始时间" in response.content.decode()
    assert not DutyShift.objects.exists()


def test_shifts_are_added_shown_and_deleted(users, places, guards, client_for):
    staff = client_for(users.worker_a)
    response = staff.post(f"/places/{places.gate.pk}/shifts/", {
        "user": guards.a.pk, "starts_at": at(-1), "ends_at": at(7), "duty": "测温"})
    assert response.status_code == 302
    shift = DutyShift.objects.get()
    assert (shift.user, shift.place, shift.duty) == (guards.a, places.gate, "测温")
    text = staff.get(f"/places/{places.gate.pk}/").content.decode()
    assert "guard_a" in text and "在岗" in text

    overlapping = staff.post(f"/places/{places.gate.pk}/shifts/", {
        "user": guards.a.pk, "starts_at": at(2), "ends_at": at(4)})
    assert "在这段时间已有班次" in overlapping.content.decode()
    too_long = staff.post(f"/places/{places.gate.pk}/shifts/", {
        "user": guards.a.pk, "starts_at": at(10), "ends_at": at(40)})
    assert "一个班次不能超过 24 小时" in too_long.content.decode()
    outsider = staff.post(f"/places/{places.gate.pk}/shifts/", {
        "user": guards.b.pk, "starts_at": at(10), "ends_at": at(12)})
    assert "选择一个有效的选项" in outsider.content.decode()
    assert DutyShift.objects.count() == 1

    # Another place's shift is not reachable through this place.
    other = place_in(places.gate.area, "幸福里小区南门")
    assert staff.post(f"/places/{other.pk}/shifts/{shift.pk}/delete/").status_code == 404
    assert staff.post(f"/places/{places.gate.pk}/shifts/{shift.pk}/delete/").status_code == 302
    assert not DutyShift.objects.exists()


def test_a_posted_guard_may_record_at_the_place(users, places, guards, client_for):
    from fangkong.passes.services import may_record_at

    assert not may_record_at(guards.a, places.gate)
    client_for(users.worker_a).post(f"/places/{places.gate.pk}/staff/", {"user": guards.a.pk})
    assert may_record_at(guards.a, places.gate)


def test_a_name_with_markup_is_shown_as_text(users, district, client_for):
    place = place_in(district.community_a, "<script>alert(1)</script>门岗")
    staff = client_for(users.worker_a)
    for path in ("/places/", f"/places/{place.pk}/"):
        text = staff.get(path).content.decode()
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;门岗" in text


def test_staff_are_warned_when_the_posters_would_point_phones_at_the_server_itself(users, places, client_for,
                                                                                   settings):
    """The default FANGKONG_PUBLIC_URL (127.0.0.1) is printed into every QR code, and no phone can open it."""
    staff = client_for(users.worker_a)
    settings.FANGKONG_PUBLIC_URL = "http://127.0.0.1:8000"
    listing = staff.get("/places/").content.decode()
    assert 'class="notice bad" id="public-url"' in listing and "http://127.0.0.1:8000" in listing
    assert "FANGKONG_PUBLIC_URL" in listing
    assert 'id="public-url"' in staff.get(f"/places/{places.gate.pk}/").content.decode()

    settings.FANGKONG_PUBLIC_URL = "http://192.168.1.20:8000"
    listing = staff.get("/places/").content.decode()
    assert "海报二维码里的地址：http://192.168.1.20:8000" in listing and "notice bad\" id=\"public-url" not in listing
    assert 'id="public-url"' not in staff.get(f"/places/{places.gate.pk}/").content.decode()


@pytest.mark.parametrize("url, local", [
    ("http://127.0.0.1:8000", True), ("http://localhost:8080", True), ("http://[::1]:8000", True),
    ("http://0.0.0.0:8000", True), ("http://192.168.1.20:8000", False), ("https://fk.zhengzhou.gov.cn", False)])
def test_which_public_addresses_phones_cannot_reach(url, local):
    from fangkong.passes.posters import public_url_is_local

    assert public_url_is_local(url) is local
