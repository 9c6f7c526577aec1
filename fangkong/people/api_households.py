"""The household ledger's API: households in scope and, for one household, its members (masked)."""

from django.db.models import Count
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from fangkong.core.api import ModelPermission, ScopedFilterSet
from fangkong.core.scope import ScopedQuerySet
from fangkong.territory.models import Compound, Household

from . import services


class HouseholdSerializer(serializers.ModelSerializer):
    person_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Household
        fields = ["id", "area", "grid", "unit", "floor", "room", "address", "person_count"]


class MemberSerializer(serializers.Serializer):
    """A household member as the household page shows them: numbers masked, never in full."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    id_number_masked = serializers.CharField()
    phone_masked = serializers.CharField()
    household_role = serializers.CharField()
    residency = serializers.CharField()
    returned_on = serializers.DateField(allow_null=True)
    returned_from = serializers.CharField()
    workplace = serializers.CharField()
    vaccine_doses = serializers.IntegerField()
    open_screenings = serializers.SerializerMethodField()
    care_groups = serializers.SerializerMethodField()

    def get_open_screenings(self, person) -> list[dict]:
        return [{"id": s.pk, "category": s.category.name, "state": s.state} for s in person.open_screenings]

    def get_care_groups(self, person) -> list[str]:
        return [care.group for care in person.care_groups]


class HouseholdDetailSerializer(HouseholdSerializer):
    members = serializers.SerializerMethodField()

    class Meta(HouseholdSerializer.Meta):
        fields = [*HouseholdSerializer.Meta.fields, "members"]

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, household):
        return MemberSerializer(services.household_members(self.context["request"].user, household), many=True).data


class HouseholdFilter(ScopedFilterSet):
    q = filters.CharFilter(method="search")
    compound = filters.ModelChoiceFilter(field_name="unit__building__compound", queryset=Compound.objects.all(),
                                         label="小区")

    class Meta:
        model = Household
        fields = ["area", "grid", "unit"]

    def search(self, queryset, name, value):
        return queryset.search(value)


class HouseholdViewSet(viewsets.ReadOnlyModelViewSet):
    """Households in scope; one household's detail lists its members (masked) and their current status."""

    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter
    permission_classes = [ModelPermission]
    permission_model = Household

    def get_serializer_class(self):
        return HouseholdDetailSerializer if self.action == "retrieve" else HouseholdSerializer

    def get_queryset(self):
        queryset: ScopedQuerySet = Household.objects.visible_to(self.request.user)
        return queryset.annotate(person_count=Count("persons")).order_by("pk")
