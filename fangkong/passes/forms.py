from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fangkong.core.forms import PersonNameField, clean_document
from fangkong.core.identity import DocumentType

from .models import Place, PlaceKind

YES_NO = [("no", _("否")), ("yes", _("是"))]


def yes_no(label, **extra) -> forms.ChoiceField:
    """A health question answered 否/是 with two big radio buttons (the declaration and the station)."""
    return forms.ChoiceField(label=label, choices=YES_NO, widget=forms.RadioSelect,
                             error_messages={"required": _("请选择“是”或“否”")}, **extra)


class DeclarationForm(forms.Form):
    """健康申报, in the order residents expect (UX.md): who, documents, phone, address, three questions, consent."""

    label = forms.CharField(label=_("称呼"), max_length=20, required=False, initial=_("本人"),
                            help_text=_("为家人登记时填写，如：母亲、儿子"))
    name = PersonNameField(widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_type = forms.ChoiceField(label=_("证件类型"), choices=DocumentType.choices, initial=DocumentType.RESIDENT_ID)
    id_number = forms.CharField(label=_("证件号码"), max_length=30, widget=forms.TextInput(attrs={
        "autocomplete": "off", "inputmode": "text", "pattern": "[0-9Xx]*", "autocapitalize": "characters"}))
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    address = forms.CharField(label=_("住址"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("如：幸福里小区1号楼1单元101")}))
    # Optional: a visitor from elsewhere leaves it empty; a resident of the district may name their community.
    community = forms.TypedChoiceField(label=_("所在社区/村（本辖区居民选填）"), coerce=int, required=False,
                                       empty_value=None)
    visited_risk_area = yes_no(_("14天内是否去过中高风险地区"))
    has_symptoms = yes_no(_("是否有发热、咳嗽等症状"))
    had_contact = yes_no(_("是否接触过确诊或疑似人员"))
    temperature = forms.CharField(label=_("体温（℃）"), max_length=6, required=False, widget=forms.TextInput(
        attrs={"inputmode": "decimal", "placeholder": "36.5", "autocomplete": "off"}))
    consent = forms.BooleanField(label=_("我已阅读并同意上述说明"), error_messages={
        "required": _("请阅读说明并勾选同意，才能提交")})

    def __init__(self, *args, communities=(), ask_temperature=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not ask_temperature:
            del self.fields["temperature"]
        self.fields["community"].choices = [("", _("不选（外地来访）")), *((c.pk, c.name) for c in communities)]
        if not communities:
            del self.fields["community"]

    def clean(self):
        data = super().clean()
        clean_document(self, data)
        return data

    def clean_temperature(self):
        from .services import clean_temperature

        return clean_temperature(self.cleaned_data["temperature"])

    def answers(self):
        return {key: self.cleaned_data[key] == "yes" for key in ("visited_risk_area", "has_symptoms", "had_contact")}


# Places: staff pages and the public registration ---------------------------------------------------

class AreaChoiceField(forms.ModelChoiceField):
    """Areas indented by level, so that a long list reads as the tree it is."""

    def label_from_instance(self, obj):
        depth = obj.path.count("/") - 2
        return "　" * max(depth, 0) + obj.name


class PlaceForm(forms.ModelForm):
    """A place created or edited by staff; choices are limited to the user's scope, saving goes through services."""

    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, widget=forms.TextInput(
        attrs={"inputmode": "tel", "autocomplete": "off"}))

    class Meta:
        model = Place
        fields = ["name", "kind", "area", "compound", "grid", "address", "contact_name", "contact_phone",
                  "measures_temperature", "records_exit", "policy"]
        field_classes = {"area": AreaChoiceField}
        widgets = {"address": forms.TextInput(attrs={"placeholder": _("如：文化路12号幸福里小区北门")})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from fangkong.territory.models import Area, Compound, Grid

        self.user = user
        self.fields["area"].queryset = Area.objects.visible_to(user).order_by("path")
        area_id = self.data.get("area") or self.initial.get("area") or self.instance.area_id
        compounds, grids = Compound.objects.visible_to(user), Grid.objects.visible_to(user)
        if area_id and str(area_id).isdigit():
            compounds, grids = compounds.filter(area_id=area_id), grids.filter(area_id=area_id)
        self.fields["compound"].queryset = compounds
        self.fields["grid"].queryset = grids
        self.fields["kind"].choices = [("", _("请选择")), *PlaceKind.choices]
        self.fields["area"].empty_label = _("请选择")
        self.fields["compound"].empty_label = self.fields["grid"].empty_label = _("（不选）")
        self.fields["compound"].help_text = _("小区门岗请选择小区，住户核验要用")
        if self.instance.pk:
            # The stored number never goes back to the browser: empty means unchanged.
            self.fields["contact_phone"].required = False
            self.fields["contact_phone"].help_text = _("当前：%(masked)s，不修改请留空") % {
                "masked": self.instance.contact_phone_masked or "—"}

    def clean_contact_phone(self):
        from fangkong.core.identity import normalize_phone

        raw = self.cleaned_data["contact_phone"]
        return normalize_phone(raw) if raw else ""

    def clean(self):
        data = super().clean()
        from .services import place_link_errors

        for key, message in place_link_errors(data.get("area"), compound=data.get("compound"),
                                              grid=data.get("grid")).items():
            self.add_error(key, message)
        return data

    def _post_clean(self):
        # Uniqueness of the name is checked by the service with the same message everywhere.
        super()._post_clean()
        if not self.errors and self.cleaned_data.get("area") and self.cleaned_data.get("name"):
            from .services import check_place_name

            try:
                check_place_name(self.cleaned_data["name"], self.cleaned_data["area"],
                                 exclude=self.instance if self.instance.pk else None)
            except ValidationError as exc:
                self.add_error(None, exc)

    def save(self, commit=True):
        from . import services

        fields = {name: self.cleaned_data[name] for name in self._meta.fields if name != "contact_phone"}
        if self.instance.pk:
            return services.update_place(self.instance, user=self.user,
                                         contact_phone=self.cleaned_data["contact_phone"], **fields)
        return services.create_place(user=self.user, contact_phone=self.cleaned_data["contact_phone"], **fields)


class RegistrationForm(forms.Form):
    """A unit applies for its place code; the community reviews it."""

    name = forms.CharField(label=_("场所/单位名称"), max_length=100, widget=forms.TextInput(
        attrs={"placeholder": _("如：幸福里小区北门、好又多超市")}))
    kind = forms.ChoiceField(label=_("类型"), choices=[("", _("请选择"))] + list(PlaceKind.choices))
    community = forms.TypedChoiceField(label=_("所在社区/村"), coerce=int, help_text=_("由该社区/村审核"))
    address = forms.CharField(label=_("地址"), max_length=200)
    contact_name = forms.CharField(label=_("联系人"), max_length=50)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, widget=forms.TextInput(
        attrs={"inputmode": "tel", "autocomplete": "tel"}), help_text=_("社区审核时可能电话联系您核实"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from fangkong.territory.models import Area, AreaLevel

        groups = {}
        for community in Area.objects.filter(level=AreaLevel.COMMUNITY).select_related("parent").order_by("path"):
            label = community.parent.name if community.parent else ""
            groups.setdefault(label, []).append((community.pk, community.name))
        self.fields["community"].choices = [("", _("请选择"))] + list(groups.items())

    def clean_contact_phone(self):
        from fangkong.core.identity import normalize_phone

        return normalize_phone(self.cleaned_data["contact_phone"])


class ReasonForm(forms.Form):
    """The reason of a review or a suspension; whether it is required is the service's rule."""

    reason = forms.CharField(label=_("原因"), max_length=200, required=False)

    def __init__(self, *args, label=None, placeholder="", **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label
        self.fields["reason"].widget.attrs["placeholder"] = placeholder


class StaffForm(forms.Form):
    """One person to link to a place: its checkpoint staff (relation "staff"; ManagerForm: its managers),
    chosen among those services.PLACE_MEMBERS lets the acting user link."""

    relation = "staff"
    user = forms.ModelChoiceField(label=_("值守人员"), queryset=None, empty_label=_("请选择"),
                                  error_messages={"required": _("请先选择人员")})

    def __init__(self, *args, place, acting_user, **kwargs):
        super().__init__(*args, **kwargs)
        from .services import PLACE_MEMBERS

        self.fields["user"].queryset = PLACE_MEMBERS[self.relation][0](place, acting_user)


class ManagerForm(StaffForm):
    relation = "managers"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].label = _("企业管理员")


class ShiftForm(StaffForm):
    starts_at = forms.DateTimeField(label=_("开始"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    ends_at = forms.DateTimeField(label=_("结束"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    duty = forms.CharField(label=_("职责"), max_length=50, required=False, widget=forms.TextInput(
        attrs={"placeholder": _("如：测温、扫码核验、登记")}))

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("结束时间必须晚于开始时间"))
        return data


class PlaceImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))
