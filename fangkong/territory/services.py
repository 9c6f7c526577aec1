"""Territory use cases: counts at every node of the tree, and the changes made on the territory's pages."""

from collections import defaultdict

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy

from fangkong.audit import services as audit
from fangkong.core.pages import COUNT_CACHE_SECONDS

from .models import Area, Household

# Models counted at every node: label → queryset factory taking the viewer. Later apps (places,
# for one) add theirs here so the tree shows them without the territory app knowing them.
COUNTERS = {}


def register_counter(key, label, queryset_for_user):
    COUNTERS[key] = (label, queryset_for_user)


register_counter("households", gettext_lazy("户数"), lambda user: Household.objects.visible_to(user))


def counts_by_area(user, areas) -> dict[int, dict[str, int]]:
    """{area id: {counter: n}} for `areas`, each count including everything below the area.

    One grouped query per counter over the viewer's scope, then rolled up the tree in Python
    (areas are few; rows are many).
    """
    direct = defaultdict(lambda: defaultdict(int))
    for key, (_label, queryset) in COUNTERS.items():
        for area_id, n in _grouped_counts(key, queryset, user):
            direct[area_id][key] = n
    paths = dict(Area.objects.values_list("pk", "path"))
    totals = {}
    for area in areas:
        sums = dict.fromkeys(COUNTERS, 0)
        for area_id, values in direct.items():
            if paths.get(area_id, "").startswith(area.path):
                for key, n in values.items():
                    sums[key] += n
        totals[area.pk] = sums
    return totals


def grouped_counts(key, user) -> list[tuple[int, int]]:
    """[(area id, n)] of one registered counter (e.g. "persons") in the user's scope, cached as below."""
    return _grouped_counts(key, COUNTERS[key][1], user)


def _grouped_counts(key, queryset, user):
    """[(area id, n)] of one counter in the user's scope. A district's million rows take a few hundred
    ms to group, so the result is cached for a minute per scope; a community's are cheap and cached alike."""
    cache_key = f"fangkong:area-counts:{key}:{user.pk if user.is_superuser else 's'}:{user.area_id}:{user.grid_id}"
    rows = cache.get(cache_key)
    if rows is None:
        rows = list(queryset(user).values_list("area_id").annotate(n=Count("pk")).order_by())
        cache.set(cache_key, rows, COUNT_CACHE_SECONDS)
    return rows


def counter_labels():
    return {key: label for key, (label, _q) in COUNTERS.items()}


@transaction.atomic
def save_record(record, *, user):
    """Create or change an area, grid, compound or household as a page's form left it (validated), audited."""
    record.save()
    audit.record_change(record, user)
    return record
