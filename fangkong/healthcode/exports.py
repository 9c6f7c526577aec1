"""The override report (人工赋码报表): its filters, for the page and its export through the pipeline (core.exports)."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core import exports

from .forms import OverrideFilterForm
from .models import Override

COLUMNS = tuple((gettext_lazy(title), width) for title, width in (
    ("申请时间", 17), ("姓名", 10), ("证件号码", 20), ("社区/村", 14), ("赋码颜色", 8), ("原因类别", 12),
    ("具体说明", 30), ("失效时间", 17), ("状态", 8), ("申请人", 12), ("审批人", 12), ("审批时间", 17),
    ("审批意见", 30)))


def report(user, data):
    """(form, overrides in the user's scope as the form filters them, newest first, the filters as text)."""
    form = OverrideFilterForm(data or None)
    queryset = (Override.objects.visible_to(user).select_related("person__area", "requested_by", "decided_by")
                .order_by("-requested_at", "-id"))
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {k: str(v) for k, v in data.items() if v}
        for name in ("state", "reason", "colour"):
            if data[name]:
                queryset = queryset.filter(**{name: data[name]})
        if data["user"]:
            who = data["user"]
            queryset = queryset.filter(
                Q(requested_by__username__icontains=who) | Q(requested_by__full_name__icontains=who)
                | Q(decided_by__username__icontains=who) | Q(decided_by__full_name__icontains=who))
        if data["since"]:
            queryset = queryset.filter(requested_at__date__gte=data["since"])
        if data["until"]:
            queryset = queryset.filter(requested_at__date__lte=data["until"])
    return form, queryset, filters


def describe(user, filters: dict) -> str:
    """The filters in words, as the form labels them: 状态：已批准，申请人或审批人：王."""
    fields = OverrideFilterForm.base_fields
    parts = []
    for name, value in filters.items():
        choices = dict(getattr(fields[name], "choices", ()))
        parts.append(f"{fields[name].label}：{choices.get(value, value)}")
    return "，".join(parts) or _("全部人工赋码")


def _when(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else None


@exports.register("overrides", title=gettext_lazy("人工赋码"), model=Override, columns=COLUMNS,
                  permission=("healthcode.view_override", "people.export_person"),
                  params=lambda user, data: report(user, data)[2], describe=describe,
                  file_name=lambda job: f"overrides-{timezone.localdate():%Y%m%d}.xlsx")
def override_rows(user, filters: dict) -> exports.Rows:
    _form, overrides, _filters = report(user, filters)
    return exports.Rows(overrides.count(), (
        (_when(o.requested_at), o.person.name, o.person.id_number_masked, o.person.area.name, o.get_colour_display(),
         o.get_reason_display(), o.note, _when(o.expires_at), o.get_state_display(), str(o.requested_by),
         str(o.decided_by or ""), _when(o.decided_at), o.decision_note) for o in overrides.iterator(chunk_size=2000)))
