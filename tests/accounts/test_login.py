"""Logging in: audited, locked after too many wrong passwords, Argon2 hashes, TOTP for district admins."""

from django.test import Client

from fangkong.audit.models import AuditAction, AuditEvent


def login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_a_successful_login_is_audited(users, password):
    client = Client()
    response = login(client, "worker_a", password)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(users.worker_a.pk)
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert (event.actor, event.object_id, event.ip) == (users.worker_a, str(users.worker_a.pk), "127.0.0.1")


def test_logout_is_audited(users, password):
    client = Client()
    login(client, "worker_a", password)
    client.post("/logout/")
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=users.worker_a).exists()


def test_a_wrong_password_is_refused_and_audited(users):
    client = Client()
    response = login(client, "worker_a", "not-the-password")
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert (event.actor, event.object_repr, event.ip) == (None, "worker_a", "127.0.0.1")


def test_ten_wrong_passwords_lock_the_account(settings, users, password):
    assert settings.AXES_FAILURE_LIMIT == 10
    client = Client()
    for attempt in range(9):
        assert login(client, "worker_a", f"wrong-{attempt}").status_code == 200
    response = login(client, "worker_a", "wrong-9")
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT, object_repr="worker_a").exists()

    # The eleventh attempt fails even with the right password, with the lockout page.
    response = login(client, "worker_a", password)
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, object_repr="worker_a").count() >= 10
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()

    # Another account from the same address is not locked.
    assert login(Client(), "worker_b", password).status_code == 302


def test_wrong_passwords_on_the_token_endpoint_count_too(users, password):
    client = Client()
    for attempt in range(10):
        response = client.post("/api/auth/token/", {"username": "worker_a", "password": f"wrong-{attempt}"})
        assert response.status_code in (400, 429)
    response = client.post("/api/auth/token/", {"username": "worker_a", "password": password})
    assert response.status_code == 429 and "token" not in response.json()
    assert "锁定" in response.json()["detail"]
    assert login(Client(), "worker_a", password).status_code == 429


def test_passwords_are_hashed_with_argon2(settings, users):
    from fangkong import settings as project

    settings.PASSWORD_HASHERS = project.PASSWORD_HASHERS
    user = users.worker_a
    user.set_password("Another-long-pass-2022")
    user.save()
    assert user.password.startswith("argon2$")
    assert login(Client(), "worker_a", "Another-long-pass-2022").status_code == 302


def test_district_admins_need_a_second_factor_when_required(settings, users, client_for):
    settings.FANGKONG_REQUIRE_ADMIN_OTP = True
    response = client_for(users.admin).get("/people/")
    assert response.status_code == 302 and response["Location"] == "/otp/?next=/people/"
    page = client_for(users.admin).get("/otp/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    wrong = client_for(users.admin).post("/otp/", {"token": "000000"})
    assert "验证码不正确" in wrong.content.decode()
    # Other roles are not asked.
    assert client_for(users.worker_a).get("/people/").status_code == 200


def test_a_district_admin_passes_with_a_valid_totp_code(settings, users, password):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.FANGKONG_REQUIRE_ADMIN_OTP = True
    client = Client()
    login(client, "district_admin", password)
    client.get("/otp/")  # first visit: sets up an unconfirmed device
    device = TOTPDevice.objects.get(user=users.admin)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post("/otp/?next=/people/", {"token": code})
    assert response.status_code == 302 and response["Location"] == "/people/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/people/").status_code == 200


def test_pages_need_a_login(district):
    for url in ("/", "/people/", "/territory/", "/audit/", "/exports/1/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    assert Client().get("/api/persons/").status_code in (401, 403)
