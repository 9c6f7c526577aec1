"""Isolation orders through the export pipeline (core.exports): the list page's filters, scoped to the viewer,
identity numbers masked unless the role may see them in full."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core import exports

from .api import filter_orders
from .models import IsolationOrder, Kind, Site, State

CHUNK = 2000
FILTERS = ("state", "kind", "site", "area", "person")
COLUMNS = tuple((gettext_lazy(title), width) for title, width in (
    ("姓名", 10), ("证件号码", 20), ("隔离类型", 12), ("状态", 10), ("来源", 10), ("隔离原因", 24), ("社区/村", 14),
    ("开始日期", 12), ("计划解除日期", 12), ("解除日期", 12), ("隔离点", 16), ("房间", 8), ("责任人", 10)))


def params(user, data) -> dict:
    """The list page's filters as given (the list shows orders in force when no state is chosen)."""
    filters = {key: str(data[key]) for key in FILTERS if data.get(key)}
    filters.setdefault("state", "active")
    return filters


def describe(user, filters: dict) -> str:
    """The filters as people read them: 隔离中，居家隔离，幸福里社区."""
    from fangkong.territory.models import Area

    parts = []
    state = filters.get("state")
    if state == "active":
        parts.append(_("在管（待隔离、隔离中）"))
    elif state in State.values:
        parts.append(str(State(state).label))
    if filters.get("kind") in Kind.values:
        parts.append(str(Kind(filters["kind"]).label))
    if str(filters.get("area", "")).isdigit():
        parts.append(str(Area.objects.visible_to(user).filter(pk=filters["area"]).values_list("name", flat=True)
                         .first() or ""))
    if str(filters.get("site", "")).isdigit():
        parts.append(str(Site.objects.filter(pk=filters["site"]).values_list("name", flat=True).first() or ""))
    return "，".join(part for part in parts if part) or _("全部隔离")


@exports.register("isolations", title=gettext_lazy("隔离人员"),
                  permission=("isolation.view_isolationorder", "people.export_person"), model=IsolationOrder,
                  columns=COLUMNS, params=params, describe=describe)
def isolation_rows(user, filters: dict) -> exports.Rows:
    full = user.may_see_full_numbers()
    orders = filter_orders(IsolationOrder.objects.visible_to(user), filters)
    return exports.Rows(orders.count(), _rows(orders, full), audit={"full_numbers": full})


def _day(value):
    return value.isoformat() if value else None


def _rows(orders, full):
    orders = orders.select_related("person", "area", "site", "room", "worker").order_by("pk")
    for order in orders.iterator(chunk_size=CHUNK):
        person = order.person
        yield (person.name, person.id_number if full else person.id_number_masked, order.get_kind_display(),
               order.get_state_display(), order.get_source_display(), order.reason, order.area.name,
               _day(order.start), _day(order.planned_end), _day(order.ended_on),
               order.site.name if order.site_id else None, order.room.number if order.room_id else None,
               str(order.worker) if order.worker_id else None)
