"""Status pages half empty, so that recomputing a district's colours updates rows in place (HOT:
no new index entries). A result import rewrites every row in one transaction, so each page needs room for a
second version of all its rows; bench/testing.py: 4x faster upsert. New pages follow it; old ones as rows move."""

from django.db import migrations


def set_fillfactor(apps, schema_editor, percent=50):
    schema_editor.execute(f"ALTER TABLE healthcode_healthstatus SET (fillfactor = {int(percent)})")


def reset_fillfactor(apps, schema_editor):
    set_fillfactor(apps, schema_editor, percent=100)


class Migration(migrations.Migration):
    dependencies = [("healthcode", "0003_status_key_persons")]
    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
