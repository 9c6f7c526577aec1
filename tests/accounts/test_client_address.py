"""Who the client is: the peer's address, unless a configured proxy forwarded the request. The one answer for
audit rows, API throttles and the login lockout; and one address failing across many usernames is locked out."""

import pytest
from django.test import Client, RequestFactory

from fangkong.audit.context import client_ip
from fangkong.audit.models import AuditAction, AuditEvent

PROXY = "10.0.0.5"


def from_address(remote_addr, forwarded=""):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(("remote_addr", "forwarded", "client"), [
    ("198.51.100.9", "203.0.113.7", "198.51.100.9"),              # not a proxy: its header is a claim
    (PROXY, "", PROXY),                                              # a proxy's own request
    (PROXY, "203.0.113.7", "203.0.113.7"),                           # forwarded by the proxy
    (PROXY, "1.2.3.4, 203.0.113.7", "203.0.113.7"),                  # what the client itself put first is ignored
    (PROXY, "203.0.113.7, 10.0.1.3", "203.0.113.7"),                 # through two trusted hops (a CIDR)
    (PROXY, "10.0.1.3", "10.0.1.3"),                                 # only proxies: the farthest one
    (PROXY, "not-an-address, 203.0.113.7", "203.0.113.7"),
    (PROXY, "203.0.113.7, garbage", PROXY),                          # the proxy wrote garbage: the proxy
])
def test_the_client_address_believes_only_configured_proxies(settings, remote_addr, forwarded, client):
    settings.FANGKONG_TRUSTED_PROXIES = [PROXY, "10.0.1.0/24"]
    assert client_ip(from_address(remote_addr, forwarded)) == client


def token_requests(count, forwarded_for=lambda n: f"203.0.113.{n}", remote_addr="127.0.0.1"):
    """`count` empty token requests (400: nothing to authenticate, so no lockout), each with its own header."""
    return [Client(REMOTE_ADDR=remote_addr).post("/api/auth/token/", {}, HTTP_X_FORWARDED_FOR=forwarded_for(n))
            for n in range(count)]


def test_a_forged_forwarded_header_does_not_escape_the_token_throttle(db):
    answers = token_requests(21)
    assert [a.status_code for a in answers[:20]] == [400] * 20
    assert answers[20].status_code == 429 and "Retry-After" in answers[20]


def test_behind_a_trusted_proxy_the_throttle_counts_each_forwarded_client(settings, db):
    settings.FANGKONG_TRUSTED_PROXIES = [PROXY]
    answers = token_requests(21, forwarded_for=lambda n: "203.0.113.7", remote_addr=PROXY)
    assert answers[20].status_code == 429
    other = token_requests(1, forwarded_for=lambda n: "203.0.113.8", remote_addr=PROXY)[0]
    assert other.status_code == 400  # another resident behind the same proxy is not throttled


def log_in(username, password, remote_addr="127.0.0.1", forwarded=""):
    client = Client(REMOTE_ADDR=remote_addr)
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return client.post("/login/", {"username": username, "password": password}, **extra)


def test_audit_rows_take_the_forwarded_address_only_from_a_trusted_proxy(settings, users, password):
    log_in("worker_a", password, remote_addr="198.51.100.9", forwarded="203.0.113.7")
    assert AuditEvent.objects.get(action=AuditAction.LOGIN).ip == "198.51.100.9"
    settings.FANGKONG_TRUSTED_PROXIES = [PROXY]
    log_in("worker_b", password, remote_addr=PROXY, forwarded="1.2.3.4, 203.0.113.7")
    assert AuditEvent.objects.get(action=AuditAction.LOGIN, actor=users.worker_b).ip == "203.0.113.7"


def test_one_address_trying_many_usernames_is_locked_out(settings, users, password):
    assert settings.FANGKONG_LOGIN_ADDRESS_FAILURE_LIMIT == 30
    for n in range(30):  # one password tried against thirty usernames, each failing once
        log_in(f"someone{n}", "Spring-2022-pass", remote_addr="198.51.100.9")
    locked = log_in("worker_a", password, remote_addr="198.51.100.9")
    assert locked.status_code == 429 and "锁定" in locked.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT).exists()
    # Another address, and the same account from it, are not locked.
    assert log_in("worker_a", password, remote_addr="198.51.100.10").status_code == 302


def test_the_lockout_knows_clients_behind_a_trusted_proxy_apart(settings, users, password):
    settings.FANGKONG_TRUSTED_PROXIES = [PROXY]
    for n in range(30):
        log_in(f"someone{n}", "Spring-2022-pass", remote_addr=PROXY, forwarded="203.0.113.7")
    assert log_in("worker_a", password, remote_addr=PROXY, forwarded="203.0.113.7").status_code == 429
    # A forged header from the attacker does not make it someone else...
    assert log_in("worker_a", password, remote_addr=PROXY, forwarded="203.0.113.8, 203.0.113.7").status_code == 429
    # ...while a real colleague behind the same proxy logs in.
    assert log_in("worker_a", password, remote_addr=PROXY, forwarded="203.0.113.8").status_code == 302


def test_an_address_below_the_limit_is_not_locked(settings, users, password):
    for n in range(29):
        log_in(f"someone{n}", "Spring-2022-pass")
    assert log_in("worker_a", password).status_code == 302
