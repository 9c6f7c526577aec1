"""The default reopening checklist (六个一, 七抓七到位); a district admin edits it afterwards."""

from django.db import migrations

from fangkong.enterprises.defaults import CHECKLIST


def create(apps, schema_editor):
    ChecklistItem = apps.get_model("enterprises", "ChecklistItem")
    if ChecklistItem.objects.exists():
        return
    for position, (group, text, attachment) in enumerate(CHECKLIST, start=1):
        ChecklistItem.objects.create(group=group, text=text, needs_attachment=attachment, position=position * 10)


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_enterprises_registry_roster_reopening")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
