from django.apps import AppConfig


class DistrictConfig(AppConfig):
    """The top layer: what spans every app — the staff home page, the audit log's pages, the demo district
    and the retention purge. It may import every app; no app imports it (docs/architecture.md)."""

    name = "fangkong.district"
    label = "district"
    verbose_name = "辖区"
