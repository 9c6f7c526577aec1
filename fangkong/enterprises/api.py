"""API of enterprises: the registry with its figures, the roster, the day's check-ins and the problems. The same
services as the pages, scoped and masked; another enterprise's id reads as one that does not exist."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from fangkong.core.api import ModelPermission, call_service

from . import services
from .models import CheckIn, CheckInSource, Employee, Enterprise, Problem, ProblemKind


class EnterpriseSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = Enterprise
        fields = ["id", "name", "credit_code", "sector", "size", "address", "area", "area_name", "park",
                  "contact_name", "liaison_officer", "state", "closed_loop", "closed_loop_reason", "created_at"]
        read_only_fields = fields


class EnterpriseDetailSerializer(EnterpriseSerializer):
    roster_count = serializers.SerializerMethodField()
    present_today = serializers.SerializerMethodField()
    on_duty_rate = serializers.SerializerMethodField(help_text="present_today / roster_count, a fraction of 1")
    capacity_percent = serializers.SerializerMethodField()

    class Meta(EnterpriseSerializer.Meta):
        fields = [*EnterpriseSerializer.Meta.fields, "roster_count", "present_today", "on_duty_rate",
                  "capacity_percent"]
        read_only_fields = fields

    def _figures(self, obj):
        if not hasattr(obj, "_figures"):
            obj._figures = services.figures(obj)
        return obj._figures

    def get_roster_count(self, obj) -> int:
        return self._figures(obj)["roster"]

    def get_present_today(self, obj) -> int:
        return self._figures(obj)["present"]

    def get_on_duty_rate(self, obj) -> float:
        return self._figures(obj)["rate"]

    def get_capacity_percent(self, obj) -> int | None:
        return self._figures(obj)["capacity"]


class EnterpriseCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    credit_code = serializers.CharField(max_length=30)
    area = serializers.IntegerField()
    sector = serializers.CharField(required=False, default="other")
    size = serializers.CharField(required=False, default="small")
    address = serializers.CharField(required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(required=False, allow_blank=True, default="")
    liaison_officer = serializers.CharField(required=False, allow_blank=True, default="")


class EmployeeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name_masked", read_only=True)
    id_number = serializers.CharField(source="person.id_number_masked", read_only=True)
    phone = serializers.CharField(source="person.phone_masked", read_only=True)

    class Meta:
        model = Employee
        fields = ["id", "name", "id_number", "phone", "department", "shift", "returned_from", "returned_on",
                  "lodging", "duplicate_note", "active", "created_at"]
        read_only_fields = fields


class EmployeeCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=30)
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    department = serializers.CharField(required=False, allow_blank=True, default="")
    shift = serializers.CharField(required=False, allow_blank=True, default="")
    returned_from = serializers.CharField(required=False, allow_blank=True, default="")
    returned_on = serializers.DateField(required=False, allow_null=True, default=None)
    lodging = serializers.CharField(required=False, default="home")
    return_risk = serializers.CharField(required=False, allow_blank=True, default="")


class CheckInSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckIn
        fields = ["id", "employee", "day", "at", "temperature", "symptoms", "source"]
        read_only_fields = fields
        extra_kwargs = {"temperature": {"coerce_to_string": True, "max_digits": None, "decimal_places": None}}


class CheckInCreateSerializer(serializers.Serializer):
    employee = serializers.IntegerField()
    temperature = serializers.CharField(max_length=6)
    symptoms = serializers.BooleanField(required=False, default=False)


class ProblemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Problem
        fields = ["id", "kind", "text", "state", "reported_at", "taken_at", "answer", "answered_at", "closed_at"]
        read_only_fields = fields


class ProblemCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ProblemKind.choices)
    text = serializers.CharField(max_length=2000)


class EnterpriseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Enterprises in the user's scope (an enterprise admin: their own). Filters: state, sector, park."""

    permission_classes = [ModelPermission]
    permission_model = Enterprise
    queryset = Enterprise.objects.none()  # the model, for the OpenAPI document; get_queryset scopes
    actions_with_own_permission = ("employees", "checkins", "problems")

    def get_serializer_class(self):
        return EnterpriseDetailSerializer if self.action == "retrieve" else EnterpriseSerializer

    def get_queryset(self):
        enterprises = Enterprise.objects.visible_to(self.request.user).select_related("area")
        if self.action == "list":
            for key in ("state", "sector", "park"):
                if self.request.query_params.get(key):
                    enterprises = enterprises.filter(**{key: self.request.query_params[key]})
        return enterprises.order_by("name")

    def retrieve(self, request, *args, **kwargs):
        enterprise = self.get_object()
        services.record_gate_presence(enterprise)
        return Response(EnterpriseDetailSerializer(enterprise).data)

    @extend_schema(request=EnterpriseCreateSerializer, responses={201: EnterpriseDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = EnterpriseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = call_service(services.create_enterprise, dict(data.validated_data), user=request.user)
        return Response(EnterpriseDetailSerializer(enterprise).data, status=status.HTTP_201_CREATED)

    def _need(self, perm):
        if not self.request.user.has_perm(perm):
            raise ApiPermissionDenied(_("您没有权限进行此操作"))

    @extend_schema(methods=["GET"], responses={200: EmployeeSerializer(many=True)})
    @extend_schema(methods=["POST"], request=EmployeeCreateSerializer, responses={201: EmployeeSerializer})
    @action(detail=True, methods=["get", "post"])
    def employees(self, request, pk=None):
        """The roster (masked); POST puts a person on it, matched by identity number (blind index)."""
        enterprise = self.get_object()
        if request.method == "GET":
            self._need("enterprises.view_employee")
            employees = Employee.objects.filter(enterprise=enterprise, active=True).select_related("person")
            page = self.paginate_queryset(employees.order_by("id"))
            return self.get_paginated_response(EmployeeSerializer(page, many=True).data)
        self._need("enterprises.add_employee")
        data = EmployeeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        employee = call_service(services.add_employee, enterprise, dict(data.validated_data), user=request.user)
        return Response(EmployeeSerializer(employee).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: CheckInSerializer(many=True)})
    @extend_schema(methods=["POST"], request=CheckInCreateSerializer, responses={201: CheckInSerializer})
    @action(detail=True, methods=["get", "post"])
    def checkins(self, request, pk=None):
        """Today's check-ins; POST records an employee's check-in (temperature, symptoms)."""
        enterprise = self.get_object()
        if request.method == "GET":
            self._need("enterprises.view_checkin")
            checkins = CheckIn.objects.filter(enterprise=enterprise, day=timezone.localdate()).order_by("id")
            page = self.paginate_queryset(checkins)
            return self.get_paginated_response(CheckInSerializer(page, many=True).data)
        self._need("enterprises.add_checkin")
        data = CheckInCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        employee = Employee.objects.filter(pk=data.validated_data["employee"]).first()
        if employee is None:
            raise ApiValidationError({"employee": [_("没有这个职工")]})
        checkin = call_service(services.check_in, employee, temperature=data.validated_data["temperature"],
                        symptoms=data.validated_data["symptoms"], source=CheckInSource.API, user=request.user,
                        enterprise=enterprise)
        return Response(CheckInSerializer(checkin).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: ProblemSerializer(many=True)})
    @extend_schema(methods=["POST"], request=ProblemCreateSerializer, responses={201: ProblemSerializer})
    @action(detail=True, methods=["get", "post"])
    def problems(self, request, pk=None):
        """The enterprise's problems (问题收集); POST reports one."""
        enterprise = self.get_object()
        if request.method == "GET":
            self._need("enterprises.view_problem")
            page = self.paginate_queryset(enterprise.problems.order_by("-reported_at"))
            return self.get_paginated_response(ProblemSerializer(page, many=True).data)
        self._need("enterprises.add_problem")
        data = ProblemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        problem = call_service(services.report_problem, enterprise, user=request.user, **data.validated_data)
        return Response(ProblemSerializer(problem).data, status=status.HTTP_201_CREATED)
