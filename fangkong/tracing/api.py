"""API of tracing: open a trace on a case, read its visits and contacts, add an interview visit, mark a contact,
act on contacts. The same services as the pages, scoped and masked; out-of-scope ids read as ids that do not exist."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from fangkong.core.api import ModelPermission, call_service
from fangkong.isolation.models import Kind
from fangkong.passes.models import Place
from fangkong.people.models import Person
from fangkong.screening.models import Category

from . import services
from .models import Contact, ContactKind, Mark, Trace, Visit


class TraceSerializer(serializers.ModelSerializer):
    case_name = serializers.CharField(source="case.name_masked", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = Trace
        fields = ["id", "case", "case_name", "area", "area_name", "onset", "window_days", "window_start",
                  "window_end", "note", "opened_by", "opened_at"]
        read_only_fields = fields


class TraceCreateSerializer(serializers.Serializer):
    case = serializers.IntegerField(help_text="病例的人员编号")
    onset = serializers.DateField(help_text="发病或采样日期，不能晚于今天")
    window_days = serializers.IntegerField(required=False, default=services.DEFAULT_WINDOW_DAYS)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class VisitSerializer(serializers.ModelSerializer):
    place_name = serializers.CharField(source="place.name", read_only=True)

    class Meta:
        model = Visit
        fields = ["id", "place", "place_name", "start", "end", "end_assumed", "source", "wrong", "note"]
        read_only_fields = fields


class VisitCreateSerializer(serializers.Serializer):
    place = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class ContactSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name_masked", read_only=True)
    kind = serializers.ChoiceField(choices=ContactKind.choices, read_only=True)
    place_name = serializers.SerializerMethodField()
    via_person = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = ["id", "person", "person_name", "kind", "level", "via_person", "place", "place_name",
                  "overlap_minutes", "first_at", "mark", "mark_note", "acted_at"]
        read_only_fields = fields

    def get_place_name(self, obj) -> str:
        return obj.place.name if obj.place_id else ""

    def get_via_person(self, obj) -> int | None:
        return obj.via.person_id if obj.via_id else None


class MarkSerializer(serializers.Serializer):
    contact = serializers.IntegerField()
    mark = serializers.ChoiceField(choices=Mark.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class ActSerializer(serializers.Serializer):
    persons = serializers.ListField(child=serializers.IntegerField(), allow_empty=True, max_length=5000)
    category = serializers.IntegerField(help_text="重点人员类别编号")
    isolation_kind = serializers.ChoiceField(choices=Kind.choices)


class ActResultSerializer(serializers.Serializer):
    screenings = serializers.IntegerField(help_text="新登记的重点人员")
    orders = serializers.IntegerField(help_text="新下达的隔离")
    tasks = serializers.IntegerField(help_text="新下发的社区任务")
    already = serializers.IntegerField(help_text="此前已转入管控的人数")


class TraceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Traces (流调) in the user's scope."""

    serializer_class = TraceSerializer
    permission_classes = [ModelPermission]
    permission_model = Trace
    queryset = Trace.objects.none()  # the model, for the OpenAPI document; get_queryset scopes
    actions_with_own_permission = ("visits", "contacts", "act", "mark", "secondary")

    def get_queryset(self):
        return Trace.objects.visible_to(self.request.user).select_related("case", "area").order_by("-id")

    @extend_schema(request=TraceCreateSerializer, responses={201: TraceSerializer})
    def create(self, request, *args, **kwargs):
        data = TraceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        case = Person.objects.visible_to(request.user).select_related("household").filter(pk=fields["case"]).first()
        if case is None:
            raise ApiValidationError({"case": [_("没有这个人员，或不在您的管辖范围内")]})
        trace = call_service(services.open_trace, case, fields["onset"], user=request.user,
                      window_days=fields["window_days"], note=fields["note"])
        return Response(TraceSerializer(trace).data, status=status.HTTP_201_CREATED)

    def _may_trace(self):
        if not self.request.user.has_perm("tracing.add_trace"):
            raise ApiPermissionDenied(_("您没有开展流调的权限"))

    @extend_schema(request=VisitCreateSerializer, responses={200: VisitSerializer(many=True), 201: VisitSerializer})
    # A trace's visits and contacts are answered whole, ranked: not paginated (nor documented so).
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def visits(self, request, pk=None):
        """GET the case's visits (paired from passages, and told in the interview); POST one told in the
        interview: place, start, end (default: the place kind's stay)."""
        trace = self.get_object()
        if request.method == "GET":
            visits = trace.visits.select_related("place").order_by("start", "id")
            return Response(VisitSerializer(visits, many=True).data)
        self._may_trace()
        data = VisitCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        place = Place.objects.filter(pk=fields["place"]).first()
        visit = call_service(services.add_visit, trace, place=place, start=fields["start"], end=fields["end"],
                      note=fields["note"], user=request.user)
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ContactSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def contacts(self, request, pk=None):
        """The contacts, ranked: level, overlap minutes, then household before workplace."""
        return Response(ContactSerializer(services.contacts_of(self.get_object()), many=True).data)

    @extend_schema(request=MarkSerializer, responses={200: ContactSerializer})
    @action(detail=True, methods=["post"])
    def mark(self, request, pk=None):
        """Mark a contact close (密接), secondary (次密接) or not a contact (排除, with a note)."""
        trace = self.get_object()
        self._may_trace()
        data = MarkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        contact = trace.contacts.filter(pk=fields["contact"]).first()
        if contact is None:
            raise ApiValidationError({"contact": [_("没有这个接触者")]})
        contact = call_service(services.mark_contact, contact, fields["mark"], note=fields["note"], user=request.user)
        return Response(ContactSerializer(contact).data)

    @extend_schema(request=ActSerializer, responses={200: ActResultSerializer})
    @action(detail=True, methods=["post"])
    def act(self, request, pk=None):
        """Selected contacts (`persons`) into a key-person screening of `category` and an isolation order of
        `isolation_kind`, with a task for their community: all or nothing; acting twice changes nothing."""
        trace = self.get_object()
        if not request.user.has_perm("tracing.act_on_contacts"):
            raise ApiPermissionDenied(_("您没有判定密接并转入管控的权限"))
        data = ActSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        category = Category.objects.filter(pk=fields["category"], active=True).first()
        if category is None:
            raise ApiValidationError({"category": [_("请选择一个启用的重点人员类别")]})
        result = call_service(services.act, trace, fields["persons"], category=category,
                       isolation_kind=fields["isolation_kind"], user=request.user)
        return Response(ActResultSerializer(result).data)
