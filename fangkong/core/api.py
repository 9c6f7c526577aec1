from django_filters import rest_framework as filters
from rest_framework.pagination import PageNumberPagination

from .pages import CountCachingPaginator


class ScopedFilterSet(filters.FilterSet):
    """Filters by related records accept only ids the user may see: an id out of scope reads as one that
    does not exist (400), not as an empty result that would tell the record exists."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        for field in self.filters.values():
            queryset = getattr(field, "queryset", None)
            if hasattr(queryset, "visible_to"):
                field.queryset = field.extra["queryset"] = queryset.visible_to(user)


class Pagination(PageNumberPagination):
    django_paginator_class = CountCachingPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
