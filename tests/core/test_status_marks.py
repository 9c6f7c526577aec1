"""One table says how a colour or a verdict is shown (core/status.py): an icon and a word with every colour,
the same on every page, and no template or module that spells one by hand."""

import pathlib
import re

from django.template import Context, Template

from fangkong.core import status
from fangkong.healthcode.models import Colour
from fangkong.passes.models import Verdict
from fangkong.screening.models import GateEffect

ROOT = pathlib.Path(status.__file__).parents[1]


def test_every_colour_verdict_and_gate_effect_has_its_icon_and_words():
    assert {c: status.icon(c) for c in Colour} == {"green": "✓", "yellow": "⚠", "red": "✕"}
    assert {v: status.icon(v) for v in Verdict} == {"allow": "✓", "warn": "⚠", "deny": "✕"}
    assert {e: status.icon(e) for e in GateEffect} == {"none": "✓", "warn": "⚠", "deny": "✕"}
    assert [c.label for c in Colour] == [status.colour_word(c) for c in Colour] == ["绿码", "黄码", "红码"]
    assert all(status.RESIDENT_WORDS[v] and status.GUARD_WORDS[v] for v in Verdict)


def test_templates_read_the_table_through_the_filters():
    html = Template("{% load status_marks %}{{ c|status_icon }} {{ c|colour_word }} · {{ v|status_icon }} "
                    "{{ v|guard_word }} / {{ v|resident_word }}").render(Context({"c": Colour.RED, "v": "warn"}))
    assert html == "✕ 红码 · ⚠ 请核实后放行 / 请出示给工作人员"


# A colour or verdict tested by hand next to an icon or a word: `{% if colour == "red" %}✕`,
# `{% if verdict == "allow" %}{% translate "可以通行" %}`, `Verdict.DENY: ("✕"` or `{"deny": "✕"}`.
BY_HAND = re.compile(r"""(==\s*["'](green|yellow|red|allow|warn|deny|none)["']\s*%\}\s*([✓⚠✕]|\{%\s*translate))"""
                     r"""|((GREEN|YELLOW|RED|ALLOW|WARN|DENY|["'](green|yellow|red|allow|warn|deny)["'])"""
                     r"""\s*:\s*\(?\s*["'][✓⚠✕])""")


def test_no_template_or_module_maps_a_colour_or_verdict_to_an_icon_by_hand():
    found = [f"{path.relative_to(ROOT)}: {match.group(0)}"
             for path in ROOT.rglob("*") if path.suffix in (".html", ".py", ".js") and "locale" not in path.parts
             for match in BY_HAND.finditer(path.read_text(encoding="utf-8"))]
    assert found == []
