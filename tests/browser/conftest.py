"""Fixtures for the browser tests: real Chromium through Playwright against pytest-django's live server.

Chromium is the Debian package at /usr/bin/chromium (never `playwright install`). Without it the
tests are skipped, unless FANGKONG_REQUIRE_BROWSER=1 (CI), where its absence is a failure.
"""

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# The live server runs in a thread while Playwright's sync API runs an event loop in this one;
# Django refuses ORM calls from a thread with a running loop unless told that this is intended.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"width": 360, "height": 740}
PASSWORD = "Fangkong-browser-2020"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _require_browser() -> bool:
    return os.environ.get("FANGKONG_REQUIRE_BROWSER", "").strip().lower() in ("1", "true", "yes", "on")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (Debian package 'chromium')"
        if _require_browser():
            pytest.fail(f"FANGKONG_REQUIRE_BROWSER=1 but {message}", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Watched:
    """What a page did besides rendering: console errors, uncaught exceptions and every URL requested."""

    console_errors: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    requests: list = field(default_factory=list)

    def foreign_requests(self):
        return [url for url in self.requests
                if urlsplit(url).scheme in ("http", "https", "ws", "wss")
                and urlsplit(url).hostname not in LOCAL_HOSTS]


def _watch(page) -> Watched:
    watched = Watched()
    page.on("console", lambda msg: watched.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: watched.page_errors.append(str(exc)))
    page.on("request", lambda request: watched.requests.append(request.url))
    return watched


@pytest.fixture
def phone(browser):
    """A 360 x 740 touch phone in Chinese; `phone.page` is the page, `phone.watched` what it did."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", device_scale_factor=2)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield _Tab(page, _watch(page))
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield _Tab(page, _watch(page))
    context.close()


@dataclass
class _Tab:
    page: object
    watched: Watched


def login(tab, live_server, username, next_path=""):
    """Log in through the real login form, as a person would."""
    page = tab.page
    page.goto(f"{live_server.url}/login/{'?next=' + next_path if next_path else ''}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert "/login/" not in page.url, f"login of {username} failed: {page.inner_text('main')}"


def no_horizontal_scroll(page, width=PHONE["width"]):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways: {scroll_width}px > {width}px"


@pytest.fixture
def eager_tasks():
    """Imports run as Celery tasks; here they run in the request, whatever broker the environment names."""
    from fangkong.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


# --- data -----------------------------------------------------------------------------------------

def resident_id(birth: datetime.date, sequence: int, region="410999") -> str:
    """A valid GB 11643 resident ID (region 410999 belongs to no county: plainly synthetic)."""
    from fangkong.core.identity import resident_id_check_char

    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


@dataclass
class District:
    district: object
    subdistrict: object
    community_a: object
    community_b: object
    household_a: object
    household_b: object
    person_a: object
    person_b: object
    neighbours: list
    worker_a: object
    worker_b: object
    admin: object


def _person(name, number, community, household, phone=""):
    from fangkong.core.identity import DocumentType, resident_id_facts
    from fangkong.people.models import Person

    born, sex = resident_id_facts(number)
    person = Person(name=name, sex=sex, birth_date=born, area=community, household=household)
    person.set_document(DocumentType.RESIDENT_ID, number)
    person.set_phone(phone)
    person.save()
    return person


def _user(username, full_name, role, area):
    from django.contrib.auth.models import Group

    from fangkong.accounts.models import User
    from fangkong.accounts.roles import ensure_roles

    if not Group.objects.filter(name=role.value).exists():
        ensure_roles()  # transactional tests flush the groups that post_migrate created
    user = User.objects.create_user(username=username, password=PASSWORD, full_name=full_name, area=area)
    user.groups.set([Group.objects.get(name=role.value)])
    return user


@pytest.fixture
def small_district(transactional_db):
    """区 → 街道 → 2 社区, a household in each, persons with valid numbers, and the staff who use them."""
    from fangkong.accounts.roles import Role
    from fangkong.territory.models import Area, AreaLevel, Household

    district = Area.objects.create(name="东湖示范区", code="410999", level=AreaLevel.DISTRICT)
    subdistrict = Area.objects.create(name="东风街道", level=AreaLevel.SUBDISTRICT, parent=district)
    community_a = Area.objects.create(name="幸福里社区", level=AreaLevel.COMMUNITY, parent=subdistrict)
    community_b = Area.objects.create(name="李庄村", level=AreaLevel.COMMUNITY, parent=subdistrict)
    household_a = Household.objects.create(area=community_a, room="101", floor=1, address="幸福里小区1号楼1单元101")
    household_b = Household.objects.create(area=community_b, address="李庄村三组12号")
    person_a = _person("王秀英", resident_id(datetime.date(1956, 3, 12), 428), community_a, household_a,
                       "13903711234")
    person_b = _person("李建国", resident_id(datetime.date(1971, 8, 30), 517), community_b, household_b,
                       "13837155678")
    neighbours = [
        _person("王志强", resident_id(datetime.date(1982, 5, 6), 131), community_a, household_a),
        _person("张子涵", resident_id(datetime.date(2015, 11, 23), 242), community_a, household_a),
    ]
    return District(
        district=district, subdistrict=subdistrict, community_a=community_a, community_b=community_b,
        household_a=household_a, household_b=household_b, person_a=person_a, person_b=person_b,
        neighbours=neighbours,
        worker_a=_user("worker_a", "社区工作人员甲", Role.COMMUNITY_WORKER, community_a),
        worker_b=_user("worker_b", "社区工作人员乙", Role.COMMUNITY_WORKER, community_b),
        admin=_user("district_admin", "区管理员", Role.DISTRICT_ADMIN, district),
    )


def assert_clean(tab, allow_console=()):
    """No console errors or uncaught exceptions, and nothing fetched from outside this machine."""
    watched = tab.watched
    errors = [text for text in watched.console_errors if not any(allowed in text for allowed in allow_console)]
    assert not errors, f"console errors: {errors}"
    assert not watched.page_errors, f"uncaught page errors: {watched.page_errors}"
    assert not watched.foreign_requests(), f"requests left the machine: {watched.foreign_requests()}"
    assert watched.requests, "the page made no requests at all (is the watcher attached?)"
