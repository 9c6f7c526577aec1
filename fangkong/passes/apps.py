from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class PassesConfig(AppConfig):
    name = "fangkong.passes"
    label = "passes"
    verbose_name = "一区一码"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from fangkong.territory.services import register_counter

        from . import exports, importer  # noqa: F401  (register the passage export and the "places" import)
        from .models import DutyShift, Place
        from .services import forget_place, place_members_changed, shift_changed

        post_save.connect(forget_place, sender=Place, dispatch_uid="forget_place_save")
        post_delete.connect(forget_place, sender=Place, dispatch_uid="forget_place_delete")
        # Who may record passages where (services.recorder_access), cached per user and per place: forget_place
        # and these drop a place's answers; accounts.user_cache drops a user's.
        post_save.connect(shift_changed, sender=DutyShift, dispatch_uid="recorders_save_DutyShift")
        post_delete.connect(shift_changed, sender=DutyShift, dispatch_uid="recorders_delete_DutyShift")
        for through in (Place.staff.through, Place.managers.through):
            m2m_changed.connect(place_members_changed, sender=through, dispatch_uid=f"recorders_m2m_{through.__name__}")

        register_counter("places", gettext_lazy("场所"), lambda user: Place.objects.visible_to(user))
