"""Form pieces every app's pages share."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .identity import normalize_person_name

# Browsers' date pickers need ISO dates whatever the display language.
DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def add_service_errors(form, exc: ValidationError):
    """Show a service's ValidationError next to the fields it names; the rest above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class PersonNameField(forms.CharField):
    """姓名 as every form takes it: normalised and checked by core.identity.normalize_person_name, so the
    person sees the precise Chinese reason next to the field (no generic length message, no maxlength cut)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("姓名"))
        kwargs.setdefault("error_messages", {"required": _("请填写姓名")})
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return normalize_person_name(value) if value else value
