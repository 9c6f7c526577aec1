"""What the pages of a place open with, for passes and healthcode alike.

A resident's page needs no login: the phone is known by its device cookie (`this_phone`), and a page behind a
place code first finds the approved place or shows the invalid-code page (`resident_page`). A station page is
for those who may run that place's station (`station_place`).
"""

import uuid
from functools import wraps

from django.http import Http404
from django.shortcuts import get_object_or_404, render

from fangkong.audit.context import client_ip
from fangkong.core import limits

from . import services, verdict
from .models import Place


def this_phone(request):
    """(device, members) of the phone making the request: (None, []) for a phone not seen before."""
    return services.device_members(request.COOKIES.get(services.DEVICE_COOKIE))


def resident_context(request, place, **extra) -> dict:
    """The place, this phone's device and the people on it, and a fresh page token (one tap, one passage)."""
    device, members = this_phone(request)
    return {"place": place, "device": device, "members": members, "token": uuid.uuid4().hex, **extra}


def resident_page(view):
    """For the views of /c/<code>/...: `view(request, place, context)` with the place behind the code and
    `resident_context`, or the invalid-code page (404) for a code that is unknown, revoked or not approved.

    Every page counts against FANGKONG_LIMITS["scan"] by address. Past FANGKONG_LIMITS["unknown_code"] codes that
    do not work from one address, the answer is 429 and nothing is stored: a flood of made-up codes costs no
    write each. A working code works whatever the address tried before."""

    @wraps(view)
    def opened(request, code, *args, **kwargs):
        limits.hit("scan", request)
        address = client_ip(request)
        try:
            limits.check("unknown_code", address=address)
            over = None
        except limits.Limited as exc:
            over = exc
        place = services.place_for_code(code, address, record=over is None)
        if place is None:
            if over:
                raise over
            limits.count("unknown_code", address=address)
            return render(request, "passes/resident/invalid.html", status=404)
        return view(request, place, resident_context(request, place), *args, **kwargs)

    return opened


def station_place(request, pk) -> Place:
    """The place of a station page, for those who may run its station; a 404 for everyone else."""
    place = get_object_or_404(Place.objects.select_related(*verdict.PLACE_RELATED), pk=pk)
    if not services.may_run_station(request.user, place):
        raise Http404
    return place
