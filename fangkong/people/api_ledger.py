"""REST API for the rental and care ledgers: the same services as the pages, scoped the same way."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response

from fangkong.accounts.models import User
from fangkong.core.api import ModelPermission, api_errors
from fangkong.territory.models import Household

from . import care as care_services
from . import rentals
from .models import Care, CareGroup, Person, Rental, RentalState, Tenancy


class TenancySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name", read_only=True)
    id_number_masked = serializers.CharField(source="person.id_number_masked", read_only=True)

    class Meta:
        model = Tenancy
        fields = ["id", "person", "name", "id_number_masked", "moved_in", "moved_out"]


class RentalSerializer(serializers.ModelSerializer):
    """The landlord's phone is written in full and always read back masked."""

    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.all())
    address = serializers.CharField(source="household.address", read_only=True)
    area = serializers.IntegerField(source="household.area_id", read_only=True)
    # Optional here: the service says what is missing, in Chinese, together with every other problem.
    landlord_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    landlord_phone = serializers.CharField(write_only=True, max_length=20, required=False, allow_blank=True)
    landlord_phone_masked = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=RentalState.choices, default=RentalState.RENTED)
    has_letter = serializers.SerializerMethodField()
    current_tenants = serializers.IntegerField(read_only=True)

    class Meta:
        model = Rental
        fields = ["id", "household", "address", "area", "landlord_name", "landlord_phone", "landlord_phone_masked",
                  "state", "note", "has_letter", "letter_signed_on", "current_tenants", "created_at"]
        read_only_fields = ["letter_signed_on", "created_at"]
        validators = []  # the household's uniqueness is the service's rule, with its Chinese message

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["household"].queryset = Household.objects.visible_to(request.user)

    def get_has_letter(self, rental) -> bool:
        return bool(rental.letter)

    def validate(self, attrs):
        try:
            return rentals.clean_rental(attrs, user=self.context["request"].user)
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc

    def create(self, validated_data):
        return rentals.register_rental(validated_data, user=self.context["request"].user)

    def to_representation(self, rental):
        data = super().to_representation(rental)
        if data.get("current_tenants") is None:
            data["current_tenants"] = rental.tenancies.filter(moved_out__isnull=True).count()
        return data


class RentalDetailSerializer(RentalSerializer):
    tenancies = TenancySerializer(many=True, read_only=True)

    class Meta(RentalSerializer.Meta):
        fields = RentalSerializer.Meta.fields + ["tenancies"]


FLAG = OpenApiTypes.BOOL


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("no_letter", FLAG, description="只列无承诺书的"),
    OpenApiParameter("unregistered", FLAG, description="只列已出租但无在住租户登记的"),
    OpenApiParameter("state", str, enum=RentalState.values),
    OpenApiParameter("q", str, description="地址包含"),
]))
class RentalViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_model = Rental
    permission_classes = [ModelPermission]

    def get_serializer_class(self):
        return RentalDetailSerializer if self.action == "retrieve" else RentalSerializer

    def get_queryset(self):
        params = self.request.query_params if self.action == "list" else {}
        queryset = rentals.filter_rentals(self.request.user, params)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("tenancies__person")
        return rentals.with_facts(queryset).select_related("household").order_by("-pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rental = serializer.save()
        rental = self.get_queryset().get(pk=rental.pk)
        return Response(RentalSerializer(rental, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


class CareSerializer(serializers.ModelSerializer):
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    name = serializers.CharField(source="person.name", read_only=True)
    group = serializers.ChoiceField(choices=CareGroup.choices, required=False)
    worker = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)

    class Meta:
        model = Care
        fields = ["id", "person", "name", "group", "worker", "note", "last_visited_on", "created_at"]
        read_only_fields = ["last_visited_on", "created_at"]
        validators = []  # (person, group) uniqueness: the service says it in Chinese

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["person"].queryset = Person.objects.visible_to(request.user)
            self.fields["worker"].queryset = User.objects.visible_to(request.user)

    def validate(self, attrs):
        try:
            return care_services.clean_care(attrs, user=self.context["request"].user)
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc

    def create(self, validated_data):
        return care_services.add_care(validated_data, user=self.context["request"].user)


class VisitSerializer(serializers.Serializer):
    visited_on = serializers.DateField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("group", str, enum=CareGroup.values),
    OpenApiParameter("days", int, description="N 天未走访：从未走访或最近走访在 N 天前或更早"),
]))
class CareViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_model = Care
    serializer_class = CareSerializer
    permission_classes = [ModelPermission]

    def get_queryset(self):
        params = self.request.query_params if self.action == "list" else {}
        return care_services.filter_cares(self.request.user, params).select_related("person")

    @extend_schema(request=VisitSerializer, responses={201: CareSerializer})
    @action(detail=True, methods=["post"])
    def visits(self, request, pk=None):
        """Record a visit to this care row's person (updates last_visited_on of all their care rows)."""
        if not request.user.has_perm("people.add_visit"):
            raise ApiPermissionDenied
        care = self.get_object()
        data = VisitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            care_services.record_visit(care.person, data.validated_data["visited_on"],
                                       data.validated_data.get("note", ""), user=request.user)
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc
        except PermissionDenied as exc:
            raise ApiPermissionDenied from exc
        care.refresh_from_db()
        return Response(CareSerializer(care, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)
