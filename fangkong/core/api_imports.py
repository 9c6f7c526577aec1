"""API for spreadsheet imports: POST a file to start a job, GET the job to follow it (creator only).

The same jobs as the import pages: core.imports.start_import checks the file, the importer registered for
the kind validates every row and saves all or nothing, and the kind's permission (given where the importer
is registered, @importer(kind, permission=...)) decides who may start one.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from . import imports
from .models import ImportJob


class ImportJobSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    percent = serializers.IntegerField(read_only=True)
    finished = serializers.BooleanField(read_only=True)
    status_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "kind", "status", "status_label", "finished", "file_name", "created_at", "finished_at",
                  "total_rows", "processed_rows", "percent", "summary", "errors", "status_url", "page_url"]
        read_only_fields = fields

    def _absolute(self, url):
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_status_url(self, job) -> str:
        return self._absolute(reverse("importjob-detail", args=[job.pk]))

    def get_page_url(self, job) -> str:
        return self._absolute(job.get_absolute_url())

    def get_errors(self, job) -> list[dict]:
        # [[row, column, message]] as the job stores them; objects are easier to read for API clients.
        return [{"row": row, "column": column, "message": message} for row, column, message in job.errors]


class ImportStartSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=40, help_text="territory, ledger, places, assistance")
    file = serializers.FileField(help_text="the filled-in template (.xlsx)")

    def validate_kind(self, kind):
        kinds = imports.generic_kinds()
        if kind not in kinds:
            raise serializers.ValidationError(_("未知的导入类型“%(kind)s”，可选：%(kinds)s") % {
                "kind": kind[:40], "kinds": "、".join(sorted(kinds))})
        return kind


class ImportViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin,
                    viewsets.GenericViewSet):
    """Imports: POST multipart {kind, file} → 201 with the job; GET /api/imports/<id>/ → status and errors."""

    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends = []

    def get_queryset(self):
        # Only the one who started a job sees it (as on the job's page); anyone else gets 404.
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return ImportJob.objects.none()
        return ImportJob.objects.filter(created_by=self.request.user).order_by("-created_at", "-id")

    @extend_schema(request={"multipart/form-data": ImportStartSerializer}, responses={201: ImportJobSerializer})
    def create(self, request, *args, **kwargs):
        start = ImportStartSerializer(data=request.data)
        start.is_valid(raise_exception=True)
        kind = start.validated_data["kind"]
        if not imports.may_import(request.user, kind):
            raise PermissionDenied(_("您没有导入“%(kind)s”的权限") % {"kind": kind})
        try:
            job = imports.start_import(kind, start.validated_data["file"], request.user)
        except DjangoValidationError as exc:
            raise ApiValidationError({"file": exc.messages}) from None
        data = ImportJobSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["status_url"]})
