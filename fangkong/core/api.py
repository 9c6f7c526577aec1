from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission

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

    def get_paginated_response_schema(self, schema):
        # DRF writes OpenAPI 3.0's "nullable"; the document is 3.1, where null is a type (core/schema.py).
        described = super().get_paginated_response_schema(schema)
        for name in ("next", "previous"):
            link = described["properties"][name]
            link.pop("nullable", None)
            link["type"] = ["string", "null"]
        return described


def api_errors(exc: DjangoValidationError) -> ApiValidationError:
    """A service's ValidationError as the API's 400, with the same Chinese messages per field."""
    return ApiValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


def call_service(func, *args, **kwargs):
    """Run a service for an API action: its refusals answer as the pages say them (400 by field, or 403)."""
    try:
        return func(*args, **kwargs)
    except DjangoValidationError as exc:
        raise api_errors(exc) from exc
    except DjangoPermissionDenied as exc:
        raise ApiPermissionDenied(str(exc)) from exc


class ModelPermission(BasePermission):
    """Reading needs the model's view permission; writing its add/change/delete permission.

    The model is the view's `permission_model`; actions listed in `actions_with_own_permission` check their
    own permission and need only the view permission here.
    """

    ACTIONS = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "add", "PUT": "change",
               "PATCH": "change", "DELETE": "delete"}

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        model = view.permission_model
        own = getattr(view, "action", None) in getattr(view, "actions_with_own_permission", ())
        verb = "view" if own else self.ACTIONS.get(request.method, "change")
        return request.user.has_perm(f"{model._meta.app_label}.{verb}_{model._meta.model_name}")
