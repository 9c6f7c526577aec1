from django.apps import AppConfig


class IsolationConfig(AppConfig):
    name = "fangkong.isolation"
    label = "isolation"
    verbose_name = "隔离管控"

    def ready(self):
        from fangkong.healthcode import verdict, views_pass
        from fangkong.people import sections
        from fangkong.screening import reports

        # The export kind, the health-code fact source and the list import register on import.
        from . import exports, facts, importer  # noqa: F401
        from .models import Kind
        from .services import monitoring_links, open_tasks_blocking, person_section, report_figures

        verdict.ISOLATION_LABELS.update(Kind.choices)
        if monitoring_links not in views_pass.MONITORING_LINKS:
            views_pass.MONITORING_LINKS.append(monitoring_links)

        # The community's 日报 counts isolations and waits for the day's monitoring tasks (每天清零).
        reports.DAY_FIGURES["isolation"] = report_figures
        if open_tasks_blocking not in reports.SUBMIT_BLOCKERS:
            reports.SUBMIT_BLOCKERS.append(open_tasks_blocking)

        # The person's page shows their isolation history.
        sections.register(person_section)
