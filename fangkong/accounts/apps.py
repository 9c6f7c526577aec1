from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "fangkong.accounts"
    label = "accounts"
    verbose_name = "账号与角色"

    def ready(self):
        from . import signals  # noqa: F401
        from .roles import ensure_roles

        post_migrate.connect(ensure_roles, dispatch_uid="fangkong_ensure_roles")
