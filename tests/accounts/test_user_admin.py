"""District and subdistrict admins run their area's accounts in the app: scoped, audited, in Chinese."""

import re

import pytest
from django.test import Client

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditAction, AuditEvent
from tests import viewtests
from tests.conftest import make_user

NEW_PASSWORD = "Wangge-2022-spring"


def log_in(username, password):
    client = Client()
    return client, client.post("/login/", {"username": username, "password": password})


def lock_out(username):
    for attempt in range(10):
        log_in(username, f"wrong-{attempt}")
    assert log_in(username, "anything")[1].status_code == 429


def listed(response) -> str:
    """The list's table and header count: what the page shows of the accounts (not the URL echoed in the nav)."""
    page = response.content.decode()
    return page[page.index('<h1>'):page.index('</h1>')] + page[page.index('<table'):page.index('</table>')]


def role_choices(response) -> str:
    page = response.content.decode()
    start = page.index('<select name="role"')
    return page[start:page.index("</select>", start)]


def audit_rows(target, action=AuditAction.UPDATE):
    return AuditEvent.objects.filter(action=action, object_type="accounts.User", object_id=str(target.pk))


class TestAccountPages(viewtests.OutsideScopeTests, viewtests.PermissionTests):
    viewer = "officer"  # of 东风街道
    outside_requests = ["/accounts/users/{pk}/",
                        ("POST", "/accounts/users/{pk}/", {"full_name": "改名", "role": Role.COMMUNITY_WORKER.value}),
                        *[("POST", f"/accounts/users/{{pk}}/{action}/", {"active": "0"})
                          for action in ("active", "unlock", "password")]]
    refused = ("worker_a", "grid_worker", "leader")  # only account managers see the pages
    refused_requests = ["/accounts/users/", "/accounts/users/locked/"]

    outside = viewtests.pick("users", "worker_b")  # of 文化路街道


def test_the_district_admin_creates_a_grid_worker_who_then_logs_in(district, users, client_for):
    admin = client_for(users.admin)
    form = admin.get("/accounts/users/new/")
    assert form.status_code == 200 and "新建账号" in form.content.decode()
    response = admin.post("/accounts/users/new/", {
        "username": "wg_liu", "full_name": "刘网格", "phone": "139 0371 2222", "role": Role.GRID_WORKER.value,
        "grid": district.grid_a2.pk, "password": NEW_PASSWORD})
    assert response.status_code == 200 and "账号已建立" in response.content.decode()
    user = User.objects.get(username="wg_liu")
    assert (user.full_name, user.area, user.grid, user.role_codes) == (
        "刘网格", district.community_a, district.grid_a2, {"grid_worker"})
    assert user in district.grid_a2.members.all()
    assert user.phone == "13903712222" and "13903712222" not in user.phone_encrypted
    event = audit_rows(user, AuditAction.CREATE).get()
    assert event.actor == users.admin and event.changes["role"] == "grid_worker"
    assert event.changes["password"] == "(已设置)" and NEW_PASSWORD not in str(event.changes)

    client, login = log_in("wg_liu", NEW_PASSWORD)
    assert login.status_code == 302
    assert client.get("/people/").status_code == 200

    # The list shows them, found by name, username or phone, with the phone masked.
    for query in ("刘网格", "wg_l", "13903712222", "2222"):
        page = listed(admin.get("/accounts/users/", {"q": query}))
        assert "wg_liu" in page and "共 1 人" in page, query
        assert "139****2222" in page and "13903712222" not in page


def test_a_generated_password_is_shown_once_and_works(district, users, client_for):
    response = client_for(users.admin).post("/accounts/users/new/", {
        "username": "cw_zhao", "full_name": "赵社区", "role": Role.COMMUNITY_WORKER.value,
        "area": district.community_c.pk})
    page = response.content.decode()
    password = re.search(r'id="new-password"[^>]*>([^<]+)<', page)[1]
    assert "只显示这一次" in page and response["Cache-Control"].startswith("max-age=0")
    assert log_in("cw_zhao", password)[1].status_code == 302
    assert password not in listed(client_for(users.admin).get("/accounts/users/"))


