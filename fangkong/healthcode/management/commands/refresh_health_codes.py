"""Expire overrides and recompute colours that change with time alone. Run hourly (cron or Celery beat)."""

from django.core.management.base import BaseCommand

from fangkong.healthcode import services


class Command(BaseCommand):
    help = "Mark expired health-code overrides and recompute every colour that is not green."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true",
                            help="recompute every person (after an upgrade or a change of fact sources)")

    def handle(self, *args, all=False, **options):
        if all:
            from fangkong.people.models import Person

            recomputed = services.recompute(Person.objects.values_list("pk", flat=True))
            self.stdout.write(f"重新计算健康码 {recomputed} 人")
            return
        expired, recomputed = services.refresh()
        self.stdout.write(f"人工赋码到期 {expired} 条，重新计算健康码 {recomputed} 人")
