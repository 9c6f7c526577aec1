from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "fangkong.territory"
    label = "territory"
    verbose_name = "辖区"
