"""The same one-tap check-in as fangkong.passes.resident.tap, in hand-written SQL: the floor to compare with.

It does the same lookups (place by code, device from the signed cookie, and the device's members read with
the gate row every app adds its facts to: latest declaration, health status, isolation, zones, employers,
exposures) and one INSERT, and answers a minimal page. The row is read with the same SQL text as the view's
(passes.services), so the ratio measures what the framework costs around it, not what the facts cost.
"""

import hashlib
import json
import uuid

from django.core import signing
from django.db import connection
from django.http import HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.http import require_POST

from fangkong.core.db import fetch_prepared
from fangkong.passes import services


@require_POST
def tap(request, code):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, area_id, state FROM passes_place WHERE code = %s", [code])
        place = cursor.fetchone()
        if place is None or place[2] != "approved":
            return HttpResponseNotFound("invalid")
        device_id = uuid.UUID(signing.loads(request.COOKIES[services.DEVICE_COOKIE], salt=services.DEVICE_SALT))
        # Prepared on the server like the view's (core.db.fetch_prepared). Each row: member id, label, verified_at,
        # then the person's fields (id first) and the gate row.
        members = {row[3]: row for row in fetch_prepared(services._device_members_sql(), [device_id])}
        person = int(request.POST["person"])
        if person not in members:
            return HttpResponseNotFound("person")
        columns = services.gate_person_sql()[0].split(", ")
        declared = members[person][3 + columns.index("d.visited_risk_area"):3 + columns.index("d.had_contact") + 1]
        verdict = "allow" if declared[0] is not None and not any(declared) else "deny"
        key = hashlib.sha256(f"raw:{device_id}:{request.POST['token']}:{person}".encode()).hexdigest()
        cursor.execute(
            "INSERT INTO passes_passage (person_id, place_id, area_id, direction, at, temperature, verdict, reasons,"
            " channel, vehicle_plate, idempotency_key) VALUES (%s, %s, %s, 'in', %s, NULL, %s, %s, 'scan', '', %s)"
            " ON CONFLICT (idempotency_key) DO NOTHING",
            [person, place[0], place[1], timezone.now(), verdict, json.dumps([]), key])
    return HttpResponse(f"<!doctype html><p>{verdict}</p>")
