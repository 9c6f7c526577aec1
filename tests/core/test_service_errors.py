"""One way for every page to show a service's ValidationError: next to the field it names, else above the form."""

from django import forms
from django.core.exceptions import ValidationError

from fangkong.core.forms import add_service_errors


class MoveInForm(forms.Form):
    id_number = forms.CharField()
    reason = forms.CharField(widget=forms.HiddenInput)


def shown(exc, **options):
    form = MoveInForm({"id_number": "x", "reason": "y"})
    form.is_valid()
    add_service_errors(form, exc, **options)
    return {field: list(messages) for field, messages in form.errors.items()}


def test_a_named_field_gets_its_message_and_an_unknown_one_goes_above_the_form():
    assert shown(ValidationError({"id_number": "证件号码校验位错误", "household": "该户已满"})) == {
        "id_number": ["证件号码校验位错误"], "__all__": ["该户已满"]}


def test_the_service_may_call_a_field_otherwise_or_name_none():
    assert shown(ValidationError({"person": "该人员已在此租住"}), rename={"person": "id_number"}) == {
        "id_number": ["该人员已在此租住"]}
    assert shown(ValidationError({"reason": "请填写原因"}), rename={"reason": None}) == {"__all__": ["请填写原因"]}
    assert shown(ValidationError({"occupants-0-id_number": "错误"}), rename=lambda key: key.split("-")[-1]) == {
        "id_number": ["错误"]}
    assert shown(ValidationError("没有这个人员"), unnamed="id_number") == {"id_number": ["没有这个人员"]}
    assert shown(ValidationError("没有这个人员")) == {"__all__": ["没有这个人员"]}
