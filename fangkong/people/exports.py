"""Person export through the export pipeline (core.exports): the list as filtered, scoped to the viewer,
masked unless the role may see full numbers."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.core import exports
from fangkong.core.identity import mask_search

from . import services
from .models import Person

CHUNK = 2000
COLUMNS = tuple((gettext_lazy(title), width) for title, width in (
    ("姓名", 10), ("性别", 6), ("出生日期", 12), ("证件类型", 10), ("证件号码", 20), ("手机号", 14), ("社区/村", 14),
    ("住址", 28), ("与户主关系", 10), ("人口类型", 10), ("返回日期", 12), ("从何地返回", 14), ("工作单位", 16),
    ("疫苗接种剂次", 12)))


def params(user, data) -> dict:
    """The list's filters. A number searched for is kept as the matching person ids (resolved now, in the
    user's scope) and shown masked: the job row never holds it in clear."""
    filters = {key: str(data[key]) for key in services.FILTERS if key != "ids" and data.get(key)}
    loggable = _loggable(filters)
    if loggable.get("q") != filters.get("q"):
        filters["ids"] = list(services.filter_persons(user, filters).values_list("pk", flat=True)[:100_000])
        filters["q"] = loggable["q"]  # masked: only for the audit row and the page; the ids do the filtering
    return filters


def describe(user, filters: dict) -> str:
    """The search as people read it: 搜索 4109**********1234，幸福里社区，女."""
    from fangkong.territory.models import Area

    from .models import Sex, Tag

    parts = []
    if filters.get("q"):
        parts.append(_("搜索 %(q)s") % {"q": filters["q"]})
    if str(filters.get("area", "")).isdigit():
        parts.append(str(Area.objects.visible_to(user).filter(pk=filters["area"]).values_list("name", flat=True)
                         .first() or ""))
    if filters.get("sex") in Sex.values:
        parts.append(str(Sex(filters["sex"]).label))
    if filters.get("tag"):
        parts.append(str(Tag.objects.filter(code=filters["tag"]).values_list("name", flat=True).first() or ""))
    return "，".join(part for part in parts if part) or _("全部人员")


def _loggable(filters: dict) -> dict:
    """The filters as the audit log keeps them: a number searched for is masked as on screen."""
    return {**filters, "q": mask_search(str(filters["q"]))} if filters.get("q") else filters


@exports.register("persons", title=gettext_lazy("人员"), permission="people.export_person", model=Person,
                  columns=COLUMNS, params=params, describe=describe,
                  logged=lambda filters: {k: v for k, v in filters.items() if k != "ids"})
def person_rows(user, filters: dict) -> exports.Rows:
    full = user.may_see_full_numbers()
    persons = services.filter_persons(user, filters)
    return exports.Rows(persons.count(), _rows(persons, full), audit={"full_numbers": full})


def _rows(persons, full):
    for person in persons.select_related("area", "household").order_by("pk").iterator(chunk_size=CHUNK):
        yield (person.name, person.get_sex_display(), person.birth_date.isoformat() if person.birth_date else None,
               person.get_id_type_display(), person.id_number if full else person.id_number_masked,
               person.phone if full else person.phone_masked, person.area.name,
               person.household.address if person.household else None, person.get_household_role_display(),
               person.get_residency_display(), person.returned_on.isoformat() if person.returned_on else None,
               person.returned_from, person.workplace, person.vaccine_doses)
