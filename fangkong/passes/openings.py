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

from . import services
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
    `resident_context`, or the invalid-code page (404) for a code that is unknown, revoked or not approved."""

    @wraps(view)
    def opened(request, code, *args, **kwargs):
        place = services.place_for_code(code, client_ip(request))
        if place is None:
            return render(request, "passes/resident/invalid.html", status=404)
        return view(request, place, resident_context(request, place), *args, **kwargs)

    return opened


def station_place(request, pk) -> Place:
    """The place of a station page, for those who may run its station; a 404 for everyone else."""
    place = get_object_or_404(Place.objects.select_related("area"), pk=pk)
    if not services.may_run_station(request.user, place):
        raise Http404
    return place
