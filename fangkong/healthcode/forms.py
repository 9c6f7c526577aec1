"""Forms of the health-code pages. Checks beyond field types live in services, shared with the API."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fangkong.core.forms import DATE_WIDGET, add_service_errors
from fangkong.passes.models import Place, PlaceKind
from fangkong.territory.models import Area

from . import services
from .models import Colour, OverrideReason, OverrideState, PlacePolicy


class OverrideForm(forms.Form):
    colour = forms.ChoiceField(label=_("赋码颜色"), choices=Colour.choices, widget=forms.RadioSelect)
    reason = forms.ChoiceField(label=_("原因类别"), choices=[("", _("请选择原因类别")), *OverrideReason.choices])
    note = forms.CharField(label=_("具体说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("写明依据：协查函文号、复检结果、隔离解除证明等，审批人和审计都能看到"))
    days = forms.IntegerField(label=_("有效天数"), min_value=1, max_value=services.MAX_OVERRIDE_DAYS, initial=7)

    def __init__(self, *args, person, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.person, self.user = person, user
        longest = {"days": services.MAX_OVERRIDE_DAYS}
        self.fields["days"].help_text = _("最长 %(days)d 天，到期后恢复按规则赋码") % longest
        for name in ("reason", "note"):
            self.fields[name].error_messages["required"] = {
                "reason": _("请从列表中选择原因类别"), "note": _("请填写具体说明（依据、文号或情况）")}[name]
        self.fields["colour"].error_messages["required"] = _("请选择要赋的颜色")

    def save(self):
        data = self.cleaned_data
        try:
            return services.request_override(self.person, colour=data["colour"], reason=data["reason"],
                                             note=data["note"], days=data["days"], user=self.user)
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "expires_at" in exc.error_dict:
                exc.error_dict["days"] = exc.error_dict.pop("expires_at")
            add_service_errors(self, exc)
            return None


class DecisionForm(forms.Form):
    decision_note = forms.CharField(label=_("审批意见"), max_length=300,
                                    error_messages={"required": _("请填写审批意见")})


class OverrideFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态")), *OverrideState.choices])
    reason = forms.ChoiceField(label=_("原因类别"), required=False,
                               choices=[("", _("全部原因")), *OverrideReason.choices])
    colour = forms.ChoiceField(label=_("赋码颜色"), required=False, choices=[("", _("全部颜色")), *Colour.choices])
    user = forms.CharField(label=_("申请人或审批人"), required=False, max_length=50)
    since = forms.DateField(label=_("申请日期从"), required=False, widget=DATE_WIDGET)
    until = forms.DateField(label=_("至"), required=False, widget=DATE_WIDGET)


class CodeFilterForm(forms.Form):
    """健康码总览's filters: which colours (red and yellow unless asked) in which community of the viewer's scope."""

    show = forms.ChoiceField(label=_("赋码颜色"), required=False,
                             choices=[("", _("红码和黄码")), *Colour.choices])
    area = forms.TypedChoiceField(label=_("社区/村"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(label=_("姓名或证件号后四位"), required=False, max_length=50,
                        widget=forms.TextInput(attrs={"placeholder": _("姓名或证件号后四位"), "type": "search"}))

    def __init__(self, *args, communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("全部社区")), *((a.pk, a.name) for a in communities)]


class RuleForm(forms.Form):
    colour = forms.ChoiceField(label=_("赋码颜色"), choices=Colour.choices)
    days = forms.IntegerField(label=_("有效天数"), required=False, min_value=1, max_value=365)
    active = forms.BooleanField(label=_("启用"), required=False)


class PolicyForm(forms.ModelForm):
    class Meta:
        model = PlacePolicy
        fields = services.POLICY_FIELDS
        widgets = {"starts_on": DATE_WIDGET, "ends_on": DATE_WIDGET}
        error_messages = {"name": {"required": _("请填写名称")}, "starts_on": {"required": _("请填写开始日期")},
                          "colour": {"required": _("请选择健康码要求")}}
        help_texts = {
            "place": _("只对一个场所生效时选择；否则留空，按区域（和场所类型）生效"),
            "kind": _("留空：区域内所有类型的场所"),
            "area": _("对该区域及其下所有街道、社区生效；最具体的政策优先：场所 > 场所类型 > 区域"),
            "ends_on": _("留空：一直有效，直到结束"),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["area"].queryset = Area.objects.visible_to(user).order_by("path")
        self.fields["area"].required = False
        self.fields["place"].queryset = Place.objects.visible_to(user).approved().order_by("name")
        self.fields["kind"] = forms.ChoiceField(label=_("场所类型"), required=False,
                                                choices=[("", _("所有类型")), *PlaceKind.choices],
                                                help_text=self.Meta.help_texts["kind"])
        self.fields["test_within_hours"].choices = [("", _("不要求")), (24, _("24 小时")), (48, _("48 小时")),
                                                    (72, _("72 小时"))]

    def _post_clean(self):
        pass  # the service checks everything, as for the API

    def save(self, commit=True):
        data = {name: self.cleaned_data.get(name) for name in services.POLICY_FIELDS}
        data["kind"] = data["kind"] or ""
        try:
            return services.save_policy(self.instance if self.instance.pk else None, user=self.user, **data)
        except ValidationError as exc:
            add_service_errors(self, exc)
            return None
