"""API of risk zones and supply requests: the same services as the pages, scoped to the caller's area.

    POST /api/zones/                  kind (sealed|controlled|precaution), name, reason, areas/compounds/buildings/
                                      households (id lists, at least one), out_rule, out_every_days
    POST /api/zones/{id}/change/      kind, reason
    POST /api/zones/{id}/lift/        reason
    GET  /api/zones/                  the zones in scope (?kind=active|<kind>)
    /api/supply-requests/             list (?state=open|<state>), create (household, kind, text),
                                      POST {id}/take/, {id}/deliver/, {id}/close/ (note)
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from fangkong.core.api import ModelPermission, call_service
from fangkong.territory.models import Household

from . import services
from .models import OPEN_SUPPLY_STATES, OutRule, RiskZone, SupplyKind, SupplyRequest, SupplyState, ZoneKind


class ZoneSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)
    covers = serializers.SerializerMethodField()

    class Meta:
        model = RiskZone
        fields = ["id", "name", "kind", "reason", "area", "area_name", "started_at", "out_rule", "out_every_days",
                  "one_per_household", "lifted_at", "lift_reason", "planned_lift_on", "last_positive_on",
                  "negative_rounds", "missing", "covers"]
        read_only_fields = fields

    def get_covers(self, obj) -> dict:
        found = {"areas": [], "compounds": [], "buildings": [], "households": []}
        for row in obj.coverage.all():
            for field in ("area", "compound", "building", "household"):
                if getattr(row, f"{field}_id"):
                    found[f"{field}s"].append(getattr(row, f"{field}_id"))
        return found


class ZoneCreateSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField(allow_blank=True, default="")
    reason = serializers.CharField(allow_blank=True, default="")
    areas = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    compounds = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    buildings = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    households = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    out_rule = serializers.ChoiceField(choices=OutRule.choices, default=OutRule.EVERY_N_DAYS)
    out_every_days = serializers.IntegerField(default=2)
    one_per_household = serializers.BooleanField(default=True)


class ChangeSerializer(serializers.Serializer):
    kind = serializers.CharField()
    reason = serializers.CharField(allow_blank=True, default="")


class LiftSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="")


class ZoneViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Risk zones (封控区/管控区/防范区) in the user's scope."""

    serializer_class = ZoneSerializer
    permission_classes = [ModelPermission]
    permission_model = RiskZone
    queryset = RiskZone.objects.none()
    actions_with_own_permission = ("change", "lift")

    def get_queryset(self):
        zones = RiskZone.objects.visible_to(self.request.user).select_related("area").prefetch_related("coverage")
        kind = self.request.query_params.get("kind", "")
        if self.action == "list" and kind == "active":
            zones = zones.active()
        elif self.action == "list" and kind in ZoneKind.values:
            zones = zones.filter(kind=kind)
        return zones.order_by("-started_at", "-pk")

    @extend_schema(request=ZoneCreateSerializer, responses={201: ZoneSerializer})
    def create(self, request, *args, **kwargs):
        data = ZoneCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        zone = call_service(services.create_zone, user=request.user, **data.validated_data)
        return Response(ZoneSerializer(zone).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ChangeSerializer, responses={200: ZoneSerializer})
    @action(detail=True, methods=["post"])
    def change(self, request, pk=None):
        zone = self.get_object()
        data = ChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        zone = call_service(services.change_kind, zone, user=request.user, **data.validated_data)
        return Response(ZoneSerializer(zone).data)

    @extend_schema(request=LiftSerializer, responses={200: ZoneSerializer})
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        zone = self.get_object()
        data = LiftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        zone = call_service(services.lift, zone, user=request.user, reason=data.validated_data["reason"])
        return Response(ZoneSerializer(zone).data)


class SupplySerializer(serializers.ModelSerializer):
    household_address = serializers.CharField(source="household.address", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = SupplyRequest
        fields = ["id", "area", "household", "household_address", "kind", "text", "urgent", "by_resident", "state",
                  "created_at", "taken_by", "taken_at", "delivered_at", "closed_at", "note", "overdue"]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return services.is_overdue(obj)


class SupplyCreateSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SupplyKind.choices)
    text = serializers.CharField(allow_blank=True, default="")


class StepSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, default="")


class SupplyRequestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Supply requests (保供) in the user's scope, urgent first, oldest first."""

    serializer_class = SupplySerializer
    permission_classes = [ModelPermission]
    permission_model = SupplyRequest
    queryset = SupplyRequest.objects.none()
    actions_with_own_permission = ("take", "deliver", "close")

    def get_queryset(self):
        requests = SupplyRequest.objects.visible_to(self.request.user).select_related("household")
        state = self.request.query_params.get("state", "")
        if self.action == "list" and state == "open":
            requests = requests.filter(state__in=OPEN_SUPPLY_STATES)
        elif self.action == "list" and state in SupplyState.values:
            requests = requests.filter(state=state)
        return requests.order_by("-urgent", "created_at", "pk")

    @extend_schema(request=SupplyCreateSerializer, responses={201: SupplySerializer})
    def create(self, request, *args, **kwargs):
        data = SupplyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        household = Household.objects.visible_to(request.user).filter(pk=fields["household"]).first()
        if household is None:
            raise ApiValidationError({"household": [_("没有这一户，或不在您的管辖范围内")]})
        item = call_service(services.log_supply, household, user=request.user, kind=fields["kind"], text=fields["text"])
        return Response(SupplySerializer(item).data, status=status.HTTP_201_CREATED)

    def _step(self, request, step):
        data = StepSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = call_service(services.advance, self.get_object(), user=request.user, step=step,
                     note=data.validated_data["note"])
        return Response(SupplySerializer(item).data)

    @extend_schema(request=StepSerializer, responses={200: SupplySerializer})
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        return self._step(request, "take")

    @extend_schema(request=StepSerializer, responses={200: SupplySerializer})
    @action(detail=True, methods=["post"])
    def deliver(self, request, pk=None):
        return self._step(request, "deliver")

    @extend_schema(request=StepSerializer, responses={200: SupplySerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._step(request, "close")
