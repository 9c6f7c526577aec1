"""The staff home page: it gathers every app's 待办 and counts, so it lives in the top layer."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from fangkong.core import imports
from fangkong.enterprises import services as enterprises
from fangkong.healthcode import services as healthcode
from fangkong.isolation import services as isolation
from fangkong.passes import services as passes
from fangkong.screening import services as screening
from fangkong.territory import services as territory
from fangkong.testing import services as testing
from fangkong.tracing import services as tracing
from fangkong.zones import services as zones

# Each app's 待办 for the home page, in the order they are shown (a reminder from above goes first).
TODO_SOURCES = (screening.todos, isolation.todos, zones.todos, tracing.todos, enterprises.todos, passes.todos,
                healthcode.todos, testing.todos, imports.todos)


@login_required
def home(request):
    """The staff home: what waits for the user (待办), their area and its counts, and the way to each part of
    the system they may use."""
    user = request.user
    area = user.area
    own_places_only = user.manages_places_only()
    counts = territory.counts_by_area(user, [area])[area.pk] if area and not own_places_only else {}
    children = list(area.children.all()) if area and not own_places_only else []
    child_counts = territory.counts_by_area(user, children) if children else {}
    todos = sorted((item for source in TODO_SOURCES for item in source(user)), key=lambda item: not item.urgent)
    return render(request, "home.html", {
        "area": area, "counts": counts, "labels": territory.counter_labels(),
        "children": [(child, child_counts[child.pk]) for child in children],
        "todos": todos, "may_remind": user.has_perm("screening.add_reportreminder"),
        # 卡点值守 only for someone posted at a place: anyone else would land on "not assigned anywhere".
        "may_station": user.has_perm("passes.record_passage") and passes.station_places(user).exists(),
        "managed_places": passes.managed_places(user) if own_places_only else None,
    })
