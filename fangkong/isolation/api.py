"""API of isolation: orders, release with a second approver, sites with rooms, monitoring entries. The same
services as the pages, scoped and masked; out-of-scope ids read as ids that do not exist."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from fangkong.core.api import ModelPermission, call_service
from fangkong.people.models import Person

from . import services
from .models import IsolationOrder, Kind, KindDefault, MonitoringCheck, Room, Site, Source, State


def _user(pk):
    from fangkong.accounts.models import User

    return User.objects.filter(pk=pk).first() if pk else None



class OrderSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name_masked", read_only=True)
    person_id_number = serializers.CharField(source="person.id_number_masked", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    site_name = serializers.SerializerMethodField()
    room_number = serializers.SerializerMethodField()
    release_pending = serializers.BooleanField(read_only=True)
    worker_name = serializers.SerializerMethodField()

    class Meta:
        model = IsolationOrder
        fields = ["id", "person", "person_name", "person_id_number", "area", "area_name", "kind", "reason",
                  "source", "start", "planned_end", "site", "site_name", "room", "room_number", "worker", "worker_name",
                  "state",
                  "state_reason", "checked_in_at", "checked_out_at", "ended_on", "release_reason",
                  "release_requested_by", "release_approved_by", "release_pending", "verification_code",
                  "created_at"]
        read_only_fields = fields

    def get_site_name(self, obj) -> str:
        return obj.site.name if obj.site_id else ""

    def get_room_number(self, obj) -> str:
        return obj.room.number if obj.room_id else ""

    def get_worker_name(self, obj) -> str:
        return str(obj.worker) if obj.worker_id else ""


class OrderCreateSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(choices=Source.choices, default=Source.SCREENING)
    start = serializers.DateField(required=False)
    planned_end = serializers.DateField(required=False, allow_null=True)
    site = serializers.IntegerField(required=False, allow_null=True)
    room = serializers.IntegerField(required=False, allow_null=True)
    worker = serializers.IntegerField(required=False, allow_null=True)


class WorkerSerializer(serializers.Serializer):
    worker = serializers.IntegerField()


class ReleaseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CheckSerializer(serializers.ModelSerializer):
    by_person = serializers.SerializerMethodField()

    class Meta:
        model = MonitoringCheck
        fields = ["id", "day", "slot", "at", "temperature", "symptoms", "by_person", "created_at"]
        read_only_fields = ["id", "day", "slot", "by_person", "created_at"]
        extra_kwargs = {"at": {"required": False}, "temperature": {"coerce_to_string": True, "max_digits": None,
                                                                   "decimal_places": None}}

    def get_by_person(self, obj) -> bool:
        return obj.by_id is None


class OrderViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Isolation orders in the user's scope. Filters: person, state (active|<state>), kind, site, area."""

    serializer_class = OrderSerializer
    permission_classes = [ModelPermission]
    permission_model = IsolationOrder
    queryset = IsolationOrder.objects.none()  # the model, for the OpenAPI document; get_queryset scopes
    actions_with_own_permission = ("release", "approve_release", "checks", "cancel", "worker")

    def get_queryset(self):
        orders = IsolationOrder.objects.visible_to(self.request.user)
        if self.action == "list":
            orders = filter_orders(orders, self.request.query_params)
        return orders.select_related("person", "area", "site", "room", "worker").order_by("-id")

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderSerializer})
    def create(self, request, *args, **kwargs):
        data = OrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        person = Person.objects.visible_to(request.user).filter(pk=fields["person"]).first()
        site = Site.objects.filter(pk=fields["site"]).first() if fields.get("site") else None
        room = Room.objects.filter(pk=fields["room"]).first() if fields.get("room") else None
        errors = {}
        if person is None:
            errors["person"] = [_("没有这个人员，或不在您的管辖范围内")]
        if fields.get("site") and site is None:
            errors["site"] = [_("没有这个隔离点")]
        if fields.get("room") and room is None:
            errors["room"] = [_("没有这个房间")]
        worker = _user(fields.get("worker"))
        if fields.get("worker") and worker is None:
            errors["worker"] = [_("责任人须是该人员所在社区的社区工作人员或网格员")]
        if errors:
            raise ApiValidationError(errors)
        order = call_service(services.order_isolation, person, kind=fields["kind"], user=request.user,
                      reason=fields["reason"], source=fields["source"], start=fields.get("start"),
                      planned_end=fields.get("planned_end"), site=site, room=room, worker=worker)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WorkerSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def worker(self, request, pk=None):
        """Hand the order to another responsible worker of its community; its open monitoring tasks follow."""
        order = self.get_object()
        data = WorkerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        worker = _user(data.validated_data["worker"])
        if worker is None:
            raise ApiValidationError({"worker": [_("责任人须是该人员所在社区的社区工作人员或网格员")]})
        order = call_service(services.set_worker, order, worker, user=request.user)
        return Response(OrderSerializer(order).data)

    @extend_schema(request=ReleaseSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Release: at once on or after the planned end with the negative tests the kind asks for; before it, or
        without those tests, `reason` is required (400 saying what is missing) and the release waits for a second
        approver (POST approve-release/ by another user)."""
        order = self.get_object()
        data = ReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = call_service(services.request_release, order, user=request.user, reason=data.validated_data["reason"])
        order.refresh_from_db()
        return Response(OrderSerializer(order).data)

    @extend_schema(request=None, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"], url_path="approve-release")
    def approve_release(self, request, pk=None):
        order = call_service(services.approve_release, self.get_object(), user=request.user)
        return Response(OrderSerializer(order).data)

    @extend_schema(request=CheckSerializer, responses={200: CheckSerializer(many=True), 201: CheckSerializer})
    @action(detail=True, methods=["get", "post"])
    def checks(self, request, pk=None):
        """GET the monitoring entries; POST one: temperature, symptoms, at (default now)."""
        order = self.get_object()
        if request.method == "GET":
            return Response(CheckSerializer(order.checks.all(), many=True).data)
        if not request.user.has_perm("isolation.add_monitoringcheck"):
            raise ApiPermissionDenied
        data = CheckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        check = call_service(services.record_check, order, temperature=fields["temperature"],
                      symptoms=fields.get("symptoms", ""), at=fields.get("at"), user=request.user)
        return Response(CheckSerializer(check).data, status=status.HTTP_201_CREATED)


def filter_orders(orders, params):
    """The list's filters, shared by the page and the API: person, state (active|<state>), kind, site, area."""
    from fangkong.territory.models import Area

    def number(key):
        value = params.get(key) or ""
        return int(value) if value.isdigit() else None

    if number("person"):
        orders = orders.filter(person_id=number("person"))
    state = params.get("state") or ""
    if state == "active":
        orders = orders.active()
    elif state in State.values:
        orders = orders.filter(state=state)
    if (params.get("kind") or "") in Kind.values:
        orders = orders.filter(kind=params["kind"])
    if number("site"):
        orders = orders.filter(site_id=number("site"))
    if number("area"):
        area = Area.objects.filter(pk=number("area")).first()
        orders = orders.in_area(area) if area is not None else orders.none()
    return orders


class IsolationRoomSerializer(serializers.ModelSerializer):
    occupied = serializers.SerializerMethodField()

    class Meta:
        model = Room
        fields = ["id", "number", "capacity", "state", "occupied"]

    def get_occupied(self, obj) -> int:
        return self.context.get("occupancy", {}).get(obj.pk, 0)


class IsolationSiteSerializer(serializers.ModelSerializer):
    rooms = serializers.SerializerMethodField()

    class Meta:
        model = Site
        fields = ["id", "name", "area", "address", "phone", "active", "rooms"]

    def get_rooms(self, obj) -> list:
        rooms = list(obj.rooms.all())
        occupancy = services.occupancy([room.pk for room in rooms])
        return IsolationRoomSerializer(rooms, many=True, context={"occupancy": occupancy}).data


class SiteViewSet(viewsets.ReadOnlyModelViewSet):
    """Isolation sites with their rooms and how many persons each room holds now."""

    serializer_class = IsolationSiteSerializer
    permission_classes = [ModelPermission]
    permission_model = Site
    queryset = Site.objects.none()  # the model, for the OpenAPI document; get_queryset scopes

    def get_queryset(self):
        user = self.request.user
        return (Site.objects.visible_to(user) | Site.objects.filter(staff=user)).distinct().prefetch_related(
            "rooms").order_by("name")


class KindDefaultSerializer(serializers.Serializer):
    kind = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    days = serializers.IntegerField(required=False, help_text="days from start to planned end")
    then_days = serializers.IntegerField(required=False, help_text="home health monitoring after the release (14+7)")
    release_tests = serializers.IntegerField(required=False, help_text="negative results (on different days) a "
                                                                      "release asks for")
    release_window_days = serializers.IntegerField(required=False, help_text="the results within the last so many "
                                                                            "days")


class KindDefaultViewSet(viewsets.ViewSet):
    """Per-kind defaults (隔离期限): GET the list; PATCH /api/isolation-kinds/{kind}/ (district admin) with any of
    days, then_days, release_tests, release_window_days. New orders take their planned end from them."""

    permission_classes = [ModelPermission]
    permission_model = KindDefault
    lookup_value_regex = "[a-z_]+"

    @staticmethod
    def _rows():
        rules = services.kind_defaults()
        return [{"kind": kind, "label": str(label), **rules[kind]} for kind, label in Kind.choices]

    @extend_schema(responses={200: KindDefaultSerializer(many=True)})
    def list(self, request):
        return Response(KindDefaultSerializer(self._rows(), many=True).data)

    @extend_schema(responses={200: KindDefaultSerializer})
    def retrieve(self, request, pk=None):
        row = next((row for row in self._rows() if row["kind"] == pk), None)
        if row is None:
            raise NotFound
        return Response(KindDefaultSerializer(row).data)

    @extend_schema(request=KindDefaultSerializer, responses={200: KindDefaultSerializer})
    def partial_update(self, request, pk=None):
        if pk not in Kind.values:
            raise NotFound
        values = {name: request.data[name] for name in services.DEFAULT_FIELDS if name in request.data}
        call_service(services.set_kind_default, pk, user=request.user, **values)
        return self.retrieve(request, pk)
