"""The OpenAPI document says what the API really answers: real answers, successes and refusals alike, are
checked against it (the status must be listed for the operation, and the body must match its schema exactly:
no field more, none of another type, null only where null is documented)."""

import re

import jsonschema
import pytest
from django.test import Client

from tests.passes.office_helpers import checkpoint_user, make_place
from tests.passes.office_helpers import passage as scanned_in

JSON = "application/json"


def strict(schema):
    """The schema with every documented object closed: an answer's undocumented field fails."""
    if isinstance(schema, dict):
        closed = {key: strict(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            closed["unevaluatedProperties"] = False
        return closed
    if isinstance(schema, list):
        return [strict(value) for value in schema]
    return schema


class Document:
    def __init__(self, document):
        self.document = document
        self.components = strict(document.get("components", {}))
        # Literal segments before parameters: /api/health-codes/overrides/ is not /api/health-codes/{id}/.
        paths = sorted(document["paths"], key=lambda path: (path.count("{"), path))
        self.routes = [(re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"), path)
                       for path in paths]
        self.checked = set()

    def check(self, response):
        path, method = response.request["PATH_INFO"], response.request["REQUEST_METHOD"].lower()
        template = next((template for pattern, template in self.routes if pattern.match(path)), None)
        assert template, f"{path} is not in the document"
        operation = self.document["paths"][template].get(method)
        assert operation, f"{method.upper()} {template} is not in the document"
        status = str(response.status_code)
        answers = operation["responses"]
        assert status in answers, f"{method.upper()} {template} answered {status}; the document lists {list(answers)}"
        if response.get("Content-Type", "").startswith(JSON):
            content = answers[status].get("content", {})
            assert JSON in content, f"{method.upper()} {template} {status} answered JSON the document does not show"
            schema = {**strict(content[JSON]["schema"]), "components": self.components}
            try:
                jsonschema.validate(response.json(), schema, cls=jsonschema.Draft202012Validator,
                                    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            except jsonschema.ValidationError as exc:
                pytest.fail(f"{method.upper()} {path} {status}: {exc.message} at {list(exc.absolute_path)}")
        self.checked.add((method, template, status))
        return response


@pytest.fixture
def document(users, client_for):
    response = client_for(users.admin).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")
    return Document(response.json())


def test_every_answer_is_the_one_the_document_describes(document, district, users, client_for):
    from django.utils import timezone

    from fangkong.screening import services as screening
    from fangkong.screening.models import Category
    from fangkong.testing import services as testing
    from fangkong.testing.models import Site

    check = document.check
    gate = make_place(district.community_a, "幸福里小区北门", compound=district.compound_a)
    guard = checkpoint_user("guard_a", district.community_a, gate)
    returnee = Category.objects.get(code="return_province")
    case = screening.open_screening(district.person_a, returnee, user=users.worker_a)
    today = timezone.localdate()
    campaign = testing.create_campaign(name="东风街道全员核酸", area=district.subdistrict, starts_on=today,
                                       ends_on=today, user=users.officer)
    testing.create_site(campaign, name="幸福里小区北门采样点", area=district.community_a, user=users.officer)

    anonymous, worker, admin = Client(), client_for(users.worker_a), client_for(users.admin)
    leader, at_gate = client_for(users.leader), client_for(guard)
    a, b = district.person_a, district.person_b
    scanned_in(a, gate)  # so the guard may record her by id (passes.services.persons_recordable_by)

    check(anonymous.get("/api/persons/"))
    for path in ("/api/areas/", f"/api/areas/{district.community_a.pk}/", "/api/households/",
                 f"/api/households/{district.household_a101.pk}/", "/api/persons/", f"/api/persons/{a.pk}/",
                 f"/api/persons/{b.pk}/", "/api/rentals/", "/api/cares/", "/api/places/", f"/api/places/{gate.pk}/",
                 "/api/passages/", "/api/exports/", "/api/imports/", "/api/categories/",
                 f"/api/categories/{returnee.pk}/", "/api/screenings/", f"/api/screenings/{case.pk}/",
                 f"/api/screenings/{case.pk}/follow-ups/", f"/api/screenings/{case.pk}/history/",
                 f"/api/health-codes/{a.pk}/", "/api/health-codes/overrides/", "/api/testing/campaigns/",
                 f"/api/testing/campaigns/{campaign.pk}/", "/api/testing/sites/", "/api/testing/tubes/"):
        check(worker.get(path))
    for site in Site.objects.all():
        check(admin.get(f"/api/testing/sites/{site.pk}/"))
    check(admin.get(f"/api/testing/campaigns/{campaign.pk}/coverage/"))
    check(worker.post("/api/persons/", {}, content_type=JSON))
    check(worker.post(f"/api/screenings/{case.pk}/follow-ups/", {"note": "电话随访"}, content_type=JSON))
    check(worker.get(f"/api/screenings/{case.pk}/follow-ups/"))
    check(worker.post(f"/api/screenings/{case.pk}/state/", {"to_state": "nonsense"}, content_type=JSON))
    check(worker.post("/api/places/", {"name": ""}, content_type=JSON))
    check(leader.post("/api/places/", {"name": "新开药店"}, content_type=JSON))
    passage = check(at_gate.post("/api/passages/", {"person": a.pk, "place": gate.pk}, content_type=JSON,
                                 HTTP_IDEMPOTENCY_KEY="schema-1"))
    check(at_gate.post("/api/passages/", {"person": a.pk, "place": gate.pk}, content_type=JSON,
                       HTTP_IDEMPOTENCY_KEY="schema-1"))
    check(worker.get(f"/api/passages/{passage.json()['id']}/"))
    check(at_gate.post("/api/pass-codes/verify/", {"code": "nonsense", "place": gate.pk}, content_type=JSON))
    check(worker.get("/api/passages/", {"place": "not-a-number"}))

    # Tracing: open, read, act (twice), refusals.
    from fangkong.passes.models import Direction

    scanned_in(a, gate, direction=Direction.IN)
    scanned_in(district.person_a_neighbour, gate, direction=Direction.IN)
    officer = client_for(users.officer)
    trace = check(officer.post("/api/traces/", {"case": a.pk, "onset": today.isoformat()}, content_type=JSON))
    check(officer.post("/api/traces/", {"case": a.pk, "onset": "2999-01-01"}, content_type=JSON))
    trace_id = trace.json()["id"]
    for path in ("/api/traces/", f"/api/traces/{trace_id}/", f"/api/traces/{trace_id}/visits/",
                 f"/api/traces/{trace_id}/contacts/"):
        check(officer.get(path))
    check(officer.post(f"/api/traces/{trace_id}/visits/", {"place": gate.pk, "start": timezone.now().isoformat()},
                       content_type=JSON))
    check(officer.post(f"/api/traces/{trace_id}/visits/", {"place": 0, "start": "nonsense"}, content_type=JSON))
    contact = officer.get(f"/api/traces/{trace_id}/contacts/").json()[0]
    check(officer.post(f"/api/traces/{trace_id}/mark/", {"contact": contact["id"], "mark": "close"},
                       content_type=JSON))
    act = {"persons": [contact["person"]], "category": returnee.pk, "isolation_kind": "home"}
    check(officer.post(f"/api/traces/{trace_id}/act/", act, content_type=JSON))
    check(officer.post(f"/api/traces/{trace_id}/act/", {**act, "persons": [b.pk]}, content_type=JSON))
    check(worker.post(f"/api/traces/{trace_id}/act/", act, content_type=JSON))
    check(client_for(users.worker_b).get(f"/api/traces/{trace_id}/contacts/"))

    statuses = {status for _method, _path, status in document.checked}
    assert {"200", "201", "400", "401", "403", "404"} <= statuses
