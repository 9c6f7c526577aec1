"""Health-code API: a person's status (scoped, masked) and overrides (request, approve, reject), through the
same services as the pages."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from fangkong.core.api import api_errors
from fangkong.people.models import Person

from . import services
from .models import Colour, HealthStatus, Override, OverrideReason


class Needs(BasePermission):
    """The permission named by the view's `required` for the action (default: the view's `read`)."""

    def has_permission(self, request, view):
        perm = getattr(view, "required", {}).get(getattr(view, "action", None), view.read)
        return request.user.has_perm(perm)


class HealthStatusSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name_masked", read_only=True)
    person_id_number = serializers.CharField(source="person.id_number_masked", read_only=True)
    colour = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = HealthStatus
        fields = ["person", "person_name", "person_id_number", "colour", "computed_colour", "reasons", "computed_at",
                  "last_test_result", "last_test_at", "last_negative_at", "in_sealed_zone", "isolation", "override"]
        read_only_fields = fields

    def get_colour(self, obj) -> str:
        return services.effective_colour(obj)

    def get_reasons(self, obj) -> list[str]:
        return services.effective_reasons(obj)


class HealthCodeViewSet(viewsets.GenericViewSet):
    """GET /api/health-codes/<person id>/: the person's current colour with its reasons (computed if missing)."""

    permission_classes = [Needs]
    read = "healthcode.view_healthstatus"
    serializer_class = HealthStatusSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Person.objects.visible_to(self.request.user)

    def retrieve(self, request, pk=None):
        person = get_object_or_404(self.get_queryset(), pk=pk)
        status_row = services.status_for(person)
        status_row.person = person
        return Response(HealthStatusSerializer(status_row).data)


class OverrideSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name_masked", read_only=True)
    requested_by_name = serializers.CharField(source="requested_by.__str__", read_only=True)
    decided_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Override
        fields = ["id", "person", "person_name", "colour", "reason", "note", "state", "expires_at", "requested_by",
                  "requested_by_name", "requested_at", "decided_by", "decided_by_name", "decided_at",
                  "decision_note"]
        read_only_fields = fields

    def get_decided_by_name(self, obj) -> str:
        return str(obj.decided_by) if obj.decided_by_id else ""


class OverrideRequestSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    colour = serializers.CharField(help_text=", ".join(Colour.values))
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   help_text=", ".join(OverrideReason.values))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    days = serializers.IntegerField(required=False, allow_null=True, default=None)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class OverrideViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Overrides in the user's scope: request one (pending), approve or reject it (never one's own)."""

    permission_classes = [Needs]
    read = "healthcode.view_override"
    required = {"create": "healthcode.add_override", "approve": "healthcode.approve_override",
                "reject": "healthcode.approve_override"}
    serializer_class = OverrideSerializer

    def get_queryset(self):
        queryset = (Override.objects.visible_to(self.request.user)
                    .select_related("person", "requested_by", "decided_by").order_by("-requested_at", "-id"))
        state = self.request.query_params.get("state")
        person = self.request.query_params.get("person")
        if state:
            queryset = queryset.filter(state=state)
        if person and person.isdigit():
            queryset = queryset.filter(person_id=person)
        return queryset

    @extend_schema(request=OverrideRequestSerializer, responses={201: OverrideSerializer})
    def create(self, request):
        data = OverrideRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        person = get_object_or_404(Person.objects.visible_to(request.user), pk=values["person"])
        expires_at = values["expires_at"]
        if expires_at is not None and timezone.is_naive(expires_at):
            expires_at = timezone.make_aware(expires_at)
        try:
            override = services.request_override(person, colour=values["colour"], reason=values["reason"],
                                                  note=values["note"], expires_at=expires_at, days=values["days"],
                                                  user=request.user)
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc
        return Response(OverrideSerializer(override).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, decide):
        override = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            override = decide(override, request.user, data.validated_data["note"])
        except DjangoPermissionDenied as exc:
            raise ApiPermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            if getattr(exc, "code", None) == "self_approval":
                raise ApiPermissionDenied(exc.messages[0]) from exc
            raise api_errors(exc) from exc
        return Response(OverrideSerializer(override).data)

    @extend_schema(request=DecisionSerializer, responses=OverrideSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, services.approve)

    @extend_schema(request=DecisionSerializer, responses=OverrideSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.reject)
