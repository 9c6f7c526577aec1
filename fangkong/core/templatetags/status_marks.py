"""The icon and word of a colour or verdict in templates, from core.status (the one table)."""

from django import template

from fangkong.core import status

register = template.Library()


@register.filter
def status_icon(value):
    """✓ / ⚠ / ✕ for a colour (green/yellow/red), a verdict (allow/warn/deny) or a category's gate effect."""
    return status.icon(value)


@register.filter
def colour_word(colour):
    return status.colour_word(colour)


@register.filter
def resident_word(verdict):
    return status.RESIDENT_WORDS.get(str(verdict), "")


@register.filter
def guard_word(verdict):
    return status.GUARD_WORDS.get(str(verdict), "")

