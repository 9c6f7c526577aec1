"""API tokens: the second factor when the account needs one, an expiry, and revocation by the holder or a manager."""

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.accounts import tokens
from fangkong.accounts.models import ApiToken, token_digest
from fangkong.audit.models import AuditAction, AuditEvent


def ask_for_token(username, password, **extra):
    return Client().post("/api/auth/token/", {"username": username, "password": password, **extra})


def api(key):
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def current_code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def admin_device(settings, users):
    """The district admin's confirmed authenticator, with the second factor required (as in production)."""
    settings.FANGKONG_REQUIRE_ADMIN_OTP = True
    return TOTPDevice.objects.create(user=users.admin, name="fangkong", confirmed=True)


def test_a_district_admins_password_alone_gets_no_token(admin_device, users, password):
    response = ask_for_token("district_admin", password)
    assert response.status_code == 400 and "token" not in response.json()
    assert "二次验证码" in response.json()["otp_token"][0]
    wrong = ask_for_token("district_admin", password, otp_token="000000" if current_code(admin_device) != "000000"
                          else "111111")
    assert wrong.status_code == 400 and "验证码不正确" in wrong.json()["otp_token"][0]
    assert not ApiToken.objects.exists()
    # The wrong code counts as a failed login: audited, and towards the lockout.
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, object_repr="district_admin").exists()


def test_a_district_admin_gets_a_token_with_a_valid_code_and_it_works(admin_device, users, district, password):
    response = ask_for_token("district_admin", password, otp_token=current_code(admin_device))
    assert response.status_code == 200, response.content
    key = response.json()["token"]
    token = ApiToken.objects.get(user=users.admin)
    assert token.verified and token.digest == token_digest(key) and key not in (token.digest, token.prefix)
    assert api(key).get("/api/persons/").status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="accounts.ApiToken")
    assert event.actor == users.admin and event.changes["second_factor"] is True and key not in str(event.changes)


def test_an_admin_who_never_set_up_the_second_factor_is_told_to(settings, users, password):
    settings.FANGKONG_REQUIRE_ADMIN_OTP = True
    response = ask_for_token("district_admin", password, otp_token="123456")
    assert response.status_code == 400 and "尚未设置二次验证" in response.json()["otp_token"][0]


def test_other_roles_need_no_second_factor(admin_device, users, password):
    response = ask_for_token("worker_a", password)
    assert response.status_code == 200 and not ApiToken.objects.get(user=users.worker_a).verified


def test_a_token_without_the_second_factor_stops_when_its_holder_must_use_one(settings, users, district):
    _token, key = tokens.issue(users.admin, verified=False)  # issued while the second factor was off
    assert api(key).get("/api/persons/").status_code == 200
    settings.FANGKONG_REQUIRE_ADMIN_OTP = True
    users.admin.save()  # any change to the user drops cached tokens, as a role change would
    response = api(key).get("/api/persons/")
    assert response.status_code == 401 and "未经二次验证" in response.json()["detail"]


def test_a_token_expires_after_the_configured_hours(settings, users, password):
    settings.FANGKONG_API_TOKEN_HOURS = 12
    response = ask_for_token("worker_a", password)
    token = ApiToken.objects.get(user=users.worker_a)
    assert (token.expires - token.created).total_seconds() == 12 * 3600
    assert response.json()["expires"]
    ApiToken.objects.filter(pk=token.pk).update(expires=timezone.now() - timezone.timedelta(minutes=1))
    refused = api(response.json()["token"]).get("/api/persons/")
    assert refused.status_code == 401 and "已过期" in refused.json()["detail"]


def test_an_expired_token_is_refused_even_while_cached(settings, users):
    settings.FANGKONG_API_TOKEN_HOURS = 0  # expires the moment it is issued
    _token, key = tokens.issue(users.worker_a, verified=False)
    assert api(key).get("/api/persons/").status_code == 401
    assert api(key).get("/api/persons/").status_code == 401


def test_a_user_revokes_their_own_token_on_their_page_and_it_stops_at_once(users, district, client_for):
    token, key = tokens.issue(users.worker_a, verified=False)
    assert api(key).get("/api/persons/").status_code == 200  # cached from here on
    page = client_for(users.worker_a).get("/accounts/me/")
    assert page.status_code == 200 and f'id="token-{token.pk}"' in page.content.decode()
    assert key not in page.content.decode()
    response = client_for(users.worker_a).post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/accounts/me/"
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert api(key).get("/api/persons/").status_code == 401
    event = AuditEvent.objects.get(action=AuditAction.DELETE, object_type="accounts.ApiToken")
    assert event.actor == users.worker_a and event.object_id == str(token.pk)


def test_nobody_revokes_or_sees_another_users_token_on_their_own_page(users, client_for):
    token, _key = tokens.issue(users.worker_b, verified=False)
    assert f'id="token-{token.pk}"' not in client_for(users.worker_a).get("/accounts/me/").content.decode()
    assert client_for(users.worker_a).post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_a_district_admin_revokes_a_users_tokens_from_the_user_page(users, district, client_for):
    _token, key = tokens.issue(users.worker_a, verified=False)
    tokens.issue(users.worker_a, verified=False)
    assert api(key).get("/api/persons/").status_code == 200
    admin = client_for(users.admin)
    page = admin.get(f"/accounts/users/{users.worker_a.pk}/").content.decode()
    assert "2 个在用" in page and "撤销全部API令牌" in page
    response = admin.post(f"/accounts/users/{users.worker_a.pk}/tokens/revoke/")
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=users.worker_a).exists()
    assert api(key).get("/api/persons/").status_code == 401
    event = AuditEvent.objects.get(action=AuditAction.DELETE, object_type="accounts.ApiToken")
    assert event.actor == users.admin and event.changes["count"] == 2


def test_a_worker_cannot_revoke_someone_elses_tokens_through_the_user_page(users, client_for):
    tokens.issue(users.worker_b, verified=False)
    assert client_for(users.worker_a).post(f"/accounts/users/{users.worker_b.pk}/tokens/revoke/").status_code == 403
    assert client_for(users.officer).post(f"/accounts/users/{users.worker_b.pk}/tokens/revoke/").status_code == 404
    assert ApiToken.objects.filter(user=users.worker_b).exists()


def test_a_password_reset_ends_the_users_tokens(users, client_for):
    _token, key = tokens.issue(users.worker_a, verified=False)
    client_for(users.admin).post(f"/accounts/users/{users.worker_a.pk}/password/")
    assert api(key).get("/api/persons/").status_code == 401
