from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Area, AreaLevel, Building, Compound, Grid, Household, Unit


def preselect_only_community(form):
    """A user who can choose only one community (a community worker) finds it already chosen."""
    field = form.fields.get("area")
    if field is not None and not form.initial.get("area") and len(choices := list(field.queryset[:2])) == 1:
        form.initial["area"] = choices[0].pk


class ScopedModelForm(forms.ModelForm):
    """A model form whose choices of related records are limited to what the user may see."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and hasattr(field.queryset, "visible_to"):
                field.queryset = field.queryset.visible_to(user)
        if "area" in self.fields:
            self.fields["area"].queryset = self.fields["area"].queryset.filter(level=AreaLevel.COMMUNITY)
            preselect_only_community(self)


class AreaForm(forms.ModelForm):
    class Meta:
        model = Area
        fields = ["name", "code"]


class GridForm(ScopedModelForm):
    class Meta:
        model = Grid
        fields = ["area", "parent", "level", "name", "leader", "members"]


class CompoundForm(ScopedModelForm):
    class Meta:
        model = Compound
        fields = ["area", "grid", "name", "address"]


class BuildingForm(ScopedModelForm):
    class Meta:
        model = Building
        fields = ["compound", "name", "grid"]


class UnitForm(ScopedModelForm):
    class Meta:
        model = Unit
        fields = ["building", "name"]


class HouseholdForm(ScopedModelForm):
    class Meta:
        model = Household
        fields = ["area", "grid", "unit", "floor", "room", "address"]
        help_texts = {"address": _("例如：幸福里小区1号楼1单元101")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = self.fields["unit"].queryset.select_related("building__compound")


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))
