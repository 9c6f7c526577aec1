"""Every staff member changes their own password (修改密码) and sees their API tokens on 我的账号."""

from django.test import Client

from fangkong.accounts import tokens
from fangkong.audit.models import AuditAction, AuditEvent

NEW_PASSWORD = "Qiuji-2022-fangkong"


def log_in(username, password):
    client = Client()
    return client, client.post("/login/", {"username": username, "password": password})


def test_a_worker_changes_their_own_password(users, password):
    client, _login = log_in("worker_a", password)
    other_phone, _login = log_in("worker_a", password)
    _token, key = tokens.issue(users.worker_a, verified=False)
    page = client.get("/")
    assert 'href="/accounts/me/"' in page.content.decode()
    assert 'href="/accounts/password/"' in client.get("/accounts/me/").content.decode()
    form = client.get("/accounts/password/")
    assert form.status_code == 200 and "修改密码" in form.content.decode()
    response = client.post("/accounts/password/", {
        "old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/me/"
    assert "密码已修改" in client.get("/accounts/me/").content.decode()  # this phone stays signed in
    assert other_phone.get("/people/").status_code == 302  # the other session ended with the old password
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/persons/").status_code == 401
    assert log_in("worker_a", password)[1].status_code == 200
    assert log_in("worker_a", NEW_PASSWORD)[1].status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="accounts.User",
                                   object_id=str(users.worker_a.pk))
    assert event.actor == users.worker_a and event.changes == {"password": "(本人修改)", "api_tokens_revoked": 1}
    assert NEW_PASSWORD not in str(event.changes) and password not in str(event.changes)


def test_a_wrong_old_password_or_a_weak_new_one_changes_nothing(users, client_for, password):
    client = client_for(users.worker_a)
    wrong = client.post("/accounts/password/", {
        "old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert wrong.status_code == 200
    weak = client.post("/accounts/password/", {
        "old_password": password, "new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and 'class="field invalid"' in weak.content.decode()
    users.worker_a.refresh_from_db()
    assert users.worker_a.check_password(password)
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="accounts.User").exists()


def test_the_password_page_needs_a_login(db):
    response = Client().get("/accounts/password/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
