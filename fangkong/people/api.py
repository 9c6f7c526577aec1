from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response

from fangkong.core.api import ModelPermission, ScopedFilterSet
from fangkong.core.identity import DocumentType
from fangkong.territory.models import Area, Compound, Household

from . import services
from .models import MAX_VACCINE_DOSES, HouseholdRole, Person, Residency, Sex


class PersonSerializer(serializers.ModelSerializer):
    """Numbers are written in full and always read back masked."""

    id_number = serializers.CharField(write_only=True, max_length=30)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=20)
    id_number_masked = serializers.CharField(read_only=True)
    phone_masked = serializers.CharField(read_only=True)
    id_type = serializers.ChoiceField(choices=DocumentType.choices, default=DocumentType.RESIDENT_ID)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all(), required=False)
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.all(), required=False, allow_null=True)
    # Ledger fields: checked by the same service as the page (one head per household, dates, doses).
    household_role = serializers.ChoiceField(choices=HouseholdRole.choices, required=False, allow_blank=True)
    residency = serializers.ChoiceField(choices=Residency.choices, required=False)
    returned_on = serializers.DateField(required=False, allow_null=True)
    returned_from = serializers.CharField(required=False, allow_blank=True, max_length=100)
    workplace = serializers.CharField(required=False, allow_blank=True, max_length=100)
    vaccine_doses = serializers.IntegerField(required=False, help_text=f"0-{MAX_VACCINE_DOSES}")

    class Meta:
        model = Person
        fields = ["id", "name", "sex", "birth_date", "id_type", "id_number", "id_number_masked", "phone",
                  "phone_masked", "area", "household", "household_role", "residency", "returned_on", "returned_from",
                  "workplace", "vaccine_doses", "created_at", "updated_at"]
        # The service checks uniqueness (document, one head per household) with Chinese messages.
        validators = []
        read_only_fields = ["birth_date", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Related ids outside the user's scope read as "does not exist", as everywhere else.
            self.fields["area"].queryset = Area.objects.visible_to(request.user)
            self.fields["household"].queryset = Household.objects.visible_to(request.user)

    def validate(self, attrs):
        try:
            return services.clean_person(attrs, user=self.context["request"].user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc

    def create(self, validated_data):
        try:
            return services.create_person(validated_data, user=self.context["request"].user)
        except DjangoValidationError as exc:  # what another request saved meanwhile (services._save)
            raise serializers.ValidationError(exc.message_dict) from exc


class PersonFilter(ScopedFilterSet):
    q = filters.CharFilter(method="search", label="姓名、证件号后4-6位或手机号")
    area = filters.NumberFilter(method="in_area")
    # The residents of one compound (小区), e.g. a sealed one.
    compound = filters.ModelChoiceFilter(field_name="household__unit__building__compound",
                                         queryset=Compound.objects.all(), label="小区")

    returned_since = filters.DateFilter(field_name="returned_on", lookup_expr="gte")

    class Meta:
        model = Person
        fields = ["sex", "id_type", "household", "household_role", "residency"]

    def search(self, queryset, name, value):
        return queryset.search(value)

    def in_area(self, queryset, name, value):
        area = Area.objects.visible_to(self.request.user).filter(pk=value).first()
        return queryset.in_area(area) if area else queryset.none()


class PersonViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    permission_classes = [ModelPermission]
    permission_model = Person
    actions_with_own_permission = ("reveal",)  # the reveal service checks the full-number permission

    def get_queryset(self):
        persons = Person.objects.visible_to(self.request.user).select_related("area")
        if self.action == "list" and self.request.query_params.get("residency") != Residency.VISITOR:
            persons = persons.in_ledger()  # the ledger, as on the page; visitors with ?residency=visitor
        return persons

    def create(self, request, *args, **kwargs):
        if not request.user.has_perm("people.add_person"):
            raise ApiPermissionDenied
        return super().create(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: {"type": "object", "properties": {
        "id_number": {"type": "string"}, "phone": {"type": "string"}}}})
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """Full identity and phone numbers, for roles allowed to see them; audited."""
        try:
            return Response(services.reveal(self.get_object(), request.user))
        except PermissionDenied as exc:
            raise ApiPermissionDenied from exc
