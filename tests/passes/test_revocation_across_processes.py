"""A revoked place code stops in every process of a deployment on the next request, not after a cache expiry.

Two separate server processes share the cache (Redis) and the database, as a production deployment's workers do.
Each has served the poster's code, so each holds the place in the cache; the code is rotated or the place
suspended through one of them, and the other refuses the old code on its very next request.
"""

from live_servers import app_servers, password_for_servers  # noqa: F401  (app_servers: a fixture)
from office_helpers import make_place

from fangkong.passes.models import Place, PlaceState, RejectedScan

PASSWORD = "Fangkong-test-2020"


def test_a_code_rotated_in_one_process_is_refused_at_once_by_another(app_servers, users, district):  # noqa: F811
    gate = make_place(district.community_a, "幸福里小区东门")
    old = gate.code
    a, b = app_servers(2)
    assert a.get(f"/c/{old}").status == 200
    assert b.get(f"/c/{old}").status == 200  # b holds the place in the shared cache now

    office = a.browser()
    password_for_servers(users.admin, PASSWORD)
    office.login(users.admin.username, PASSWORD)
    assert office.post(f"/places/{gate.pk}/rotate/", {}).status == 302

    new = Place.objects.get(pk=gate.pk).code
    assert new != old
    refused = b.get(f"/c/{old}")
    assert refused.status == 404 and "二维码无效" in refused.text
    assert RejectedScan.objects.filter(code=RejectedScan.fingerprint(old), reason="unknown").exists()
    assert b.get(f"/c/{new}").status == 200


def test_a_place_suspended_in_one_process_is_refused_at_once_by_another(app_servers, users, district):  # noqa: F811
    gate = make_place(district.community_a, "幸福里小区西门")
    a, b = app_servers(2)
    assert b.get(f"/c/{gate.code}").status == 200

    office = a.browser()
    password_for_servers(users.admin, PASSWORD)
    office.login(users.admin.username, PASSWORD)
    assert office.post(f"/places/{gate.pk}/suspend/", {"reason": "门岗撤销"}).status == 302

    assert b.get(f"/c/{gate.code}").status == 404
    assert RejectedScan.objects.filter(code=RejectedScan.fingerprint(gate.code), reason=PlaceState.SUSPENDED).exists()


def test_an_api_token_revoked_in_one_process_is_refused_at_once_by_another(app_servers, users):  # noqa: F811
    from fangkong.accounts import tokens

    token, key = tokens.issue(users.worker_a, verified=False)
    a, b = app_servers(2)

    def places(server):
        import urllib.request

        request = urllib.request.Request(server.base + "/api/places/", headers={"Authorization": f"Token {key}"})
        return server.browser()._open(request).status

    assert places(b) == 200  # b holds the token in the shared cache now
    owner = a.browser()
    password_for_servers(users.worker_a, PASSWORD)
    owner.login(users.worker_a.username, PASSWORD)
    assert owner.post(f"/accounts/tokens/{token.pk}/revoke/", {}).status == 302
    assert places(b) == 401
