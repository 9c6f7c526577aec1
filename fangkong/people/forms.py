from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fangkong.core.forms import DATE_WIDGET, PersonNameField, add_service_errors
from fangkong.core.identity import DocumentType
from fangkong.territory.forms import ImportForm, preselect_only_community
from fangkong.territory.models import Area, AreaLevel, Household

from . import services
from .models import LEDGER_RESIDENCIES, MAX_VACCINE_DOSES, HouseholdRole, Person, Residency, Sex, Tag


class PersonForm(forms.Form):
    """Person fields as people type them; validation is people.services.clean_person, shared with the API."""

    name = PersonNameField()
    id_type = forms.ChoiceField(label=_("证件类型"), choices=DocumentType.choices, initial=DocumentType.RESIDENT_ID)
    id_number = forms.CharField(
        label=_("证件号码"), max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "pattern": "[0-9A-Za-z-]*"}))
    sex = forms.ChoiceField(label=_("性别"), choices=Sex.choices, initial=Sex.UNKNOWN,
                            help_text=_("居民身份证会自动识别性别和出生日期"))
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    area = forms.ModelChoiceField(label=_("所属社区/村"), queryset=Area.objects.none())
    household = forms.ModelChoiceField(label=_("户"), queryset=Household.objects.none(), required=False)
    household_role = forms.ChoiceField(label=_("与户主关系"), choices=[("", "—")] + HouseholdRole.choices,
                                       required=False)
    residency = forms.ChoiceField(label=_("人口类型"), choices=[(value, Residency(value).label)
                                                                for value in LEDGER_RESIDENCIES],
                                  initial=Residency.PERMANENT, required=False)
    returned_on = forms.DateField(label=_("返回日期"), required=False, help_text=_("外地返回的人员填写"),
                                  widget=DATE_WIDGET)
    returned_from = forms.CharField(label=_("从何地返回"), max_length=100, required=False,
                                    widget=forms.TextInput(attrs={"placeholder": _("如：上海市浦东新区")}))
    workplace = forms.CharField(label=_("工作单位"), max_length=100, required=False)
    # Range checked by the service (one message for the page, the API and the import).
    vaccine_doses = forms.IntegerField(label=_("疫苗接种剂次"), required=False, initial=0,
                                       widget=forms.NumberInput(attrs={"min": 0, "max": MAX_VACCINE_DOSES,
                                                                       "inputmode": "numeric"}))
    tags = forms.ModelMultipleChoiceField(label=_("标签"), queryset=Tag.objects.all(), required=False,
                                          widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, instance: Person | None = None, confirm=False, **kwargs):
        """`confirm`: a visitor being confirmed into the ledger (确认为本辖区人员) chooses a ledger residency;
        otherwise a visitor's edit may leave them a visitor."""
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name, "id_type": instance.id_type, "sex": instance.sex,
                "area": instance.area_id, "household": instance.household_id, "tags": list(instance.tags.all()),
                **{field: getattr(instance, field) for field in services.LEDGER_FIELDS},
            }
        if confirm and instance is not None and instance.is_visitor:
            kwargs.setdefault("initial", {})["residency"] = Residency.PERMANENT
        super().__init__(*args, **kwargs)
        self.user, self.instance = user, instance
        if instance is not None and instance.is_visitor and not confirm:
            self.fields["residency"].choices = [(Residency.VISITOR, Residency.VISITOR.label),
                                                *self.fields["residency"].choices]
        if instance is not None:
            # Numbers are never sent back to the browser in full: left empty means "unchanged".
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("当前：%(masked)s，不修改请留空") % {
                "masked": instance.id_number_masked}
            self.fields["phone"].help_text = _("当前：%(masked)s，不修改请留空") % {
                "masked": instance.phone_masked or "—"}
        self.fields["area"].queryset = Area.objects.visible_to(user).filter(level=AreaLevel.COMMUNITY)
        preselect_only_community(self)
        households = Household.objects.visible_to(user)
        area_id = self.data.get("area") or self.initial.get("area")
        if area_id and str(area_id).isdigit():
            households = households.filter(area_id=area_id)
        self.fields["household"].queryset = households
        if user.grid_id:
            self.fields["household"].required = True
            self.fields["household"].help_text = _("网格员登记人员必须选择所在的户")

    def clean(self):
        data = super().clean()
        if self.instance is not None:
            data["id_number"] = data.get("id_number") or self.instance.id_number
            data["phone"] = data.get("phone") or self.instance.phone
        try:
            return services.clean_person(data, user=self.user, instance=self.instance)
        except ValidationError as exc:
            # Every problem at once, next to its field; a field that failed its own checks keeps that message.
            add_service_errors(self, ValidationError(
                {field: messages for field, messages in exc.message_dict.items() if field not in self.errors}))
        return data

    def save(self):
        if self.instance is None:
            return services.create_person(self.cleaned_data, user=self.user)
        return services.update_person(self.instance, self.cleaned_data, user=self.user)


class LedgerImportForm(ImportForm):
    """The ledger file, and the community of its rows that name none (a select of the user's communities)."""

    area = forms.ModelChoiceField(
        label=_("默认社区/村"), queryset=Area.objects.none(), required=False,
        empty_label=_("（不设默认，每行填写社区/村）"),
        help_text=_("文件中没有“社区/村”列或某行没有填写时，导入到这个社区/村；文件中填写的优先"),
        error_messages={"invalid_choice": _("所选社区/村不在您的管辖范围内")})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.visible_to(user).filter(level=AreaLevel.COMMUNITY)
        preselect_only_community(self)
