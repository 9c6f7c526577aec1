from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "fangkong.tracing"
    label = "tracing"
    verbose_name = "流调溯源"

    def ready(self):
        from fangkong.passes import resident
        from fangkong.passes.verdict import ROW_PARTS, read_with_gate_row

        from . import facts, report  # noqa: F401  (the gate fact and the exports register on import)
        from .services import risk_notes

        # The gate's one read also brings the person's latest co-location with a case (facts.EXPOSED_SQL).
        if facts.GATE_ROW not in ROW_PARTS:
            read_with_gate_row(facts.GATE_ROW)
        # 我的出入记录 marks a passage at a risk place in its window, with what to do.
        if risk_notes not in resident.PASSAGE_NOTES:
            resident.PASSAGE_NOTES.append(risk_notes)
