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
