"""Pass cards get a 12-digit number for typing at the station (passcode.card_number); the table holds only a
keyed digest of it. Existing cards get theirs from their id, so cards already printed keep working and a
reprint shows the number."""

from django.db import migrations, models


def fill_digests(apps, schema_editor):
    from fangkong.healthcode.passcode import number_digest, number_for_card_id

    PassCard = apps.get_model("healthcode", "PassCard")
    for card in PassCard.objects.filter(number_digest__isnull=True).only("pk", "code").iterator(chunk_size=2000):
        PassCard.objects.filter(pk=card.pk).update(number_digest=number_digest(number_for_card_id(card.code)))


class Migration(migrations.Migration):
    dependencies = [("healthcode", "0004_status_fillfactor")]
    operations = [
        migrations.AddField(
            model_name="passcard", name="number_digest",
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name="卡号摘要"),
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="passcard", name="number_digest",
            field=models.CharField(editable=False, max_length=64, unique=True, verbose_name="卡号摘要"),
        ),
    ]
