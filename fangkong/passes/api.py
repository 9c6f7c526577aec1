"""API for passages and places (exports: core.api_exports). Same services as the pages: scoped, masked,
idempotent, audited."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from fangkong.core.identity import DocumentType

from . import search, services, verdict
from .models import Channel, Direction, Passage, Place, PlaceState

IDEMPOTENCY_HEADER = "Idempotency-Key"


class PassageSerializer(serializers.ModelSerializer):
    """A passage as the viewer's pages show it: the name in full only for those who may view persons (workers
    who follow people up); checkpoint staff and enterprise admins get it masked, as on their station pages."""

    person_name = serializers.SerializerMethodField(help_text="姓名；无人员查看权限的用户（卡点、企业）为脱敏姓名")
    person_id_number = serializers.CharField(source="person.id_number_masked", read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)

    class Meta:
        model = Passage
        fields = ["id", "person", "person_name", "person_id_number", "place", "place_name", "area", "direction",
                  "at", "temperature", "verdict", "reasons", "channel", "vehicle_plate", "recorder", "corrects"]
        read_only_fields = fields

    def get_person_name(self, passage) -> str:
        request = self.context.get("request")
        if request is not None and request.user.has_perm("people.view_person"):
            return passage.person.name
        return passage.person.name_masked


class PassageCreateSerializer(serializers.Serializer):
    """Either `person` (an id in scope) or a new person's `name` and `id_number` (and `phone`)."""

    person = serializers.IntegerField(required=False)
    name = serializers.CharField(required=False, max_length=50)
    id_type = serializers.ChoiceField(choices=DocumentType.choices, default=DocumentType.RESIDENT_ID)
    id_number = serializers.CharField(required=False, max_length=30)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    place = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.IN)
    temperature = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=8)
    # The three health questions, when the recorder asked them; they become the person's declaration.
    visited_risk_area = serializers.BooleanField(required=False, allow_null=True, default=None)
    has_symptoms = serializers.BooleanField(required=False, allow_null=True, default=None)
    had_contact = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if attrs.get("person") is None and not (attrs.get("name") and attrs.get("id_number")):
            raise serializers.ValidationError({
                "person": _("请提供人员编号 person，或新人员的姓名 name 和证件号码 id_number")})
        try:
            attrs["temperature"] = services.clean_temperature(attrs.get("temperature"))
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"temperature": exc.messages}) from None
        answers = [attrs.get(key) for key in ("visited_risk_area", "has_symptoms", "had_contact")]
        if any(answer is not None for answer in answers) and None in answers:
            raise serializers.ValidationError({"visited_risk_area": _("三个健康问题需要一起填写")})
        attrs["answers"] = None if answers[0] is None else dict(zip(
            ("visited_risk_area", "has_symptoms", "had_contact"), answers, strict=True))
        return attrs


def _search_form(request, data):
    form = search.PassageSearchForm(data, user=request.user)
    if not form.is_valid():
        raise ApiValidationError({field: [str(e) for e in errors] for field, errors in form.errors.items()})
    return form


FILTERS = [
    OpenApiParameter("place", OpenApiTypes.INT, description="场所编号"),
    OpenApiParameter("area", OpenApiTypes.INT, description="区域编号（含下级）"),
    OpenApiParameter("since", OpenApiTypes.STR, description="开始：日期 2026-03-06 或 ISO 时间"),
    OpenApiParameter("until", OpenApiTypes.STR, description="结束：日期（含当天）或 ISO 时间"),
    OpenApiParameter("verdict", OpenApiTypes.STR, enum=["allow", "warn", "deny"]),
    OpenApiParameter("direction", OpenApiTypes.STR, enum=["in", "out"]),
    OpenApiParameter("person", OpenApiTypes.INT, description="人员编号"),
    OpenApiParameter("q", OpenApiTypes.STR, description="姓名、完整证件号码或后4-6位、手机号"),
]


class ViewPassages(BasePermission):
    def has_permission(self, request, view):
        if view.action == "create":
            return request.user.has_perm("passes.record_passage")
        return request.user.has_perm("passes.view_passage")


class PassageViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """出入记录. POST needs an `Idempotency-Key` header: the same key returns the first passage (200)."""

    serializer_class = PassageSerializer
    permission_classes = [ViewPassages]
    filter_backends = []

    def get_queryset(self):
        passages = Passage.objects.visible_to(self.request.user)
        if self.action == "list":
            passages = _search_form(self.request, self.request.query_params).search()
        return passages.select_related("person", "place")

    @extend_schema(parameters=FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=PassageCreateSerializer, responses={200: PassageSerializer, 201: PassageSerializer},
                   parameters=[OpenApiParameter(IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER,
                                                required=True, description="每次登记一个新的随机值；重试时不变")])
    def create(self, request, *args, **kwargs):
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key or len(key) > 200:
            raise ApiValidationError({"detail": _("请求头必须带 Idempotency-Key（不超过200个字符），重试时保持不变")})
        incoming = PassageCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        place = Place.objects.visible_to(request.user).filter(pk=data["place"]).select_related(
            *verdict.PLACE_RELATED).first()
        if place is None:
            raise NotFound(_("场所不存在或不在您的管辖范围内"))
        if not services.may_record_at(request.user, place):
            raise ApiPermissionDenied(_("您不能在该场所登记出入"))
        try:
            passage = self._record(request.user, place, data, f"api:{request.user.pk}:{key}")
        except DjangoValidationError as exc:
            raise ApiValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}) from None
        except PermissionDenied:
            raise ApiPermissionDenied(_("您不能在该场所登记出入")) from None
        if passage.replayed and (passage.place_id != place.pk or
                                 (data.get("person") is not None and passage.person_id != data["person"])):
            return Response({"detail": _("该 Idempotency-Key 已用于另一条登记")}, status=status.HTTP_409_CONFLICT)
        return Response(PassageSerializer(passage, context={"request": request}).data,
                        status=status.HTTP_200_OK if passage.replayed else status.HTTP_201_CREATED)

    def _record(self, user, place, data, key):
        person = None
        if data.get("person") is not None:
            person = services.gate_person_in(services.persons_recordable_by(user, place), data["person"])
            if person is None:
                raise DjangoValidationError({"person": _("人员不存在或不在您的管辖范围内")})
        return services.register_and_pass(
            place, user, person=person, name=data.get("name", ""), id_type=data["id_type"],
            id_number=data.get("id_number", ""), phone=data.get("phone", ""), temperature=data["temperature"],
            direction=data["direction"], answers=data["answers"], idempotency_key=key, channel=Channel.API)


class PlaceSerializer(serializers.ModelSerializer):
    """A place as staff see it, with the URL its QR poster encodes; the contact phone is masked."""

    contact_phone = serializers.CharField(write_only=True, max_length=20)
    contact_phone_masked = serializers.CharField(read_only=True)
    scan_url = serializers.CharField(read_only=True)

    class Meta:
        model = Place
        fields = ["id", "name", "kind", "area", "compound", "grid", "address", "contact_name", "contact_phone",
                  "contact_phone_masked", "state", "state_reason", "measures_temperature", "records_exit",
                  "policy", "scan_url", "applied_at", "decided_at"]
        read_only_fields = ["state", "state_reason", "applied_at", "decided_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # related ids outside the user's scope read as "does not exist"
            for name in ("area", "compound", "grid"):
                self.fields[name].queryset = self.fields[name].queryset.visible_to(request.user)

    def create(self, validated_data):
        try:
            return services.create_place(user=self.context["request"].user, **validated_data)
        except DjangoValidationError as exc:
            raise ApiValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc


class PlacePermission(BasePermission):
    def has_permission(self, request, view):
        needed = "passes.view_place" if request.method in ("GET", "HEAD", "OPTIONS") else "passes.add_place"
        return request.user.has_perm(needed)


class PlaceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PlaceSerializer
    permission_classes = [PlacePermission]
    filterset_fields = ["state", "kind", "area"]

    def get_queryset(self):
        return Place.objects.visible_to(self.request.user).order_by("pk")

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def poster(self, request, pk=None):
        """The A4 poster PDF with the place's QR code; only for approved places."""
        from django.http import HttpResponse

        from .posters import poster_pdf

        place = self.get_object()
        if place.state != PlaceState.APPROVED:
            return Response({"detail": _("只有已启用的场所才能下载海报")}, status=status.HTTP_409_CONFLICT)
        response = HttpResponse(poster_pdf(place), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="place-{place.pk}.pdf"'
        return response
