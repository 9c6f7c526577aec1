"""Sections that apps above people add to the person's page (their timeline: isolation, later tracing ...).

people sits below them and never imports them: an app registers a function in its AppConfig.ready(),

    sections.register(isolation_section)      # (user, person) -> Section | None

and the person page shows every section a function returns, in the order registered. A function answers
None when the user may not see its records or there are none, and reads a constant number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Section:
    key: str  # the section's element id on the page
    title: str
    template: str  # rendered with `section` (this object) in its context
    context: dict = field(default_factory=dict)


PERSON_SECTIONS: list[Callable] = []


def register(func: Callable) -> Callable:
    if func not in PERSON_SECTIONS:
        PERSON_SECTIONS.append(func)
    return func


def sections_for(user, person) -> list[Section]:
    return [section for func in PERSON_SECTIONS if (section := func(user, person)) is not None]
