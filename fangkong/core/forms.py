"""Form pieces every app's pages share."""

from django import forms
from django.core.exceptions import ValidationError

# Browsers' date pickers need ISO dates whatever the display language.
DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def add_service_errors(form, exc: ValidationError):
    """Show a service's ValidationError next to the fields it names; the rest above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages in exc.message_dict.items():
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
