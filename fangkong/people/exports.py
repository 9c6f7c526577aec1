"""Person export: scoped to the viewer, masked unless the role may see full numbers, audited."""

import io

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.core.identity import mask_document, mask_phone
from fangkong.core.xlsx import safe_cell

from .models import Person


def export_persons(queryset, user, filters: dict) -> bytes:
    full = user.may_see_full_numbers()
    out = io.BytesIO()
    # Text stays text: no URL, formula or number guessing (safe_cell already neutralised "=" and the like).
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True, "strings_to_urls": False,
                                     "strings_to_formulas": False, "strings_to_numbers": False})
    sheet = book.add_worksheet(_("人员"))
    header = [_("姓名"), _("性别"), _("出生日期"), _("证件类型"), _("证件号码"), _("手机号"), _("社区/村"), _("住址")]
    sheet.write_row(0, 0, header)
    rows = queryset.select_related("area", "household").order_by("pk")
    count = 0
    for count, person in enumerate(rows.iterator(chunk_size=2000), start=1):
        id_number = person.id_number if full else person.id_number_masked
        phone = person.phone if full else person.phone_masked
        sheet.write_row(count, 0, [safe_cell(v) for v in (
            person.name, person.get_sex_display(), person.birth_date.isoformat() if person.birth_date else "",
            person.get_id_type_display(), id_number, phone, person.area.name,
            person.household.address if person.household else "")])
    sheet.write(count + 2, 0, _("导出人：%(user)s  时间：%(at)s  共 %(n)d 人") % {
        "user": user.username, "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"), "n": count})
    book.close()
    audit.log_export(user, Person._meta.label, count, {**_loggable(filters), "full_numbers": full})
    return out.getvalue()


def _loggable(filters: dict) -> dict:
    """The filters as the audit log keeps them: a number searched for is masked as on screen."""
    query = str(filters.get("q", "")).replace(" ", "").upper()
    if not any(ch.isdigit() for ch in query):
        return filters
    if len(query) >= 15:
        masked = mask_document(query)
    elif len(query) == 11 and query.isdigit():
        masked = mask_phone(query)
    else:
        masked = "*" * len(query)
    return {**filters, "q": masked}
