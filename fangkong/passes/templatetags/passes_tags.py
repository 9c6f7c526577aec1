"""Template helpers of the passes pages."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def spoken(moment):
    """Times as people say them: 今天 08:31, 昨天 17:02, 3月6日 08:31 (Asia/Shanghai)."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    today = timezone.localdate()
    clock = local.strftime("%H:%M")
    days = (today - local.date()).days
    if days == 0:
        return _("今天 %(t)s") % {"t": clock}
    if days == 1:
        return _("昨天 %(t)s") % {"t": clock}
    if local.year == today.year:
        return _("%(m)d月%(d)d日 %(t)s") % {"m": local.month, "d": local.day, "t": clock}
    return _("%(y)d年%(m)d月%(d)d日") % {"y": local.year, "m": local.month, "d": local.day}


@register.filter
def shift_span(shift):
    """08:00–16:00, or 20:00–次日 08:00 for a night shift (Asia/Shanghai)."""
    start, end = timezone.localtime(shift.starts_at), timezone.localtime(shift.ends_at)
    days = (end.date() - start.date()).days
    tail = end.strftime("%H:%M")
    if days == 1:
        tail = _("次日 %(t)s") % {"t": tail}
    elif days > 1:
        tail = _("%(m)d月%(d)d日 %(t)s") % {"m": end.month, "d": end.day, "t": tail}
    return f"{start:%H:%M}–{tail}"
