"""Expire overrides and recompute colours that change with time alone. Run hourly (cron or Celery beat)."""

from django.core.management.base import BaseCommand

from fangkong.healthcode import services


class Command(BaseCommand):
    help = "Mark expired health-code overrides and recompute every colour that is not green."

    def handle(self, *args, **options):
        expired, recomputed = services.refresh()
        self.stdout.write(f"人工赋码到期 {expired} 条，重新计算健康码 {recomputed} 人")
