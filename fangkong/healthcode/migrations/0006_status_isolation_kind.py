"""The isolation kind on the status row, and the default rules for the isolation facts."""

from django.db import migrations, models

from fangkong.healthcode.defaults import DEFAULTS


def add_isolation_rules(apps, schema_editor):
    Rule = apps.get_model("healthcode", "Rule")
    if not Rule.objects.exists():
        return  # a new database: ensure_default_rules writes them all after migrate
    for fact, description, colour, days, active in DEFAULTS:
        if fact.startswith("isolation:"):
            Rule.objects.get_or_create(fact=fact, defaults={
                "description": description, "colour": colour, "days": days, "active": active})


class Migration(migrations.Migration):

    dependencies = [
        ('healthcode', '0005_card_number'),
    ]

    operations = [
        migrations.AddField(
            model_name='healthstatus',
            name='isolation',
            field=models.CharField(blank=True, default='', max_length=20, verbose_name='隔离管控'),
        ),
        migrations.RunPython(add_isolation_rules, migrations.RunPython.noop),
    ]
