"""Separate server processes of this checkout sharing one Redis cache and this test's PostgreSQL database, as
the worker processes of a production deployment do. For the tests that something revoked or counted in one
process holds in the others at once.

    def test_x(app_servers, ...):     # in a module that does `from live_servers import app_servers`
        a, b = app_servers(2)
        a.login("district_admin", PASSWORD); a.post("/places/1/rotate/", {})
        b.get("/c/<old code>").status == 404
"""

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.db import connection

# CI starts Redis (.ci/run); a database number of its own, and a key prefix per test, keep runs apart.
REDIS_URL = os.getenv("FANGKONG_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")

SERVE = """
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

from fangkong.wsgi import application

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

make_server("127.0.0.1", int(sys.argv[1]), application, handler_class=Quiet).serve_forever()
"""


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Answer:
    status: int
    text: str
    headers: dict


class Browser:
    """One visitor of one server process: its own cookies, CSRF token sent back as a form would."""

    def __init__(self, base: str, address: str = ""):
        self.base, self.jar = base, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def _open(self, request) -> Answer:
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, response.read().decode(errors="replace"), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(errors="replace"), dict(error.headers))

    def get(self, path: str) -> Answer:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict) -> Answer:
        if not any(cookie.name == "csrftoken" for cookie in self.jar):
            self.get("/login/")
        token = next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}, doseq=True).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def login(self, username: str, password: str) -> None:
        answer = self.post("/login/", {"username": username, "password": password})
        assert answer.status == 302, answer.text[:500]


def password_for_servers(user, password: str) -> None:
    """The tests hash passwords with MD5 (tests/conftest.py), which the servers' settings do not list."""
    from django.contrib.auth.hashers import make_password

    type(user).objects.filter(pk=user.pk).update(password=make_password(password, hasher="pbkdf2_sha256"))


@dataclass
class Server:
    base: str
    process: subprocess.Popen

    def browser(self) -> Browser:
        return Browser(self.base)

    def get(self, path: str) -> Answer:
        return Browser(self.base).get(path)


@pytest.fixture
def app_servers(transactional_db, tmp_path):
    """`app_servers(n)`: n server processes of this checkout on this test's database and one shared Redis."""
    if not redis_answers():
        if os.getenv("CI"):
            pytest.fail(f"Redis does not answer at {REDIS_URL}")
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    database_url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}").geturl()
    env = {**os.environ, "DATABASE_URL": database_url, "FANGKONG_REDIS_URL": REDIS_URL,
           "FANGKONG_CACHE_PREFIX": f"test-{uuid.uuid4().hex}", "FANGKONG_MEDIA_ROOT": str(tmp_path / "media"),
           "FANGKONG_ENV": "development", "CELERY_BROKER_URL": ""}
    from django.conf import settings

    servers = []

    def start(n: int, **extra_env) -> list[Server]:
        """n more servers; `extra_env` adds to their environment (e.g. FANGKONG_LIMITS)."""
        for _ in range(n):
            port = _free_port()
            log = (tmp_path / f"server-{port}.log").open("w")
            process = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=settings.BASE_DIR,
                                       env={**env, **extra_env},
                                       stdout=log, stderr=subprocess.STDOUT)
            servers.append(Server(f"http://127.0.0.1:{port}", process))
        deadline = time.monotonic() + 60  # a safety stop while the processes start, not a speed check
        for server in servers:
            while True:
                assert server.process.poll() is None, "a server process stopped (its log is in tmp_path)"
                try:
                    socket.create_connection(("127.0.0.1", int(server.base.rsplit(":", 1)[1])), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "a server process did not start"
                    time.sleep(0.2)
        return servers[-n:]

    try:
        yield start
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            server.process.wait(timeout=30)
