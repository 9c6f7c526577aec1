"""The default colour rules (fangkong/healthcode/defaults.py)."""

from django.db import migrations

from fangkong.healthcode.defaults import DEFAULTS


def create(apps, schema_editor):
    Rule = apps.get_model("healthcode", "Rule")
    for fact, description, colour, days, active in DEFAULTS:
        Rule.objects.get_or_create(fact=fact, defaults={
            "description": description, "colour": colour, "days": days, "active": active})


class Migration(migrations.Migration):
    dependencies = [("healthcode", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
