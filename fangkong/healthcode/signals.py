"""A change of facts recomputes the colour: key-person screenings and health declarations as they are saved,
lab results when the testing app says it has saved a batch (testing.services.results_recorded).

Within one transaction the persons are collected and recomputed together once it commits (an import of
1,000 screenings recomputes once, in chunks, not 1,000 times)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

PENDING = "_healthcode_pending"


def _flush():
    connection = transaction.get_connection()
    pending = getattr(connection, PENDING, None)
    if pending:
        ids = sorted(pending)
        pending.clear()
        from .services import recompute

        recompute(ids)


def recompute_later(person_id):
    connection = transaction.get_connection()
    pending = getattr(connection, PENDING, None)
    if pending is None:
        pending = set()
        setattr(connection, PENDING, pending)
    pending.add(person_id)
    # Every registration flushes the whole set; the later ones of a transaction find it empty.
    transaction.on_commit(_flush)


def screening_changed(sender, instance, **kwargs):
    recompute_later(instance.person_id)


def declaration_saved(sender, instance, created, **kwargs):
    if created:
        recompute_later(instance.person_id)


def results_recorded(sender, person_ids, **kwargs):
    # At once, as before the signal: a lab import's caller reads the new colours in the same transaction.
    if person_ids:
        from .services import recompute

        recompute(person_ids)


def rule_saved(sender, **kwargs):
    from .services import rules_changed

    rules_changed()


def policy_saved(sender, **kwargs):
    from .services import policies_changed

    policies_changed()


def connect():
    from fangkong.passes.models import Declaration
    from fangkong.screening.models import Screening
    from fangkong.testing.services import results_recorded as lab_results_recorded

    from .models import PlacePolicy, Rule

    post_save.connect(screening_changed, sender=Screening, dispatch_uid="healthcode.screening_saved")
    post_delete.connect(screening_changed, sender=Screening, dispatch_uid="healthcode.screening_deleted")
    post_save.connect(declaration_saved, sender=Declaration, dispatch_uid="healthcode.declaration_saved")
    lab_results_recorded.connect(results_recorded, dispatch_uid="healthcode.lab_results_recorded")
    post_save.connect(rule_saved, sender=Rule, dispatch_uid="healthcode.rule_saved")
    post_save.connect(policy_saved, sender=PlacePolicy, dispatch_uid="healthcode.policy_saved")
    post_delete.connect(policy_saved, sender=PlacePolicy, dispatch_uid="healthcode.policy_deleted")
