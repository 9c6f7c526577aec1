from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.identity import DocumentType

YES_NO = [("no", _("否")), ("yes", _("是"))]


class DeclarationForm(forms.Form):
    """健康申报, in the order residents expect (UX.md): who, documents, phone, address, three questions, consent."""

    label = forms.CharField(label=_("称呼"), max_length=20, required=False, initial=_("本人"),
                            help_text=_("为家人登记时填写，如：母亲、儿子"))
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=DocumentType.choices, initial=DocumentType.RESIDENT_ID)
    id_number = forms.CharField(label=_("证件号码"), max_length=30, widget=forms.TextInput(attrs={
        "autocomplete": "off", "inputmode": "text", "pattern": "[0-9Xx]*", "autocapitalize": "characters"}))
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    community = forms.TypedChoiceField(label=_("所在社区/村"), coerce=int, required=False)
    address = forms.CharField(label=_("住址"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("如：幸福里小区1号楼1单元101")}))
    visited_risk_area = forms.ChoiceField(label=_("14天内是否去过中高风险地区"), choices=YES_NO,
                                          widget=forms.RadioSelect)
    has_symptoms = forms.ChoiceField(label=_("是否有发热、咳嗽等症状"), choices=YES_NO, widget=forms.RadioSelect)
    had_contact = forms.ChoiceField(label=_("是否接触过确诊或疑似人员"), choices=YES_NO, widget=forms.RadioSelect)
    temperature = forms.CharField(label=_("体温（℃）"), max_length=6, required=False, widget=forms.TextInput(
        attrs={"inputmode": "decimal", "placeholder": "36.5", "autocomplete": "off"}))
    consent = forms.BooleanField(label=_("我已阅读并同意上述说明"), error_messages={
        "required": _("请阅读说明并勾选同意，才能提交")})

    def __init__(self, *args, communities=(), ask_temperature=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not ask_temperature:
            del self.fields["temperature"]
        self.fields["community"].choices = [(c.pk, c.name) for c in communities]
        if len(self.fields["community"].choices) <= 1:
            del self.fields["community"]

    def clean_temperature(self):
        from .services import clean_temperature

        return clean_temperature(self.cleaned_data["temperature"])

    def answers(self):
        return {key: self.cleaned_data[key] == "yes" for key in ("visited_risk_area", "has_symptoms", "had_contact")}
