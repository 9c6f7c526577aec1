"""Forms of the testing pages: field types only; the rules are in services, shared with the API."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.territory.models import Area

from .models import Duty, Pooling

DATE = forms.DateInput(attrs={"type": "date"})
TIME = forms.TimeInput(attrs={"type": "time"})


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("任务名称"), max_length=100)
    area = forms.ModelChoiceField(label=_("检测范围"), queryset=Area.objects.none(), empty_label=_("请选择区域"))
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE, help_text=_("每天一轮"))
    pooling = forms.ChoiceField(label=_("默认混采方式"), choices=Pooling.choices, initial=Pooling.TEN)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.visible_to(user)
        self.fields["starts_on"].initial = datetime.date.today()


class SiteForm(forms.Form):
    name = forms.CharField(label=_("采样点名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    area = forms.ModelChoiceField(label=_("所在社区/村"), queryset=Area.objects.none(), empty_label=_("请选择"))
    opens = forms.TimeField(label=_("开始时间"), widget=TIME, initial="07:00")
    closes = forms.TimeField(label=_("结束时间"), widget=TIME, initial="20:00")

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.subtree(campaign.area).filter(level="community")


class TeamForm(forms.Form):
    site = forms.ModelChoiceField(label=_("采样点"), queryset=None, empty_label=_("请选择"))
    username = forms.CharField(label=_("账号"), max_length=150)
    duty = forms.ChoiceField(label=_("岗位"), choices=Duty.choices)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites


class ZoneForm(forms.Form):
    area = forms.ModelChoiceField(label=_("区域"), queryset=Area.objects.none(), empty_label=_("请选择"))
    pooling = forms.ChoiceField(label=_("混采方式"), choices=Pooling.choices)

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.subtree(campaign.area)


class ExemptionForm(forms.Form):
    id_number = forms.CharField(label=_("身份证号码"), max_length=20,
                                widget=forms.TextInput(attrs={"inputmode": "text", "autocomplete": "off"}))
    reason = forms.CharField(label=_("免检原因"), max_length=200, help_text=_("如：长期卧床、外出未归、婴幼儿"))


class ResultImportForm(forms.Form):
    file = forms.FileField(label=_("检测结果文件（.xlsx 或 .csv）"))
