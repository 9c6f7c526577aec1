"""Content-Security-Policy: scripts come only from our own static files, and no page carries a script of its
own (an inline <script> or an onclick="..." attribute would be refused by the browser, so none may exist)."""

import re
from pathlib import Path

import fangkong

TEMPLATES = sorted(Path(fangkong.__file__).parent.rglob("templates/**/*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def test_every_page_allows_scripts_from_this_site_only(users, client_for, district):
    from fangkong.passes.models import Place, PlaceKind, PlaceState

    place = Place.objects.create(area=district.community_a, name="幸福里小区北门", kind=PlaceKind.COMPOUND_GATE,
                                 address="文化路12号", contact_name="张三", state=PlaceState.APPROVED)
    pages = [client_for(users.worker_a).get("/"), client_for(users.admin).get("/api/docs/"),
             client_for(users.worker_a).get("/api/areas/"), client_for(users.worker_a).get(f"/c/{place.code}")]
    for response in pages:
        assert response.status_code == 200
        directives = policy(response)
        assert directives["script-src"] == "script-src 'self'"
        assert directives["object-src"] == "object-src 'none'"
        assert directives["frame-ancestors"] == "frame-ancestors 'none'"
        assert "unsafe-inline" not in directives.get("default-src", "")
        assert not INLINE_SCRIPT.search(response.content.decode())


def test_no_template_carries_an_inline_script_or_an_event_handler_attribute():
    assert len(TEMPLATES) > 100
    offenders = [f"{path.relative_to(Path(fangkong.__file__).parent)}: {match.group(0)}"
                 for path in TEMPLATES for pattern in (INLINE_SCRIPT, EVENT_HANDLER)
                 for match in pattern.finditer(path.read_text())]
    assert offenders == []


def test_the_api_docs_page_loads_its_script_as_a_file(users, client_for):
    client = client_for(users.admin)
    page = client.get("/api/docs/").content.decode()
    script = re.search(r'<script src="([^"]*\?script=)"', page)
    assert script, page
    assert client.get(script.group(1)).status_code == 200
