from celery import shared_task


@shared_task
def isolation_rounds():
    """Scheduled (hourly, or at least after 12:00 and 20:00): start the orders whose day has come and open the
    missed-monitoring tasks of the slots that have passed."""
    from . import services

    return services.run_rounds()
