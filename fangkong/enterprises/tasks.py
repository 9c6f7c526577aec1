from celery import shared_task


@shared_task
def gate_presence():
    """Scheduled: today's scans at the enterprises' gates become their employees' presence (on-duty tables)."""
    from . import services

    return services.record_gate_presence()
