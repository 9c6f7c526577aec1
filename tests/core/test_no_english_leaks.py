"""Every word a person sees in the Chinese UI is Chinese: each default role (and a resident) walks the pages
of every app over the demo district, one level of links deep, and no Latin word outside a short allow-list
(names of formats and products, units, data such as usernames) may show in the text or in attributes people
read (placeholder, title, aria-label, alt)."""

import re
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from fangkong.accounts.models import User
from fangkong.passes.models import Place, PlaceState
from fangkong.screening.models import Category

ALLOWED = {
    "excel", "pdf", "api", "qr", "id", "xlsx", "csv", "km", "kb", "fangkong", "english", "totp", "openapi", "json",
    "wechat", "sms", "https", "http", "www", "ok",
    "fangkong_public_url",  # the setting the poster warning asks officers to pass on to the system administrator
}
# Pages that are not pages: downloads, the API, actions, Django's admin (its own translations) and the language switch.
SKIP = re.compile(r"^/(api/|admin/|i18n/|logout/|static/|media/)|\.(xlsx|pdf|png|csv|json|js)$|/download/|/template/")
ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
URL = re.compile(r"https?://\S+|/c/\S+")
# A word of two letters or more; letters joined to digits (豫A12345, a verification code 57FBF6) are codes, not words.
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z_:.\-]*[A-Za-z](?![A-Za-z0-9])")


class _Text(HTMLParser):
    """The text a person reads: data outside <script>/<style>, and the attributes that are shown."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden, self.links = [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.hidden += 1
        for name, value in attrs:
            if name in ATTRIBUTES and value:
                self.parts.append(value)
            if tag == "a" and name == "href" and value and value.startswith("/"):
                self.links.append(value.split("#")[0])
            if tag == "input" and name == "value" and value and ("type", "submit") in attrs:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self.hidden = max(self.hidden - 1, 0)

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def _parameterless_paths(resolver=None, prefix="") -> list[str]:
    paths = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = str(pattern.pattern)
        if "<" in route or "(?P" in route or route.startswith("^"):
            continue
        if isinstance(pattern, URLResolver):
            paths += _parameterless_paths(pattern, prefix + route)
        elif isinstance(pattern, URLPattern):
            paths.append("/" + prefix + route)
    return sorted({path for path in paths if not SKIP.search(path)})


def _leaks(client, path, data_words) -> tuple[list[str], list[str]]:
    response = client.get(path)
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return [], []
    parser = _Text()
    parser.feed(response.content.decode())
    text = URL.sub(" ", " ".join(parser.parts))  # an address shown to copy (the registration link) is no word
    words = set(LATIN_WORD.findall(text))
    leaks = [(word, " ".join(text[max(text.index(word) - 30, 0):text.index(word) + 30].split()))
             for word in sorted(words) if word.lower() not in ALLOWED and word not in data_words]
    return leaks, parser.links


@pytest.fixture
def demo(db):
    call_command("demo_district", "--size", "small", stdout=StringIO())


def test_no_english_or_internal_codes_show_on_the_chinese_pages(demo, settings):
    settings.FANGKONG_REQUIRE_ADMIN_OTP = False
    users = list(User.objects.filter(groups__isnull=False).order_by("username"))
    assert len(users) >= 9
    # Data people typed may be Latin (usernames, plates, foreign names): it is not the UI's English.
    # Category codes are what an admin typed and what import files may use; place codes are in the poster's URL.
    data = [*User.objects.values_list("username", flat=True), *Category.objects.values_list("code", flat=True),
            *Place.objects.values_list("code", flat=True)]
    data_words = {word for text in data for word in LATIN_WORD.findall(text)}
    found = {}
    paths = _parameterless_paths()
    for user in users:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        seen_views, links = set(), []
        for path in paths:
            leaks, page_links = _leaks(client, path, data_words)
            for word, context in leaks:
                found.setdefault(word, f"{user.username} {path}: …{context}…")
            links += page_links
        # One level deeper: the first link to each detail page (person, household, place, audit event, ...).
        for link in links:
            try:
                match = resolve(link.split("?")[0])
            except Resolver404:
                continue
            if SKIP.search(link.split("?")[0]) or not match.kwargs or match.view_name in seen_views:
                continue
            seen_views.add(match.view_name)
            leaks, _links = _leaks(client, link, data_words)
            for word, context in leaks:
                found.setdefault(word, f"{user.username} {link}: …{context}…")
    resident = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    place = Place.objects.filter(state=PlaceState.APPROVED).first()
    for path in (f"/c/{place.code}", "/login/", "/register/"):
        for word, context in _leaks(resident, path, data_words)[0]:
            found.setdefault(word, f"resident {path}: …{context}…")
    assert not found, "English or internal codes on Chinese pages:\n" + "\n".join(
        f"  {word!r} on {where}" for word, where in sorted(found.items()))


def test_the_admin_is_titled_in_chinese(db):
    admin = User.objects.create_superuser("root_admin", password="x-Not-used-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin)
    page = client.get("/admin/").content.decode()
    assert "防控 管理后台" in page and "Django" not in page


def test_a_too_long_value_is_explained_in_plain_chinese():
    from django import forms
    from django.utils import translation

    class Form(forms.Form):
        address = forms.CharField(label="住址", max_length=5)

    with translation.override("zh-hans"):
        form = Form({"address": "幸福里小区1号楼"})
        assert form.errors["address"] == ["不能超过5个字（现在8个）"]
