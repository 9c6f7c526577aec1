"""Form pieces every app's pages share."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .identity import normalize_person_name

# Browsers' date pickers need ISO dates whatever the display language.
DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def add_service_errors(form, exc: ValidationError, *, rename=None, unnamed=None):
    """Show a service's ValidationError next to the fields it names; the rest above the form.

    `rename` says where a key goes that the form calls otherwise ({service key: form field, or None for above the
    form}, or a function of the key); `unnamed` is the field for an error that names none (None: above the form).
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(unnamed, exc)
        return
    field_for = rename if callable(rename) else (lambda key: (rename or {}).get(key, key))
    for key, messages in exc.message_dict.items():
        field = field_for(key)
        form.add_error(field if field in form.fields else None, messages)


def clean_document(form, data: dict) -> bool:
    """The identity number checked with the rest of the form, not only when the person is saved, so that a bad
    checksum is told in the same round as every other mistake: normalised in `data`, or an error next to
    the id_number field. True when there is a valid number."""
    from fangkong.core.identity import normalize_document

    if not (data.get("id_type") and data.get("id_number")):
        return False
    try:
        data["id_number"] = normalize_document(data["id_type"], data["id_number"])
    except ValidationError as exc:
        form.add_error("id_number", exc)
        return False
    return True


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
