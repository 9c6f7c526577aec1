from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets

from fangkong.accounts.scope import ScopedQuerySet
from fangkong.core.api import ScopedFilterSet

from .models import Area, Household


class AreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "name", "code", "level", "parent"]


class AreaFilter(ScopedFilterSet):
    class Meta:
        model = Area
        fields = ["level", "parent"]


class AreaViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AreaSerializer
    filterset_class = AreaFilter

    def get_queryset(self):
        return Area.objects.visible_to(self.request.user)


class HouseholdSerializer(serializers.ModelSerializer):
    person_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Household
        fields = ["id", "area", "grid", "unit", "floor", "room", "address", "person_count"]


class HouseholdFilter(ScopedFilterSet):
    q = filters.CharFilter(method="search")

    class Meta:
        model = Household
        fields = ["area", "grid", "unit"]

    def search(self, queryset, name, value):
        return queryset.search(value)


class HouseholdViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter

    def get_queryset(self):
        from django.db.models import Count

        queryset: ScopedQuerySet = Household.objects.visible_to(self.request.user)
        return queryset.annotate(person_count=Count("persons")).order_by("pk")
