"""Start due isolation orders and open missed-monitoring tasks. Run hourly (cron or Celery beat)."""

from django.core.management.base import BaseCommand

from fangkong.isolation import services


class Command(BaseCommand):
    help = "Start the isolation orders whose start day has come and open the tasks of missed temperature slots."

    def handle(self, *args, **options):
        started, tasks = services.run_rounds()
        self.stdout.write(f"开始隔离 {started} 人，新增未测温待办 {tasks} 条")
