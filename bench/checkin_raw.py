"""The same one-tap check-in as fangkong.passes.resident.tap, in hand-written SQL: the floor to compare with.

It does the same lookups (place by code, device from the signed cookie, the device's members, the
latest declaration) and one INSERT, and answers a minimal page.
"""

import hashlib
import json
import uuid

from django.core import signing
from django.db import connection
from django.http import HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.http import require_POST

from fangkong.passes import services


@require_POST
def tap(request, code):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, area_id, state FROM passes_place WHERE code = %s", [code])
        place = cursor.fetchone()
        if place is None or place[2] != "approved":
            return HttpResponseNotFound("invalid")
        device_id = uuid.UUID(signing.loads(request.COOKIES[services.DEVICE_COOKIE], salt=services.DEVICE_SALT))
        cursor.execute("SELECT id FROM passes_device WHERE id = %s AND revoked_at IS NULL", [device_id])
        if cursor.fetchone() is None:
            return HttpResponseNotFound("device")
        cursor.execute("SELECT person_id FROM passes_devicemember WHERE device_id = %s", [device_id])
        members = {row[0] for row in cursor.fetchall()}
        person = int(request.POST["person"])
        if person not in members:
            return HttpResponseNotFound("person")
        cursor.execute("SELECT had_contact, has_symptoms, visited_risk_area FROM passes_declaration "
                       "WHERE person_id = %s ORDER BY at DESC LIMIT 1", [person])
        declaration = cursor.fetchone()
        verdict = "allow" if declaration and not any(declaration) else "deny"
        key = hashlib.sha256(f"raw:{device_id}:{request.POST['token']}:{person}".encode()).hexdigest()
        cursor.execute(
            "INSERT INTO passes_passage (person_id, place_id, area_id, direction, at, temperature, verdict, reasons,"
            " channel, vehicle_plate, idempotency_key) VALUES (%s, %s, %s, 'in', %s, NULL, %s, %s, 'scan', '', %s)"
            " ON CONFLICT (idempotency_key) DO NOTHING",
            [person, place[0], place[1], timezone.now(), verdict, json.dumps([]), key])
    return HttpResponse(f"<!doctype html><p>{verdict}</p>")
