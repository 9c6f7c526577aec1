from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class PassesConfig(AppConfig):
    name = "fangkong.passes"
    label = "passes"
    verbose_name = "一区一码"

    def ready(self):
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from fangkong.accounts.models import User
        from fangkong.territory.services import register_counter

        from . import exports, importer  # noqa: F401  (register the passage export and the "places" import)
        from .models import DutyShift, Place
        from .services import forget_place, recorders_changed

        post_save.connect(forget_place, sender=Place, dispatch_uid="forget_place_save")
        post_delete.connect(forget_place, sender=Place, dispatch_uid="forget_place_delete")
        # Whatever decides who may record passages where (services.recorder_access, cached).
        for model in (Place, DutyShift, User):
            post_save.connect(recorders_changed, sender=model, dispatch_uid=f"recorders_save_{model.__name__}")
            post_delete.connect(recorders_changed, sender=model, dispatch_uid=f"recorders_delete_{model.__name__}")
        for through in (Place.staff.through, User.groups.through, User.user_permissions.through,
                        Group.permissions.through):
            m2m_changed.connect(recorders_changed, sender=through, dispatch_uid=f"recorders_m2m_{through.__name__}")

        register_counter("places", gettext_lazy("场所"), lambda user: Place.objects.visible_to(user))
