"""The categories districts screened for in 2020-2022; a district admin adjusts or adds to them."""

from django.db import migrations

from fangkong.screening.defaults import DEFAULTS


def create(apps, schema_editor):
    Category = apps.get_model("screening", "Category")
    for position, (code, name, description, effect, follow_up, days, nat) in enumerate(DEFAULTS, start=1):
        Category.objects.get_or_create(code=code, defaults={
            "name": name, "description": description, "gate_effect": effect, "follow_up": follow_up,
            "follow_up_days": days, "nat_every_days": nat, "position": position * 10})


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
