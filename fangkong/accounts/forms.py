"""The account pages' forms: they only shape input; accounts.services decides what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy

from fangkong.territory.models import Area, Grid

from . import services
from .roles import Role

LEVEL_INDENT = {"district": "", "subdistrict": "　", "community": "　　"}


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, area):
        return f"{LEVEL_INDENT.get(area.level, '')}{area.name}"


class GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, grid):
        return f"{grid.area.name} · {grid.name}"


class PlaceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, place):
        return f"{place.area.name} · {place.name}"


# Optional fields here and in the service: the service's Chinese messages say what is missing.
class UserForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("账号"), max_length=150, required=False,
                               widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
                               help_text=gettext_lazy("登录用的账号，字母、数字和 @ . + - _"))
    full_name = forms.CharField(label=gettext_lazy("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    role = forms.ChoiceField(label=gettext_lazy("角色"), required=False)
    area = AreaChoiceField(label=gettext_lazy("所属区域"), queryset=Area.objects.none(), required=False,
                           empty_label=gettext_lazy("请选择"))
    grid = GridChoiceField(label=gettext_lazy("所属网格"), queryset=Grid.objects.none(), required=False,
                           empty_label=gettext_lazy("不属于网格"),
                           help_text=gettext_lazy("网格员必填；其所属区域即网格所在社区"))
    places = PlaceChoiceField(label=gettext_lazy("值守场所"), queryset=None, required=False,
                              widget=forms.SelectMultiple(attrs={"size": 6}),
                              help_text=gettext_lazy("卡点值守人员可选，可多选"))
    password = forms.CharField(
        label=gettext_lazy("初始密码"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("留空则自动生成，只显示一次；至少10位，不能全是数字或太常见"))

    def __init__(self, *args, acting_user, target=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "—")] + [(r.value, r.label) for r in services.grantable_roles(acting_user)]
        self.fields["area"].queryset = Area.objects.visible_to(acting_user)
        self.fields["grid"].queryset = Grid.objects.visible_to(acting_user).select_related("area")
        self.fields["places"].queryset = services.checkpoint_places(acting_user).select_related("area")
        if target is not None:  # editing: the account name and the password have their own actions
            del self.fields["username"], self.fields["password"]
            self.fields["phone"].label = gettext_lazy("手机号（不改请留空）")
            self.fields["phone"].help_text = gettext_lazy("现为 %(phone)s") % {"phone": target.phone_masked or "—"}


class UserFilterForm(forms.Form):
    q = forms.CharField(required=False)
    role = forms.ChoiceField(required=False)
    area = AreaChoiceField(queryset=Area.objects.none(), required=False, empty_label=gettext_lazy("全部区域"))
    state = forms.ChoiceField(required=False, choices=[
        ("", gettext_lazy("全部状态")), ("active", gettext_lazy("在用")), ("inactive", gettext_lazy("已停用")),
        ("locked", gettext_lazy("已锁定"))])

    def __init__(self, *args, acting_user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", gettext_lazy("全部角色"))] + list(Role.choices)
        self.fields["area"].queryset = Area.objects.visible_to(acting_user)
        self.fields["area"].widget.attrs["aria-label"] = gettext_lazy("所属区域")
