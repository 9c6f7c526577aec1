from celery import shared_task


@shared_task
def refresh_zones():
    """Scheduled (every 30 minutes): households added to a zone's buildings since it was drawn join it, and the
    unlock timetable counts the days that have passed (its 还差 N 天)."""
    from . import services

    return services.refresh_all()
