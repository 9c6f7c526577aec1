from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


class AccountsConfig(AppConfig):
    name = "fangkong.accounts"
    label = "accounts"
    verbose_name = "账号与角色"

    def ready(self):
        from django.contrib.auth.models import Group

        from . import idle, signals  # noqa: F401
        from . import user_cache as cached
        from .models import ApiToken, User
        from .roles import ensure_roles

        post_migrate.connect(ensure_roles, dispatch_uid="fangkong_ensure_roles")
        # What is cached about a user (their API token, where they may record passages) is dropped per user.
        post_save.connect(cached.user_saved, sender=User, dispatch_uid="user_cache_user_save")
        post_delete.connect(cached.user_deleted, sender=User, dispatch_uid="user_cache_user_delete")
        post_save.connect(cached.token_changed, sender=ApiToken, dispatch_uid="user_cache_token_save")
        post_delete.connect(cached.token_changed, sender=ApiToken, dispatch_uid="user_cache_token_delete")
        for through in (User.groups.through, User.user_permissions.through):
            m2m_changed.connect(cached.user_links_changed, sender=through,
                                dispatch_uid=f"user_cache_{through.__name__}")
        m2m_changed.connect(cached.role_permissions_changed, sender=Group.permissions.through,
                            dispatch_uid="user_cache_role_permissions")
