from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "fangkong.screening"
    label = "screening"
    verbose_name = "重点人员排查"

    def ready(self):
        from django.db.models.signals import post_delete, post_migrate, post_save
        from django.utils.translation import gettext_lazy

        from fangkong.territory.services import register_counter

        from . import importer, reports  # noqa: F401  (the "assistance" import and the 日报 export register)
        from .defaults import ensure_default_categories
        from .models import Category, DailyReport, FollowUp, Screening
        from .reports import reports_changed
        from .services import forget_gate_effects

        post_migrate.connect(ensure_default_categories, sender=self, dispatch_uid="fangkong_default_categories")
        # The gate reads categories' effects from a cache (healthcode/verdict.py); a change clears it.
        post_save.connect(forget_gate_effects, sender=Category, dispatch_uid="screening_gate_effects_save")
        post_delete.connect(forget_gate_effects, sender=Category, dispatch_uid="screening_gate_effects_delete")
        for model in (Screening, FollowUp, DailyReport, Category):
            post_save.connect(reports_changed, sender=model, dispatch_uid=f"reports_changed_save_{model.__name__}")
            post_delete.connect(reports_changed, sender=model, dispatch_uid=f"reports_changed_delete_{model.__name__}")
        register_counter("key_persons", gettext_lazy("在管重点人员"),
                         lambda user: Screening.objects.visible_to(user).active())
