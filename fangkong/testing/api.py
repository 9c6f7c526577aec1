"""Testing API: campaigns, sites, tubes (open, add a person, seal), lab results and coverage — the same
services as the pages, scoped the same way (an id out of scope is 404)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from fangkong.core.api import api_errors
from fangkong.territory.models import Area

from . import services
from .models import Campaign, Round, Sample, Site, Tube


def require(user, permission):
    if not user.has_perm(permission):
        raise PermissionDenied


class RoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Round
        fields = ["id", "number", "day"]


class CampaignSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)
    rounds = RoundSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "area", "area_name", "starts_on", "ends_on", "pooling", "state", "rounds"]
        read_only_fields = ["id", "state", "rounds", "area_name"]


class CoverageRowSerializer(serializers.Serializer):
    """One line of coverage (services.CoverageRow): a building, a community or a subdistrict, or the total."""

    key = serializers.IntegerField(allow_null=True, help_text="楼栋或区域的 id；未编楼栋的住户为 null")
    label = serializers.CharField()
    should = serializers.IntegerField(help_text="应检人数（常住人数减免检）")
    tested = serializers.IntegerField()
    not_tested = serializers.IntegerField()
    exempt = serializers.IntegerField()
    percent = serializers.FloatField(help_text="已检占应检的百分比，一位小数")


class CoverageSerializer(serializers.Serializer):
    round = RoundSerializer()
    area = serializers.IntegerField()
    total = CoverageRowSerializer()
    rows = CoverageRowSerializer(many=True)


class CampaignViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Campaigns the user may see. POST {name, area, starts_on, ends_on, pooling}: one round a day."""

    serializer_class = CampaignSerializer

    queryset = Campaign.objects.none()  # the model, for the OpenAPI document; get_queryset scopes

    def get_queryset(self):
        require(self.request.user, "testing.view_campaign")
        return Campaign.objects.visible_to(self.request.user).select_related("area").prefetch_related(
            "rounds").order_by("-starts_on", "-id")

    def create(self, request, *args, **kwargs):
        require(request.user, "testing.add_campaign")
        data = CampaignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        if not Area.objects.visible_to(request.user).filter(pk=fields["area"].pk).exists():
            raise ApiValidationError({"area": [_("没有这个区域，或不在您的管辖范围内")]})
        try:
            campaign = services.create_campaign(user=request.user, **fields)
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=CoverageSerializer)
    @action(detail=True, methods=["get"])
    def coverage(self, request, pk=None):
        """?round=<id>&area=<id>: should be tested, tested, not tested, exempt — total and one level down."""
        require(request.user, "testing.view_coverage")
        campaign = self.get_object()
        round_id = request.query_params.get("round")
        round_ = (campaign.rounds.filter(pk=round_id).first() if str(round_id).isdigit()
                  else services.current_round(campaign)) or campaign.rounds.first()
        if round_ is None:
            raise ApiValidationError({"round": [_("没有这个轮次")]})
        area = campaign.area
        area_id = request.query_params.get("area")
        if area_id:
            area = get_object_or_404(Area.objects.visible_to(request.user), pk=area_id) if area_id.isdigit() else None
            if area is None or not area.is_within(campaign.area):
                raise ApiValidationError({"area": [_("该区域不在本次检测范围内")]})
        total, rows = services.coverage(campaign, round_, request.user, area)
        return Response(CoverageSerializer({"round": round_, "area": area.pk, "total": total, "rows": rows}).data)


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}:\d{2}$", "example": "07:00:00"})
class LocalTimeField(serializers.TimeField):
    """A time of day in Asia/Shanghai as the API answers it, 07:00:00: no offset, so not RFC 3339's "time"."""


class SiteSerializer(serializers.ModelSerializer):
    opens = LocalTimeField(read_only=True, help_text="每天开始采样的时间（北京时间）")
    closes = LocalTimeField(read_only=True, help_text="每天结束采样的时间（北京时间）")

    class Meta:
        model = Site
        fields = ["id", "campaign", "name", "address", "area", "opens", "closes", "active"]
        read_only_fields = fields  # sites are set up on the pages; the API reads them


class SiteViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SiteSerializer

    queryset = Site.objects.none()  # the model, for the OpenAPI document; get_queryset scopes

    def get_queryset(self):
        require(self.request.user, "testing.view_site")
        return Site.objects.visible_to(self.request.user).order_by("campaign_id", "name")


class SampleSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name_masked", read_only=True)

    class Meta:
        model = Sample
        fields = ["id", "person", "person_name", "sampled_at", "note"]


class TubeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tube
        fields = ["id", "barcode", "campaign", "round", "site", "pooling", "pool_size", "size", "opened_at",
                  "sealed_at", "result", "result_at", "lab"]
        read_only_fields = fields


class TubeCreateSerializer(serializers.Serializer):
    site = serializers.IntegerField()
    barcode = serializers.CharField(max_length=60)
    retest = serializers.BooleanField(default=False)


class AddSampleSerializer(serializers.Serializer):
    person = serializers.CharField(max_length=200, help_text="pass code or identity number")


class TubeViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Tubes at the user's sites. POST {site, barcode, retest}; POST <id>/samples/ {person}; POST <id>/seal/."""

    serializer_class = TubeSerializer
    lookup_value_regex = r"\d+"

    queryset = Tube.objects.none()  # the model, for the OpenAPI document; get_queryset scopes

    def get_queryset(self):
        require(self.request.user, "testing.view_tube")
        return Tube.objects.visible_to(self.request.user).order_by("-opened_at", "-id")

    @extend_schema(request=TubeCreateSerializer, responses={201: TubeSerializer})
    def create(self, request, *args, **kwargs):
        require(request.user, "testing.add_tube")
        data = TubeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site = Site.objects.visible_to(request.user).select_related("campaign", "area").filter(
            pk=data.validated_data["site"]).first()
        if site is None:
            raise ApiValidationError({"site": [_("没有这个采样点，或您不是该采样点的队员")]})
        try:
            tube = services.register_tube(site, data.validated_data["barcode"], request.user,
                                          retest=data.validated_data["retest"])
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc
        return Response(TubeSerializer(tube).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AddSampleSerializer, responses={201: SampleSerializer, 200: SampleSerializer(many=True)})
    @action(detail=True, methods=["get", "post"])
    def samples(self, request, pk=None):
        tube = self.get_object()
        if request.method == "GET":
            return Response(SampleSerializer(tube.samples.select_related("person"), many=True).data)
        require(request.user, "testing.add_sample")
        data = AddSampleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            sample = services.add_to_tube(tube, data.validated_data["person"], request.user)
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc
        return Response({**SampleSerializer(sample).data, "tube_size": sample.tube.size,
                         "pool_size": sample.tube.pool_size}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: TubeSerializer})
    @action(detail=True, methods=["post"])
    def seal(self, request, pk=None):
        require(request.user, "testing.change_tube")
        try:
            tube = services.seal_tube(self.get_object(), request.user)
        except DjangoValidationError as exc:
            raise api_errors(exc) from exc
        return Response(TubeSerializer(tube).data)


class ResultSerializer(serializers.Serializer):
    barcode = serializers.CharField()
    result = serializers.CharField(help_text="阴性/阳性 or negative/positive")
    at = serializers.CharField(help_text="2022-03-06 18:30 (Asia/Shanghai) or ISO 8601 with offset")
    lab = serializers.CharField(required=False, allow_blank=True)


class ResultViewSet(viewsets.ViewSet):
    """Labs POST a JSON list of {barcode, result, at, lab}: all or nothing, idempotent.

    200 with counts; 400 with {"errors": [{"row", "column", "message"}]} and nothing saved.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ResultSerializer(many=True), responses={200: dict})
    def create(self, request):
        require(request.user, "testing.import_results")
        rows = request.data if isinstance(request.data, list) else request.data.get("results") \
            if isinstance(request.data, dict) else None
        if not isinstance(rows, list):
            raise ApiValidationError({"detail": [_("请提交检测结果列表：[{barcode, result, at, lab}, …]")]})
        if len(rows) > services.MAX_API_RESULTS:
            message = _("一次最多提交 %(n)d 条，请分批或用文件导入") % {"n": services.MAX_API_RESULTS}
            raise ApiValidationError({"detail": [message]})
        try:
            summary = services.apply_results(rows, user=request.user, reference=f"api:{request.user.pk}")
        except services.ResultErrors as exc:
            return Response({"errors": [{"row": r, "column": c, "message": m} for r, c, m in exc.rows]},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(summary)
