from django.apps import AppConfig
from django.utils.translation import gettext_lazy, ngettext_lazy


class CoreConfig(AppConfig):
    name = "fangkong.core"
    label = "core"
    verbose_name = "基础"

    def ready(self):
        from django.contrib import admin
        from django.core import validators

        from . import checks, sms  # noqa: F401  (they register their system checks)

        # Django's zh-hans catalogue says "确保该变量包含不超过 50 字符": people read it next to a field,
        # so the field's limit is said plainly, in the project's words (and catalogue, for English).
        validators.MaxLengthValidator.message = ngettext_lazy(
            "不能超过%(limit_value)d个字（现在%(show_value)d个）",
            "不能超过%(limit_value)d个字（现在%(show_value)d个）", "limit_value")
        validators.MinLengthValidator.message = ngettext_lazy(
            "至少%(limit_value)d个字（现在%(show_value)d个）",
            "至少%(limit_value)d个字（现在%(show_value)d个）", "limit_value")
        admin.site.site_header = gettext_lazy("防控 管理后台")
        admin.site.site_title = gettext_lazy("防控 管理后台")
        admin.site.index_title = gettext_lazy("数据管理")
