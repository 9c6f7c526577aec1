"""Reading the 待办 of a home page in tests."""

import re


def todo_items(html) -> dict:
    """{todo key: (text of the item, its link)} as the home page shows them."""
    items = {}
    for key, body in re.findall(r'<li class="[^"]*" data-todo="([a-z_]+)">(.*?)\n  </li>', html, re.S):
        link = re.search(r'class="go" href="([^"]+)"', body).group(1)
        items[key] = (re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip(), link.replace("&amp;", "&"))
    return items
