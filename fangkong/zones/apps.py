from django.apps import AppConfig


class ZonesConfig(AppConfig):
    name = "fangkong.zones"
    label = "zones"
    verbose_name = "风险区域"

    def ready(self):
        from fangkong.healthcode import views_pass
        from fangkong.screening import reports
        from fangkong.testing.services import results_recorded

        from . import verdict  # noqa: F401  (the gate fact and its part of the gate's one read register)
        from .services import on_results, pass_notes, report_figures

        # A positive or a round's results move the unlock timetable of the zones of those persons.
        results_recorded.connect(on_results, dispatch_uid="zones-timetable")
        if pass_notes not in views_pass.PASS_NOTES:
            views_pass.PASS_NOTES.append(pass_notes)
        reports.DAY_FIGURES["supply"] = report_figures
