"""Re-encrypt every stored personal number under the newest key of FANGKONG_FIELD_KEYS and rebuild blind indexes.

Rotation: put a new key first in FANGKONG_FIELD_KEYS (keep the old ones after it), restart, run this
command, then remove the old keys. Lookups match rows under any listed key in the meantime.

Every model field named `*_encrypted` is rotated, so a new app's encrypted column needs nothing here; a model
with blind indexes rebuilds them in its `rebuild_blind_indexes()` (they are keyed too).
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction
from fangkong.core import crypto

BATCH = 2000


def encrypted_fields(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields if field.attname.endswith("_encrypted")]


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field under the newest field key and rebuild blind indexes."

    def handle(self, *args, **options):
        rows = {}
        for model in apps.get_models():
            if fields := encrypted_fields(model):
                rows[model._meta.label] = self.rotate(model, fields)
        audit.record(AuditAction.UPDATE, object_type="core.FieldKeys", object_repr="field key rotation",
                     changes={"rows": rows})
        self.stdout.write(f"完成：{sum(rows.values()):,} 行个人信息已用最新密钥重新加密")

    def rotate(self, model, fields: list[str]) -> int:
        done, last_pk = 0, None
        rebuild = getattr(model, "rebuild_blind_indexes", None)
        while True:
            batch = model._base_manager.order_by("pk")
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            batch = list(batch[:BATCH])
            if not batch:
                return done
            changed = set(fields)
            for row in batch:
                for field in fields:
                    if token := getattr(row, field):
                        setattr(row, field, crypto.reencrypt(token))
                if rebuild:
                    changed.update(row.rebuild_blind_indexes())
            with transaction.atomic():
                model._base_manager.bulk_update(batch, sorted(changed))
            done += len(batch)
            last_pk = batch[-1].pk
            self.stdout.write(f"{model._meta.label}: {done:,}", ending="\r")
