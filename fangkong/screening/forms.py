"""Forms of the key-person pages. Validation beyond field types is in services, shared with the API."""

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fangkong.core.forms import DATE_WIDGET, add_service_errors

from . import services
from .models import Category, Source


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = services.CATEGORY_FIELDS
        help_texts = {
            "code": _("英文字母、数字、下划线，如 return_province；导入协查名单时可用代码或名称"),
            "nat_every_days": _("不需要按期核酸检测请留空"),
            "position": _("数字小的排在前面"),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def _post_clean(self):
        # The model's checks run in the service, so that the page and the API say the same thing, and every
        # problem shows at once: also those of fields whose own checks passed while others failed.
        probe = copy.copy(self.instance)
        try:
            services.check_category(probe, exclude=list(self.errors), **self.cleaned_data)
        except ValidationError as exc:
            add_service_errors(self, exc)

    def save(self, commit=True):
        try:
            return services.save_category(self.instance if self.instance.pk else None, user=self.user,
                                          **{name: self.cleaned_data[name] for name in services.CATEGORY_FIELDS})
        except ValidationError as exc:
            add_service_errors(self, exc)
            return None


# <input type=date> wants ISO dates whatever the language's date format.


class ScreeningForm(forms.Form):
    """Put one person in a key-person category (the person is chosen before, on the person's page)."""

    category = forms.ModelChoiceField(label=_("重点人员类别"), queryset=Category.objects.filter(active=True),
                                      empty_label=_("请选择类别"))
    source = forms.ChoiceField(label=_("来源"), choices=Source.choices, initial=Source.GRID_VISIT)
    reported_on = forms.DateField(label=_("排查日期"), widget=DATE_WIDGET)
    origin = forms.CharField(label=_("来自何地"), max_length=100, required=False,
                             help_text=_("如：北京市朝阳区；境外请写国家或地区"))
    worker = forms.ModelChoiceField(label=_("责任人"), queryset=None, required=False, empty_label=_("我自己"))
    plan = forms.CharField(label=_("跟进计划"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("如：居家健康监测14天，第1、4、7天核酸检测"))

    def __init__(self, *args, person, user, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("reported_on", services.today())
        super().__init__(*args, **kwargs)
        self.person, self.user = person, user
        self.fields["worker"].queryset = services.responsible_workers(person)

    def save(self):
        data = self.cleaned_data
        try:
            return services.open_screening(
                self.person, data["category"], user=self.user, source=data["source"],
                reported_on=data["reported_on"], origin=data["origin"], worker=data["worker"], plan=data["plan"])
        except ValidationError as exc:
            add_service_errors(self, exc)
            return None


class FollowUpForm(forms.Form):
    on = forms.DateField(label=_("跟进日期"), widget=DATE_WIDGET)
    temperature = forms.CharField(
        label=_("体温（℃）"), required=False, max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "36.5", "autocomplete": "off"}))
    has_symptoms = forms.TypedChoiceField(
        label=_("有无发热、咳嗽等症状"), choices=[("no", _("无症状")), ("yes", _("有症状"))], initial="no",
        coerce=lambda value: value == "yes", widget=forms.RadioSelect(attrs={"class": "choice"}))
    note = forms.CharField(label=_("跟进情况"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("如：电话随访，无异常")}))

    def __init__(self, *args, screening, user, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", services.today())
        super().__init__(*args, **kwargs)
        self.screening, self.user = screening, user

    def save(self):
        data = self.cleaned_data
        try:
            return services.record_follow_up(self.screening, user=self.user, on=data["on"],
                                             temperature=data["temperature"] or None,
                                             has_symptoms=data["has_symptoms"], note=data["note"])
        except ValidationError as exc:
            add_service_errors(self, exc)
            return None


class StateForm(forms.Form):
    to_state = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("变更原因"), max_length=300, required=False,
                             widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("如：已电话核实身份和住址")}))


class AssistanceImportForm(forms.Form):
    file = forms.FileField(label=_("协查名单（Excel .xlsx）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))
