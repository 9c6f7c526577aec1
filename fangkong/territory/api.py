from rest_framework import serializers, viewsets

from fangkong.core.api import ScopedFilterSet

from .models import Area


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
