from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.forms import DATE_WIDGET
from fangkong.territory.models import Area, AreaLevel

from . import services
from .models import Lodging, Park, ProblemKind, Sector, Size


class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=100)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=30,
                                  widget=forms.TextInput(attrs={"autocapitalize": "characters",
                                                                "spellcheck": "false"}))
    sector = forms.ChoiceField(label=_("行业"), choices=Sector.choices)
    size = forms.ChoiceField(label=_("规模"), choices=Size.choices)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    area = forms.ModelChoiceField(label=_("所属社区/村"), queryset=Area.objects.none())
    park = forms.ModelChoiceField(label=_("所属园区"), queryset=Park.objects.none(), required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "tel"}))
    liaison_officer = forms.CharField(label=_("党建指导员/联络员"), max_length=50, required=False)

    def __init__(self, *args, user, own=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.visible_to(user).filter(level=AreaLevel.COMMUNITY)
        self.fields["park"].queryset = Park.objects.visible_to(user)
        if own:  # the enterprise's own admin: not where it is filed nor its code
            for name in ("credit_code", "area", "park"):
                del self.fields[name]


class EmployeeForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号码"), max_length=18,
                                widget=forms.TextInput(attrs={"inputmode": "text", "autocomplete": "off"}))
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    department = forms.CharField(label=_("部门"), max_length=50, required=False)
    shift = forms.CharField(label=_("班次"), max_length=30, required=False)
    returned_from = forms.CharField(label=_("从何地返岗"), max_length=100, required=False)
    returned_on = forms.DateField(label=_("返岗日期"), required=False, widget=DATE_WIDGET)
    return_risk = forms.ChoiceField(label=_("返岗来源风险"), choices=list(services.RETURN_RISKS.items()),
                                    required=False)
    lodging = forms.ChoiceField(label=_("住宿"), choices=Lodging.choices)


class CheckInForm(forms.Form):
    temperature = forms.CharField(label=_("体温（℃）"), max_length=5,
                                  widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "36.5"}))
    symptoms = forms.ChoiceField(label=_("是否有发热、咳嗽、乏力等症状"), choices=[("no", _("否")), ("yes", _("是"))],
                                 widget=forms.RadioSelect, initial="no")


class ProblemForm(forms.Form):
    kind = forms.ChoiceField(label=_("问题类别"), choices=ProblemKind.choices)
    text = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("文件（.xlsx）"))


class ParkForm(forms.Form):
    name = forms.CharField(label=_("园区名称"), max_length=100, error_messages={"required": _("请填写园区名称")})
    area = forms.ModelChoiceField(label=_("所属街道/社区"), queryset=Area.objects.none(), error_messages={
        "required": _("请选择园区所属的街道或社区"), "invalid_choice": _("所属区域不在您的管辖范围内")})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.visible_to(user).filter(level__in=services.PARK_LEVELS)
