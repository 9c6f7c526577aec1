"""待办: what waits for a user on their home page. Each app offers a `todos(user)` function in its services
that returns the items of its own domain the user may act on, each a few counted queries at most."""

from dataclasses import dataclass, field


@dataclass
class Todo:
    key: str  # what kind of item (the template and the tests tell them apart by it)
    text: str  # one short sentence, count included: "3 个场所等待审核"
    url: str  # the filtered list where the user does it
    count: int | None = None  # None for an item that is a statement, not a number of things
    rows: list = field(default_factory=list)  # the first few things themselves, where the home page acts on them
    urgent: bool = False  # shown first and marked (a reminder from above)
