from celery import shared_task


@shared_task
def recompute_rule(fact_kind: str):
    """After a rule change: recompute everyone the rule may concern, in chunks."""
    from . import services

    services.recompute(services.persons_with_fact(fact_kind))


@shared_task
def refresh_health_codes():
    """Scheduled (hourly): expire overrides and let time-limited facts age out."""
    from . import services

    services.refresh()
