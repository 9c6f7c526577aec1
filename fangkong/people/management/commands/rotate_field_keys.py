"""Re-encrypt personal numbers under the newest key of FANGKONG_FIELD_KEYS and rebuild blind indexes.

Rotation: put a new key first in FANGKONG_FIELD_KEYS (keep the old ones after it), restart, run this
command, then remove the old keys. Lookups match rows under any listed key in the meantime.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from fangkong.accounts.models import User
from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction
from fangkong.people.models import Person

BATCH = 2000


class Command(BaseCommand):
    help = "Re-encrypt identity and phone numbers under the newest field key and rebuild blind indexes."

    def handle(self, *args, **options):
        done = 0
        last_pk = 0
        while True:
            batch = list(Person.objects.filter(pk__gt=last_pk).order_by("pk")[:BATCH])
            if not batch:
                break
            for person in batch:
                person.set_document(person.id_type, person.id_number)
                person.set_phone(person.phone)
            with transaction.atomic():
                Person.objects.bulk_update(batch, [
                    "id_number_encrypted", "id_index", "id_tail4_index", "id_tail6_index",
                    "phone_encrypted", "phone_index", "phone_tail4_index"])
            done += len(batch)
            last_pk = batch[-1].pk
            self.stdout.write(f"{done:,} 人已处理", ending="\r")
        staff = list(User.objects.exclude(phone_encrypted=""))
        for user in staff:  # staff phones: a district's few thousand accounts at most, one batch
            user.set_phone(user.phone)
        with transaction.atomic():
            User.objects.bulk_update(staff, ["phone_encrypted", "phone_index", "phone_tail4_index"], batch_size=BATCH)
        audit.record(AuditAction.UPDATE, object_type="people.Person", object_repr="field key rotation",
                     changes={"rows": done, "staff_phones": len(staff)})
        self.stdout.write(f"完成：{done:,} 人的证件号码和手机号已用最新密钥重新加密")
