"""API for key-person categories and screenings: the same services as the pages, scoped and masked."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from fangkong.accounts.models import User
from fangkong.core.api import ModelPermission, api_errors
from fangkong.people.models import Person

from . import services
from .models import Category, FollowUp, Screening, Source, State, StateChange


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", *services.CATEGORY_FIELDS]
        extra_kwargs = {"code": {"validators": []}, "name": {"validators": []}}

    def validate(self, attrs):
        return attrs  # the service checks (and words) everything, as for the page

    def create(self, validated_data):
        return self._save(None, validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)

    def _save(self, instance, data):
        try:
            return services.save_category(instance, user=self.context["request"].user, **data)
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc


class CategoryViewSet(viewsets.ModelViewSet):
    """Key-person categories: everyone with the view permission reads them; district admins configure them."""

    serializer_class = CategorySerializer
    permission_classes = [ModelPermission]
    permission_model = Category
    queryset = Category.objects.all()
    pagination_class = None

    def perform_destroy(self, instance):
        try:
            services.delete_category(instance, user=self.request.user)
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc


class StateChangeSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.__str__", read_only=True)

    class Meta:
        model = StateChange
        fields = ["from_state", "to_state", "reason", "by", "at"]


class FollowUpSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.__str__", read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "on", "temperature", "has_symptoms", "note", "by", "created_at"]
        read_only_fields = ["id", "by", "created_at"]
        extra_kwargs = {"on": {"required": False}, "temperature": {"coerce_to_string": True}}


class ScreeningSerializer(serializers.ModelSerializer):
    """A person appears masked: name, identity number; the person's own endpoint has the rest."""

    person_name = serializers.CharField(source="person.name_masked", read_only=True)
    person_id_number = serializers.CharField(source="person.id_number_masked", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    worker_name = serializers.SerializerMethodField()
    next_states = serializers.SerializerMethodField()

    class Meta:
        model = Screening
        fields = ["id", "person", "person_name", "person_id_number", "category", "category_name", "area",
                  "area_name", "grid", "source", "origin", "reported_on", "worker", "worker_name", "follow_up",
                  "control_until", "plan", "state", "state_reason", "state_changed_at", "closed_on",
                  "last_follow_up_on", "next_states", "created_at"]
        read_only_fields = fields

    def get_worker_name(self, obj) -> str:
        return str(obj.worker) if obj.worker_id else ""

    def get_next_states(self, obj) -> list[str]:
        return [str(state) for state in obj.next_states()]


class ScreeningCreateSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    category = serializers.IntegerField()
    source = serializers.ChoiceField(choices=Source.choices, default=Source.GRID_VISIT)
    reported_on = serializers.DateField(required=False)
    origin = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    worker = serializers.IntegerField(required=False, allow_null=True)
    plan = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class StateSerializer(serializers.Serializer):
    to_state = serializers.ChoiceField(choices=State.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class ScreeningViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Key persons in the user's scope. Filters: q, category (id or code), state (open|all|<state>), source,
    area, overdue=1 — the key-person list's — and person (an id)."""

    serializer_class = ScreeningSerializer
    permission_classes = [ModelPermission]
    permission_model = Screening
    actions_with_own_permission = ("state", "follow_ups", "history")

    def get_queryset(self):
        screenings = Screening.objects.visible_to(self.request.user)
        if self.action == "list":
            params = {key: self.request.query_params.get(key) for key in services.FILTERS}
            screenings = services.filter_screenings(self.request.user, params)
        return screenings.select_related("person", "category", "area", "worker").order_by("-id")

    @extend_schema(request=ScreeningCreateSerializer, responses={201: ScreeningSerializer})
    def create(self, request, *args, **kwargs):
        data = ScreeningCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        # Ids out of scope read as ids that do not exist.
        person = Person.objects.visible_to(request.user).filter(pk=fields["person"]).first()
        category = Category.objects.filter(pk=fields["category"]).first()
        worker = User.objects.filter(pk=fields["worker"]).first() if fields.get("worker") else None
        errors = {}
        if person is None:
            errors["person"] = [_("没有这个人员，或不在您的管辖范围内")]
        if category is None:
            errors["category"] = [_("没有这个类别")]
        if fields.get("worker") and worker is None:
            errors["worker"] = [_("没有这个责任人")]
        if errors:
            raise ApiValidationError(errors)
        try:
            screening = services.open_screening(
                person, category, user=request.user, source=fields["source"], reported_on=fields.get("reported_on"),
                origin=fields["origin"], worker=worker, plan=fields["plan"])
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc
        return Response(ScreeningSerializer(screening).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StateSerializer, responses={200: ScreeningSerializer})
    @action(detail=True, methods=["post"])
    def state(self, request, pk=None):
        """Move the screening to one of its next states; a reason is required."""
        if not request.user.has_perm("screening.change_screening_state"):
            raise ApiPermissionDenied
        screening = self.get_object()
        data = StateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.change_state(screening, data.validated_data["to_state"], data.validated_data["reason"],
                                  user=request.user)
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc
        return Response(ScreeningSerializer(screening).data)

    @extend_schema(request=FollowUpSerializer, responses={200: FollowUpSerializer(many=True),
                                                          201: FollowUpSerializer})
    # One screening's log is short and answered whole: not paginated (nor documented so).
    @action(detail=True, methods=["get", "post"], url_path="follow-ups", pagination_class=None)
    def follow_ups(self, request, pk=None):
        """GET the follow-up log; POST today's (or `on`'s) follow-up: temperature, has_symptoms, note."""
        screening = self.get_object()
        if request.method == "GET":
            return Response(FollowUpSerializer(screening.follow_ups.select_related("by"), many=True).data)
        if not request.user.has_perm("screening.add_followup"):
            raise ApiPermissionDenied
        data = FollowUpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        try:
            follow_up = services.record_follow_up(
                screening, user=request.user, on=fields.get("on"), temperature=fields.get("temperature"),
                has_symptoms=fields.get("has_symptoms", False), note=fields.get("note", ""))
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc
        return Response(FollowUpSerializer(follow_up).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=StateChangeSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        """The screening's state changes, newest first."""
        screening = self.get_object()
        return Response(StateChangeSerializer(screening.state_changes.select_related("by"), many=True).data)
