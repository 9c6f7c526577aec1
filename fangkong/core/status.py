"""How a health-code colour or a gate verdict is shown: never by colour alone (UX.md: 绿码 通行 ✓ / 黄码 ⚠ /
红码 禁止 ✕), and the same everywhere.

The one table of the icon that goes with each colour, verdict and key-person category's effect on the gate, the
word for each colour, and what the two result screens say under a verdict. Templates read it through the
`status_marks` filters (core/templatetags/status_marks.py), Python reads it here. (No script draws a verdict:
the station's scanner shows the HTML the server renders; a script that needs the table should get it from here
through `json_script`.) Keys are the stored values of healthcode.Colour, passes.Verdict and screening.GateEffect
(core sits below those apps, so it names the values, not the classes).
"""

from django.utils.translation import gettext_lazy as _

OK, WARN, BAD = "✓", "⚠", "✕"

ICONS = {
    "green": OK, "yellow": WARN, "red": BAD,  # health-code colours
    "allow": OK, "warn": WARN, "deny": BAD,  # gate verdicts (and a category's warn / deny effect)
    "none": OK,  # a key-person category that does not affect passage
}

# healthcode.Colour's labels.
COLOUR_WORDS = {"green": _("绿码"), "yellow": _("黄码"), "red": _("红码")}

# Under the verdict on the result screens: the resident is told what to do, the guard whether to let them pass.
RESIDENT_WORDS = {"allow": _("可以通行"), "warn": _("请出示给工作人员"), "deny": _("请联系工作人员")}
GUARD_WORDS = {"allow": _("可以通行"), "warn": _("请核实后放行"), "deny": _("禁止通行")}


def icon(value) -> str:
    return ICONS.get(str(value), "")


def colour_word(colour) -> str:
    """The colour's word (绿码 for a person with no colour yet)."""
    return str(COLOUR_WORDS.get(str(colour), COLOUR_WORDS["green"]))

