"""API for exports of every kind (core.exports): POST a kind and its filters to start a job, GET the job to
follow it, download the file. Jobs and files are their creator's only; anyone else gets 404."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from . import exports
from .models import ExportJob

DEFAULT_KIND = "passages"  # what POST /api/exports/ exported before it took a kind


class ExportSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    percent = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = ["id", "kind", "status", "status_display", "percent", "total_rows", "processed_rows", "description",
                  "created_at", "finished_at", "expires_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, job) -> str | None:
        request = self.context.get("request")
        if not job.downloadable or request is None:
            return None
        return request.build_absolute_uri(f"/api/exports/{job.pk}/download/")


class ExportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Exports: POST {"kind": "passages" | "persons" | ..., and the filters of its list page}, poll the job,
    download the file (creator only)."""

    serializer_class = ExportSerializer
    filter_backends = []
    queryset = ExportJob.objects.none()  # the model, for the OpenAPI document; get_queryset scopes

    def get_queryset(self):
        return ExportJob.objects.filter(created_by=self.request.user)

    @extend_schema(request={"application/json": {"type": "object", "properties": {
        "kind": {"type": "string", "description": "导出类型，默认 passages（出入记录）"}},
        "additionalProperties": {"type": "string"}}}, responses={202: ExportSerializer})
    def create(self, request, *args, **kwargs):
        name = str(request.data.get("kind") or DEFAULT_KIND)
        if name not in exports.KINDS:
            raise ApiValidationError({"kind": [_("没有这种导出：%(kind)s") % {"kind": name}]})
        try:
            job = exports.start(name, request.user, request.data)
        except PermissionDenied:
            raise ApiPermissionDenied from None
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            raise ApiValidationError(detail) from None
        job.refresh_from_db()  # in eager mode (no broker) the job has already run
        return Response(ExportSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, exports.XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return exports.download(self.get_object())