def test_bad_input_keeps_what_was_typed_and_says_what_is_wrong_in_chinese(district, users, client_for):
    response = client_for(users.admin).post("/accounts/users/new/", {
        "username": "worker_a", "full_name": "周新人", "phone": "1390371", "role": Role.COMMUNITY_WORKER.value,
        "area": district.subdistrict.pk, "password": "12345678"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "该账号已存在" in page
    assert "手机号码应为11位" in page
    assert "社区工作人员的所属区域应为社区/村" in page
    assert "密码太短，至少需要 10 位" in page and "密码只包含数字" in page
    assert 'value="周新人"' in page and 'value="1390371"' in page
    assert not User.objects.filter(full_name="周新人").exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="accounts.User").exists()

    missing = client_for(users.admin).post("/accounts/users/new/", {"username": "gw_new", "full_name": "吴网格",
                                                                     "role": Role.GRID_WORKER.value}).content.decode()
    assert "网格员须选择所属网格" in missing and 'value="gw_new"' in missing
    spaced = client_for(users.admin).post("/accounts/users/new/", {"username": "wu wang", "full_name": "吴网格"})
    assert "账号只能用字母、数字和 @ . + - _" in spaced.content.decode()


def test_a_subdistrict_officer_sees_and_manages_only_their_subdistrict(district, users, client_for):
    officer = client_for(users.officer)
    page = listed(officer.get("/accounts/users/"))
    assert "worker_a" in page and "grid_worker" in page
    assert "worker_b" not in page and "district_admin" not in page

    # Another subdistrict's user is out of reach by id (TestAccountPages); nor can the officer move their
    # own worker into the other subdistrict by sending its area's id.
    response = officer.post(f"/accounts/users/{users.worker_a.pk}/", {
        "full_name": "社区工作人员甲", "role": Role.COMMUNITY_WORKER.value, "area": district.community_b.pk})
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    users.worker_a.refresh_from_db()
    assert users.worker_a.area == district.community_a


def test_a_subdistrict_officer_cannot_grant_district_admin_or_officer(district, users, client_for):
    officer = client_for(users.officer)
    form = role_choices(officer.get("/accounts/users/new/"))
    assert "区级管理员" not in form and "街道干部" not in form and "网格员" in form
    for role, area in ((Role.DISTRICT_ADMIN, district.district), (Role.SUBDISTRICT_OFFICER, district.subdistrict)):
        response = officer.post("/accounts/users/new/", {"username": f"x_{role.value}", "full_name": "越权",
                                                         "role": role.value, "area": area.pk})
        assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    # Promoting their worker fails the same way; a fellow officer of the subdistrict is not theirs to edit.
    officer.post(f"/accounts/users/{users.worker_a.pk}/", {
        "full_name": "社区工作人员甲", "role": Role.SUBDISTRICT_OFFICER.value, "area": district.subdistrict.pk})
    assert User.objects.get(pk=users.worker_a.pk).role_codes == {"community_worker"}
    fellow = make_user("officer2", Role.SUBDISTRICT_OFFICER, district.subdistrict)
    assert officer.get(f"/accounts/users/{fellow.pk}/").status_code == 403
    assert officer.post(f"/accounts/users/{fellow.pk}/active/", {"active": "0"}).status_code == 403
    assert not User.objects.filter(full_name="越权").exists()


def test_a_subdistrict_officer_creates_checkpoint_staff_for_a_place_of_their_area(district, users, client_for):
    from fangkong.passes.models import Place, PlaceState

    place = Place.objects.create(area=district.community_a, name="幸福里小区北门", kind="compound_gate",
                                 address="文化路12号", contact_name="王", state=PlaceState.APPROVED)
    elsewhere = Place.objects.create(area=district.community_b, name="李庄村口", kind="checkpoint",
                                     address="李庄", contact_name="李", state=PlaceState.APPROVED)
    officer = client_for(users.officer)
    refused = officer.post("/accounts/users/new/", {
        "username": "kd_sun", "full_name": "孙卡点", "role": Role.CHECKPOINT_STAFF.value,
        "area": district.community_a.pk, "places": [place.pk, elsewhere.pk], "password": NEW_PASSWORD})
    assert "选择一个有效的选项" in refused.content.decode() and not User.objects.filter(username="kd_sun").exists()
    officer.post("/accounts/users/new/", {
        "username": "kd_sun", "full_name": "孙卡点", "role": Role.CHECKPOINT_STAFF.value,
        "area": district.community_a.pk, "places": [place.pk], "password": NEW_PASSWORD})
    user = User.objects.get(username="kd_sun")
    assert list(user.checkpoint_places.all()) == [place]


def test_deactivating_refuses_oneself_and_the_last_district_admin(district, users, client_for, password):
    admin = client_for(users.admin)
    response = admin.post(f"/accounts/users/{users.admin.pk}/active/", {"active": "0"}, follow=True)
    assert "不能停用或启用自己的账号" in response.content.decode()
    users.admin.refresh_from_db()
    assert users.admin.is_active

    root = User.objects.create_superuser("root", password=NEW_PASSWORD, area=district.district)
    response = client_for(root).post(f"/accounts/users/{users.admin.pk}/active/", {"active": "0"}, follow=True)
    assert "这是最后一位在用的区级管理员，不能停用" in response.content.decode()
    users.admin.refresh_from_db()
    assert users.admin.is_active and not audit_rows(users.admin).exists()
    demoted = client_for(root).post(f"/accounts/users/{users.admin.pk}/", {
        "full_name": "区管理员", "role": Role.LEADER.value, "area": district.district.pk})
    assert "不能改为其他角色" in demoted.content.decode()
    assert User.objects.get(pk=users.admin.pk).role_codes == {"district_admin"}

    # With a second district admin, one may deactivate the other, who can no longer log in.
    second = make_user("district_admin2", Role.DISTRICT_ADMIN, district.district)
    response = admin.post(f"/accounts/users/{second.pk}/active/", {"active": "0"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert not second.is_active
    assert audit_rows(second).get().changes == {"is_active": [True, False]}
    assert log_in("district_admin2", password)[1].status_code == 200
    admin.post(f"/accounts/users/{second.pk}/active/", {"active": "1"})
    second.refresh_from_db()
    assert second.is_active and audit_rows(second).count() == 2


def test_unlocking_clears_the_lockout_and_the_user_logs_in(users, client_for, password):
    lock_out("worker_a")
    for viewer in (users.admin, users.officer):
        page = listed(client_for(viewer).get("/accounts/users/locked/"))
        assert "已锁定账号" in page and "worker_a" in page and "共 1 人" in page and "解锁" in page
    assert "worker_a" in listed(client_for(users.admin).get("/accounts/users/", {"state": "locked"}))

    response = client_for(users.officer).post(f"/accounts/users/{users.worker_a.pk}/unlock/",
                                              {"next": "/accounts/users/locked/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/users/locked/"
    assert "没有被锁定的账号" in client_for(users.officer).get("/accounts/users/locked/").content.decode()
    assert log_in("worker_a", password)[1].status_code == 302
    event = audit_rows(users.worker_a).get()
    assert event.actor == users.officer and event.changes["lockout"] == ["已锁定", "已解锁"]


def test_another_subdistricts_lockout_is_not_listed_nor_unlockable(users, client_for):
    lock_out("worker_b")
    officer = client_for(users.officer)
    assert "worker_b" not in listed(officer.get("/accounts/users/locked/"))
    assert officer.post(f"/accounts/users/{users.worker_b.pk}/unlock/").status_code == 404
    assert log_in("worker_b", "anything")[1].status_code == 429


def test_a_reset_password_is_shown_once_and_replaces_the_old_one(users, client_for, password):
    old_session = client_for(users.grid_worker)
    response = client_for(users.officer).post(f"/accounts/users/{users.grid_worker.pk}/password/")
    new = re.search(r'id="new-password"[^>]*>([^<]+)<', response.content.decode())[1]
    assert log_in("grid_worker", password)[1].status_code == 200
    assert log_in("grid_worker", new)[1].status_code == 302
    assert old_session.get("/people/").status_code == 302  # the old session ended with the old password
    event = audit_rows(users.grid_worker).get()
    assert event.changes == {"password": "(已重置)"} and new not in str(event.changes)
    assert client_for(users.officer).get(f"/accounts/users/{users.grid_worker.pk}/password/").status_code == 405


def test_editing_role_and_area_is_audited(district, users, client_for):
    response = client_for(users.admin).post(f"/accounts/users/{users.worker_a.pk}/", {
        "full_name": "社区工作人员甲", "role": Role.GRID_WORKER.value, "grid": district.grid_a1.pk})
    assert response.status_code == 302
    worker = User.objects.get(pk=users.worker_a.pk)
    assert worker.grid == district.grid_a1 and worker.role_codes == {"grid_worker"}
    changes = audit_rows(users.worker_a).get().changes
    assert changes["role"] == ["community_worker", "grid_worker"] and changes["grid"] == ["", "第一网格"]


def test_only_account_managers_see_the_pages_and_the_nav_link(users, client_for):
    assert 'href="/accounts/users/"' in client_for(users.admin).get("/").content.decode()
    assert 'href="/accounts/users/"' in client_for(users.officer).get("/").content.decode()
    for user in (users.worker_a, users.grid_worker, users.leader):
        client = client_for(user)
        assert 'href="/accounts/users/"' not in client.get("/").content.decode()


@pytest.mark.parametrize("field", ["role", "area", "state"])
def test_the_list_filters(field, district, users, client_for):
    User.objects.filter(pk=users.worker_b.pk).update(is_active=False)
    value = {"role": Role.GRID_WORKER.value, "area": district.community_b.pk, "state": "inactive"}[field]
    page = listed(client_for(users.admin).get("/accounts/users/", {field: value}))
    expected = {"role": "grid_worker", "area": "worker_b", "state": "worker_b"}[field]
    assert expected in page and "共 1 人" in page


def test_staff_phones_are_stored_encrypted_and_follow_a_key_rotation(settings, users, leaks):
    from io import StringIO

    from django.core.management import call_command

    from fangkong.core import crypto

    user = users.grid_worker
    user.set_phone("13703715678")
    user.save()
    assert leaks({"phone": "13703715678"}) == []

    old, new = list(settings.FANGKONG_FIELD_KEYS), crypto.generate_key()
    settings.FANGKONG_FIELD_KEYS = [new, *old]
    call_command("rotate_field_keys", stdout=StringIO())
    settings.FANGKONG_FIELD_KEYS = [new]  # the old key is gone
    assert User.objects.get(pk=user.pk).phone == "13703715678"
    assert list(User.objects.search("13703715678")) == list(User.objects.search("5678")) == [user]
