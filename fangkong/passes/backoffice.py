"""The passage back office: counts for the viewer's scope, the search, and exports as jobs."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fangkong.core import exports
from fangkong.core.search import private_query
from fangkong.people.models import Person
from fangkong.territory.models import Area, AreaLevel

from . import search
from .models import Passage, Place

PAGE_SIZE = 50
# Past this many matches the page says "10,000+" instead of counting every row.
COUNT_CAP = 10_000


def _choices(user):
    places = Place.objects.visible_to(user).approved().only("pk", "name").order_by("name")
    areas = Area.objects.visible_to(user).exclude(level=AreaLevel.DISTRICT).only("pk", "name", "level", "path")
    return {"places": places, "areas": areas}


@login_required
@permission_required("passes.view_passage", raise_exception=True)
def overview(request):
    stats = search.overview(request.user)
    form = search.PassageSearchForm(user=request.user)
    return render(request, "passes/office/overview.html", {
        "stats": stats, "form": form, "chart": {"hours": [f"{h:02d}" for h in range(24)], "counts": stats["hours"]},
        **_choices(request.user)})


class _Page:
    """A page of results by keyset: the rows older than the last one shown (`?before=<id>`).

    No COUNT over everything and no OFFSET: page 200 costs what page 1 costs, using the (-at) and
    (area, -at) indexes. One row more than shown says whether there is an older page.
    """

    def __init__(self, queryset, before, per_page):
        self.is_first = before is None
        if before is not None:
            queryset = queryset.filter(Q(at__lt=before.at) | Q(at=before.at, pk__lt=before.pk))
        rows = list(queryset[:per_page + 1])
        self.has_next = len(rows) > per_page
        self.object_list = rows[:per_page]
        self.next_before = self.object_list[-1].pk if self.has_next else None

    def __iter__(self):
        return iter(self.object_list)


def _before(request, passages):
    """The row the page continues after (in the same search and scope), or None for the newest page."""
    value = request.GET.get("before", "")
    if not value.isdigit():
        return None
    return passages.filter(pk=int(value)).only("pk", "at").first()


@login_required
@permission_required("passes.view_passage", raise_exception=True)
def records(request):
    form = search.PassageSearchForm(request.GET, user=request.user)
    page = count = person = None
    if form.is_valid():
        moved = _number_to_person(request, form)
        if moved:
            return moved
        if form.cleaned_data.get("person"):
            person = _person_in_scope(request.user, form.cleaned_data["person"])
        passages = form.search()
        count = passages.order_by()[:COUNT_CAP + 1].count()  # unordered: stops at the cap
        page = _Page(passages.select_related("person", "place", "area"), _before(request, passages), PAGE_SIZE)
    query = private_query(request.GET)
    query.pop("before", None)
    without_person = query.copy()
    without_person.pop("person", None)
    return render(request, "passes/office/records.html", {
        "form": form, "page": page, "count": count, "capped": count is not None and count > COUNT_CAP, "cap": COUNT_CAP,
        "person": person, "query_without_person": without_person.urlencode(),
        "query": query.urlencode(), "may_export": request.user.has_perm("passes.export_passage"),
        **_choices(request.user)})


def _number_to_person(request, form):
    """A full identity number searched for becomes ?person=<id>: the number leaves the address bar, the
    browser history and every link on the page (the first request is the only one that carried it)."""
    query = form.cleaned_data.get("q", "").replace(" ", "")
    if len(query) < 15 or not search.looks_like_number(query):
        return None
    # Only people who passed somewhere in scope: the redirect must not tell whether a number is known at all.
    passed_here = Exists(Passage.objects.visible_to(request.user).filter(person=OuterRef("pk")))
    matches = list(Person.objects.search(query).filter(passed_here).values_list("pk", flat=True)[:2])
    if len(matches) != 1:
        return None
    params = request.GET.copy()
    for name in ("q", "qk", "before"):
        params.pop(name, None)
    params["person"] = matches[0]
    return redirect(f"{request.path}?{params.urlencode()}")


def _person_in_scope(user, pk):
    """The person filtered on, for the filter's label: only someone who passed a place in the user's scope."""
    if not Passage.objects.visible_to(user).filter(person_id=pk).exists():
        return None
    return Person.objects.filter(pk=pk).first()


@login_required
@permission_required("passes.export_passage", raise_exception=True)
@require_POST
def export_create(request):
    """Export the search in the form's fields as an xlsx, in the background."""
    try:
        job = exports.start("passages", request.user, request.POST)
    except ValidationError:
        return records(request)
    return redirect("export_job", job.pk)
