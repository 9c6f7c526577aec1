"""A database outage: the API answers JSON 503 with Retry-After, pages a Chinese "busy" page, a connection that
died with a PostgreSQL restart is replaced before it fails a request, and nothing that was accepted is lost.

The outages are real: the connection is pointed at a port where no server listens, or its server process is
terminated by PostgreSQL (what a restart does to every pooled connection).
"""

from wsgiref.util import setup_testing_defaults

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client
from office_helpers import passage

from fangkong.accounts import tokens
from fangkong.passes.models import Passage
from tests.conftest import database_down, declare


def terminate_this_connection():
    """What a PostgreSQL restart does to a kept connection: the server side goes away."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params = {key: params[key] for key in ("host", "port", "user", "password", "dbname") if params.get(key)}
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def token_client(user) -> Client:
    _, key = tokens.issue(user, verified=True)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}", raise_request_exception=False)
    assert client.get("/api/areas/").status_code == 200  # the token is read once, as at any gate
    return client


def served(path: str, **headers):
    """A request through the real WSGI handler, with the signals that keep and check connections between
    requests (the test client switches those off)."""
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_HOST": "testserver", **headers}
    setup_testing_defaults(environ)
    started = {}
    response = WSGIHandler()(environ, lambda status, headers, exc_info=None: started.update(status=status))
    try:
        return int(started["status"].split()[0]), b"".join(response)
    finally:
        response.close()


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_json_503_with_retry_after_while_the_database_is_down(district, guard, gate):
    client = token_client(guard)
    with database_down():
        response = client.post("/api/passages/", {"person": district.person_a.pk, "place": gate.pk},
                               content_type="application/json", HTTP_IDEMPOTENCY_KEY="down-1")
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "系统繁忙，请稍后重试。", "code": "unavailable"}


@pytest.mark.django_db(transaction=True)
def test_pages_answer_a_chinese_busy_page_that_keeps_the_form_while_the_database_is_down(
        district, users, client_for, gate):
    signed_in = client_for(users.worker_a)
    signed_in.raise_request_exception = False
    resident = Client(raise_request_exception=False)
    with database_down():
        # The session and the user are read in a middleware, the place in a view: both lead to the same page.
        staff_page = signed_in.get("/")
        resident_page = resident.post(f"/c/{gate.code}/declare", {"name": "王秀英"})
    for response in (staff_page, resident_page):
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        html = response.content.decode()
        assert "系统繁忙，请稍后重试" in html and "<body data-busy>" in html
        assert "fangkong/forms.js" in html  # the script that fills the form in again on the way back
    assert "幸福里" not in staff_page.content.decode()  # no user, no menu: nothing that needs the database


@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_by_a_restart_is_replaced_before_it_fails_a_request(district, guard):
    client = token_client(guard)
    _, key = tokens.issue(guard, verified=True)
    try:
        assert served("/api/areas/", HTTP_AUTHORIZATION=f"Token {key}")[0] == 200
        terminate_this_connection()
        status, body = served("/api/areas/", HTTP_AUTHORIZATION=f"Token {key}")
        assert status == 200, body[:300]
    finally:
        connection.close()
    assert client.get("/api/areas/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_nothing_accepted_during_an_outage_is_lost_and_nothing_is_written_twice(district, guard, gate):
    for person in district.persons_a:
        declare(person)
        passage(person, gate)  # scanned in: the guard may record them by id (persons_recordable_by)
    earlier = set(Passage.objects.values_list("pk", flat=True))
    client = token_client(guard)

    def record(person, key):
        return client.post("/api/passages/", {"person": person.pk, "place": gate.pk, "direction": "in"},
                           content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)

    answers = {"before": record(district.person_a, "k-before")}
    with database_down():
        answers["during"] = record(district.person_a_neighbour, "k-during")
    answers["after"] = record(district.person_a_other_grid, "k-after")
    assert answers["during"].status_code == 503
    # The scanner retries what was refused, with the same key, as Retry-After tells it.
    answers["retried"] = record(district.person_a_neighbour, "k-during")
    answers["twice"] = record(district.person_a, "k-before")
    assert [answers[k].status_code for k in ("before", "after", "retried", "twice")] == [201, 201, 201, 200]
    accepted = {answers[k].json()["id"] for k in ("before", "after", "retried", "twice")}
    assert set(Passage.objects.exclude(pk__in=earlier).values_list("pk", flat=True)) == accepted
    assert sorted(Passage.objects.exclude(pk__in=earlier).values_list("person_id", flat=True)) == sorted(
        p.pk for p in district.persons_a)
