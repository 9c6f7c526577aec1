from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class AccountsConfig(AppConfig):
    name = "fangkong.accounts"
    label = "accounts"
    verbose_name = "账号与角色"

    def ready(self):
        from . import idle, signals  # noqa: F401
        from .auth import tokens_changed
        from .models import ApiToken, User
        from .roles import ensure_roles

        post_migrate.connect(ensure_roles, dispatch_uid="fangkong_ensure_roles")
        for model in (ApiToken, User):
            post_save.connect(tokens_changed, sender=model, dispatch_uid=f"tokens_changed_save_{model.__name__}")
            post_delete.connect(tokens_changed, sender=model, dispatch_uid=f"tokens_changed_delete_{model.__name__}")
