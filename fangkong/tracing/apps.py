from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "fangkong.tracing"
    label = "tracing"
    verbose_name = "流调溯源"

    def ready(self):
        from fangkong.passes import resident

        from . import report  # noqa: F401  (the risk places' and the trace report's exports register)
        from .services import risk_notes

        # 我的出入记录 marks a passage at a risk place in its window, with what to do.
        if risk_notes not in resident.PASSAGE_NOTES:
            resident.PASSAGE_NOTES.append(risk_notes)
