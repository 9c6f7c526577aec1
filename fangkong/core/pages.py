"""Small helpers shared by the staff pages."""

import hashlib

from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from .search import private_query

PAGE_SIZE = 50
# Counting a community's rows costs little; counting a district's million costs more than the whole rest
# of the page (bench/persons.py). A count at least this large is kept for COUNT_CACHE_SECONDS per query
# (the scope and the filters are part of the query's SQL), so one request a minute pays for it; smaller
# counts are always exact and fresh.
LARGE_COUNT = 50_000
COUNT_CACHE_SECONDS = 60


class CountCachingPaginator(Paginator):
    """A Paginator whose large counts come from the cache (the "共 N 人" header and the page numbers)."""

    @cached_property
    def count(self):
        try:
            sql = str(self.object_list.query)
        except Exception:  # a list, or a queryset that is empty by construction: nothing to cache
            return super().count
        key = "fangkong:count:" + hashlib.sha256(sql.encode()).hexdigest()
        count = cache.get(key)
        if count is None:
            count = super().count
            if count >= LARGE_COUNT:
                cache.set(key, count, COUNT_CACHE_SECONDS)
        return count


def paginate(request, queryset, per_page=PAGE_SIZE, count=None):
    """Context for templates/pager.html: the page and the query string to keep filters across pages. `count`,
    when the caller keeps it already (a counter column), saves the COUNT query."""
    paginator = CountCachingPaginator(queryset, per_page)
    if count is not None:
        paginator.__dict__["count"] = count  # the cached_property's slot
    page = paginator.get_page(request.GET.get("page"))
    query = private_query(request.GET)
    query.pop("page", None)
    encoded = query.urlencode()
    return {"page_obj": page, "query_without_page": f"{encoded}&" if encoded else ""}
