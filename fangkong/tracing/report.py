"""What a trace gives the command office: the risk places (page and xlsx through core.exports), the chain as a
graph (data for the ECharts page) and the trace report as an xlsx (core.exports) and an A4 PDF (core.pdf)."""

import io

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core import exports
from fangkong.core.pdf import cjk_font, issuing_office, wrap
from fangkong.core.xlsx import Sheet

from .models import RiskPlace, Trace


def _when(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else None


def risk_places(user):
    """The risk places in force (and those of the last 28 days) in the user's scope, newest window first."""
    since = timezone.now() - timezone.timedelta(days=28)
    return (RiskPlace.objects.visible_to(user).current(since).select_related("place__area")
            .order_by("-starts_at", "id"))


RISK_COLUMNS = tuple((gettext_lazy(title), width) for title, width in (
    ("场所", 24), ("地址", 30), ("社区/村", 14), ("风险开始", 17), ("风险结束", 17)))


@exports.register("risk_places", title=gettext_lazy("风险场所"), model=RiskPlace, columns=RISK_COLUMNS,
                  permission="tracing.view_riskplace", describe=lambda user, params: _("近28天的风险场所"),
                  file_name=lambda job: f"risk-places-{timezone.localdate():%Y%m%d}.xlsx")
def risk_place_rows(user, params) -> exports.Rows:
    rows = risk_places(user)
    return exports.Rows(rows.count(), ((r.place.name, r.place.address, r.place.area.name, _when(r.starts_at),
                                        _when(r.ends_at)) for r in rows.iterator(chunk_size=2000)))


# The trace report ---------------------------------------------------------------------------------------------

def _trace_params(user, data):
    pk = str(data.get("trace") or "")
    if not pk.isdigit() or not Trace.objects.visible_to(user).filter(pk=int(pk)).exists():
        raise ValidationError({"trace": _("没有这个流调")})
    return {"trace": int(pk)}


VISIT_COLUMNS = ((gettext_lazy("场所"), 24), (gettext_lazy("到达"), 17), (gettext_lazy("离开"), 17),
                 (gettext_lazy("来源"), 10), (gettext_lazy("状态"), 10), (gettext_lazy("说明"), 30))
CONTACT_COLUMNS = ((gettext_lazy("姓名"), 10), (gettext_lazy("证件号码"), 20), (gettext_lazy("关系"), 10),
                   (gettext_lazy("层级"), 8), (gettext_lazy("场所"), 24), (gettext_lazy("重叠分钟"), 10),
                   (gettext_lazy("判定"), 10), (gettext_lazy("已转入管控"), 12))


def visit_rows(trace):
    return [(v.place.name, _when(v.start), _when(v.end) + (" " + _("(估计)") if v.end_assumed else ""),
             v.get_source_display(), _("已排除") if v.wrong else _("有效"), v.note)
            for v in trace.visits.select_related("place").order_by("start", "id")]


def contact_rows(trace):
    from .services import contacts_of

    return [(c.person.name_masked, c.person.id_number_masked, c.get_kind_display(),
             _("密接") if c.level == 1 else _("次密接"), c.place.name if c.place_id else "", c.overlap_minutes,
             c.get_mark_display(), _when(c.acted_at) or "") for c in contacts_of(trace)]


def _heading(trace):
    return _("%(case)s 流调报告（发病/采样 %(onset)s，追溯 %(days)d 天）") % {
        "case": trace.case.name_masked, "onset": trace.onset.isoformat(), "days": trace.window_days}


@exports.register("trace_report", title=gettext_lazy("流调报告"), model=Trace, params=_trace_params,
                  permission="tracing.view_trace", describe=lambda user, params: _("流调 #%(n)d") % {
                      "n": params["trace"]},
                  file_name=lambda job: f"trace-{job.params['trace']}-{timezone.localdate():%Y%m%d}.xlsx")
def trace_report_rows(user, params) -> exports.Rows:
    trace = Trace.objects.visible_to(user).select_related("case").get(pk=params["trace"])
    visits, contacts = visit_rows(trace), contact_rows(trace)
    return exports.Rows(len(visits) + len(contacts), sheets=[
        Sheet(_("活动轨迹"), VISIT_COLUMNS, visits, heading=_heading(trace)),
        Sheet(_("接触者"), CONTACT_COLUMNS, contacts, heading=_heading(trace))])


def trace_pdf(trace) -> bytes:
    """An A4 report for the command office: heading, the visits, the contacts ranked; masked throughout."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    font, _embedded = cjk_font()
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4)
    width, height = A4
    y = height - 20 * mm

    def line(text, size=10, gap=6 * mm):
        nonlocal y
        for part in wrap(str(text), font, size, width - 40 * mm) or [""]:
            if y < 20 * mm:
                pdf.showPage()
                y = height - 20 * mm
            pdf.setFont(font, size)
            pdf.drawString(20 * mm, y, part)
            y -= gap

    from fangkong.territory.models import Area

    district = Area.objects.filter(pk=int(trace.area.path.strip("/").split("/")[0])).first()
    line(issuing_office(district), 11)
    line(_heading(trace), 15, 9 * mm)
    line(_("活动轨迹"), 12, 7 * mm)
    for row in visit_rows(trace):
        line(" · ".join(str(cell) for cell in row if cell))
    line(_("接触者"), 12, 7 * mm)
    for row in contact_rows(trace):
        line(" · ".join(str(cell) for cell in row if cell not in ("", None)))
    line(_("生成时间：%(at)s") % {"at": _when(timezone.now())}, 9)
    pdf.save()
    return buffer.getvalue()


def chain(trace) -> dict:
    """The case and its contacts as a graph: nodes (case, close, secondary, others) and links with the place."""
    from .models import Mark
    from .services import contacts_of

    nodes = [{"id": f"p{trace.case_id}", "name": trace.case.name_masked, "category": 0, "symbolSize": 46}]
    links = []
    for contact in contacts_of(trace):
        category = 1 if contact.mark == Mark.CLOSE else 2 if contact.level == 2 or contact.mark == Mark.SECONDARY \
            else 3
        nodes.append({"id": f"p{contact.person_id}", "name": contact.person.name_masked, "category": category,
                      "symbolSize": 30 if contact.level == 1 else 22})
        source = f"p{contact.via.person_id}" if contact.via_id else f"p{trace.case_id}"
        links.append({"source": source, "target": f"p{contact.person_id}",
                      "label": contact.place.name if contact.place_id else contact.get_kind_display(),
                      "minutes": contact.overlap_minutes})
    return {"nodes": nodes, "links": links,
            "categories": [{"name": _("病例")}, {"name": _("密接")}, {"name": _("次密接")}, {"name": _("待判定")}]}
