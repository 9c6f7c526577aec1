"""Shared fixtures: a small district built with the real models, and one user per role.

    测试区 (district)
    ├── 东风街道 (subdistrict)
    │   ├── 幸福里社区 (community A)
    │   │     grids: 幸福里网格 (1) → 第一网格 (2) → 第一网格一组 (3);  幸福里网格 (1) → 第二网格 (2)
    │   │     幸福里小区 · 1号楼 (第一网格) · 1单元 · 101 (一组) and 102 (第一网格)
    │   │     幸福里小区 · 2号楼 (第二网格) · 1单元 · 101 (第二网格)
    │   └── 新华社区 (community C): one household
    └── 文化路街道 (second subdistrict)
        └── 李庄村 (community B, a village): grid 李庄一组, household 李庄村一组12号

Persons: 王秀英 and 王志强 in A's 1号楼 (the grid worker's grid), 张子涵 in A's 2号楼 (another grid),
李建国 in B, 赵丽 in C. Users: `users.admin` (district admin), `users.officer` (东风街道), `users.worker_a`
and `users.worker_b` (community workers of A and B), `users.grid_worker` (A, 第一网格), `users.leader`
(district, read-only). Everyone's password is PASSWORD. `client_for(user)` gives a logged-in client.
"""

import contextlib
import datetime
import io
import itertools
import json
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

PASSWORD = "Fangkong-test-2020"
# A real county code (郑州市金水区), so the numbers look like the ones staff type.
REGION = "410105"

_sequences = itertools.count(100)


def resident_id(born="1985-06-12", sequence=None, region=REGION) -> str:
    """A valid 18-character GB 11643 resident ID; a fresh sequence number unless one is given."""
    from fangkong.core.identity import resident_id_check_char

    if isinstance(born, str):
        born = datetime.date.fromisoformat(born)
    sequence = next(_sequences) % 1000 if sequence is None else sequence
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


@contextlib.contextmanager
def database_down():
    """PostgreSQL does not answer: every new connection (the live server opens one per request) is refused,
    as during a restart, until the block ends. A real refusal by the network stack, not a mock."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    saved = connection.settings_dict["PORT"], connection.settings_dict["HOST"]
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(port))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"], connection.settings_dict["HOST"] = saved


@pytest.fixture(autouse=True)
def _quick_and_isolated(settings, tmp_path):
    """A cheap password hasher first (Argon2 stays listed and has its own test), files under
    tmp_path, and an empty cache so that throttles and cached lookups do not leak between tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    settings.MEDIA_ROOT = tmp_path / "media"
    # WhiteNoise serves through the finders; an existing STATIC_ROOT only keeps it from warning.
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    cache.clear()
    yield
    cache.clear()


class AuditNet:
    """Every Audited record written while a page or API request is served, checked when the request ends
    against the audit log: each must have the row its service wrote (create, update or delete)."""

    def __init__(self):
        self.written, self.unaudited = [], []

    def saved(self, sender, instance, created=False, raw=False, **kwargs):
        if self._watched(instance, raw) and (created or instance.field_changes(created=False)):
            # (a save that changed nothing needs no row)
            self.written.append((type(instance), instance.pk, "create" if created else "update"))

    def deleted(self, sender, instance, **kwargs):
        if self._watched(instance):
            self.written.append((type(instance), instance.pk, "delete"))

    @staticmethod
    def _watched(instance, raw=False):
        from fangkong.audit.context import current_request
        from fangkong.audit.models import Audited

        # Not a domain record, or written outside a request (fixtures, the demo): not watched.
        return not raw and isinstance(instance, Audited) and current_request().ip != ""

    def check(self, **kwargs):
        from fangkong.audit.models import AuditEvent

        for model, pk, action in self.written:
            if model.objects.filter(pk=pk).exists() == (action == "delete"):
                continue  # the change was rolled back (a refusal), and its row with it
            label = model._meta.label
            if not AuditEvent.objects.filter(object_type=label, object_id=str(pk), action=action).exists():
                self.unaudited.append(f"{action} {label} #{pk}")
        self.written = []


@pytest.fixture(autouse=True)
def _every_change_made_through_a_page_is_audited():
    """The audit log's safety net is this test: no signal writes rows, each service writes its own (with the
    acting user, in its transaction), and any page or API request of any test that changes an Audited
    record without its service's row fails the test."""
    from django.core.signals import request_finished
    from django.db.models.signals import post_delete, post_save

    net = AuditNet()
    post_save.connect(net.saved, weak=False, dispatch_uid="audit-net-save")
    post_delete.connect(net.deleted, weak=False, dispatch_uid="audit-net-delete")
    request_finished.connect(net.check, weak=False, dispatch_uid="audit-net-check")
    yield net
    post_save.disconnect(dispatch_uid="audit-net-save")
    post_delete.disconnect(dispatch_uid="audit-net-delete")
    request_finished.disconnect(dispatch_uid="audit-net-check")
    assert not net.unaudited, f"changed through a page without an audit row: {net.unaudited}"


@pytest.fixture
def password():
    """The password of every user of the `users` fixture, for tests that log in through the form."""
    return PASSWORD


@pytest.fixture
def new_resident_id():
    """`new_resident_id(born="1990-01-31")`: a valid resident ID not used before in this run."""
    return resident_id


@dataclass
class District:
    district: object
    subdistrict: object
    subdistrict2: object
    community_a: object
    community_b: object
    community_c: object
    grid_a_top: object
    grid_a1: object
    grid_a1_group: object
    grid_a2: object
    grid_b: object
    compound_a: object
    building_a1: object
    building_a2: object
    unit_a1: object
    unit_a2: object
    household_a101: object
    household_a102: object
    household_a2_101: object
    household_b: object
    household_c: object
    person_a: object
    person_a_neighbour: object
    person_a_other_grid: object
    person_b: object
    person_c: object
    numbers: dict

    @property
    def persons_a(self):
        return [self.person_a, self.person_a_neighbour, self.person_a_other_grid]


def _person(name, number, area, household=None, phone=""):
    from fangkong.core.identity import DocumentType, resident_id_facts
    from fangkong.people.models import Person

    born, sex = resident_id_facts(number)
    person = Person(name=name, sex=sex, birth_date=born, area=area, household=household)
    person.set_document(DocumentType.RESIDENT_ID, number)
    person.set_phone(phone)
    person.save()
    return person


@pytest.fixture
def district(db):
    from fangkong.territory.models import Area, AreaLevel, Building, Compound, Grid, Household, Unit

    top = Area.objects.create(name="测试区", code="410105", level=AreaLevel.DISTRICT)
    sub = Area.objects.create(name="东风街道", code="410105001", level=AreaLevel.SUBDISTRICT, parent=top)
    sub2 = Area.objects.create(name="文化路街道", code="410105002", level=AreaLevel.SUBDISTRICT, parent=top)
    a = Area.objects.create(name="幸福里社区", code="410105001001", level=AreaLevel.COMMUNITY, parent=sub)
    c = Area.objects.create(name="新华社区", code="410105001002", level=AreaLevel.COMMUNITY, parent=sub)
    b = Area.objects.create(name="李庄村", code="410105002001", level=AreaLevel.COMMUNITY, parent=sub2)

    grid_top = Grid.objects.create(area=a, name="幸福里网格", level=1)
    grid_a1 = Grid.objects.create(area=a, name="第一网格", level=2, parent=grid_top)
    grid_a1_group = Grid.objects.create(area=a, name="第一网格一组", level=3, parent=grid_a1)
    grid_a2 = Grid.objects.create(area=a, name="第二网格", level=2, parent=grid_top)
    grid_b = Grid.objects.create(area=b, name="李庄一组", level=1)

    compound = Compound.objects.create(area=a, grid=grid_a1, name="幸福里小区", address="文化路12号")
    building1 = Building.objects.create(compound=compound, name="1号楼", grid=grid_a1)
    building2 = Building.objects.create(compound=compound, name="2号楼", grid=grid_a2)
    unit1 = Unit.objects.create(building=building1, name="1单元")
    unit2 = Unit.objects.create(building=building2, name="1单元")
    h101 = Household.objects.create(area=a, grid=grid_a1_group, unit=unit1, floor=1, room="101",
                                    address="幸福里小区1号楼1单元101")
    h102 = Household.objects.create(area=a, grid=grid_a1, unit=unit1, floor=1, room="102",
                                    address="幸福里小区1号楼1单元102")
    h2_101 = Household.objects.create(area=a, grid=grid_a2, unit=unit2, floor=1, room="101",
                                      address="幸福里小区2号楼1单元101")
    hb = Household.objects.create(area=b, grid=grid_b, address="李庄村一组12号")
    hc = Household.objects.create(area=c, address="新华路8号院3号")

    numbers = {
        "a": resident_id("1956-03-12", 428), "a_neighbour": resident_id("1982-05-06", 131),
        "a_other_grid": resident_id("2015-11-23", 242), "b": resident_id("1971-08-30", 517),
        "c": resident_id("1990-01-31", 624),
        "phone_a": "13903711234", "phone_b": "13837155678", "phone_c": "15903719876",
    }
    return District(
        district=top, subdistrict=sub, subdistrict2=sub2, community_a=a, community_b=b, community_c=c,
        grid_a_top=grid_top, grid_a1=grid_a1, grid_a1_group=grid_a1_group, grid_a2=grid_a2, grid_b=grid_b,
        compound_a=compound, building_a1=building1, building_a2=building2, unit_a1=unit1, unit_a2=unit2,
        household_a101=h101, household_a102=h102, household_a2_101=h2_101, household_b=hb, household_c=hc,
        person_a=_person("王秀英", numbers["a"], a, h101, numbers["phone_a"]),
        person_a_neighbour=_person("王志强", numbers["a_neighbour"], a, h102),
        person_a_other_grid=_person("张子涵", numbers["a_other_grid"], a, h2_101),
        person_b=_person("李建国", numbers["b"], b, hb, numbers["phone_b"]),
        person_c=_person("赵丽", numbers["c"], c, hc, numbers["phone_c"]),
        numbers=numbers,
    )


def role_group(role):
    """The group of a role. post_migrate creates them; a transactional test's flush runs it again."""
    from django.contrib.auth.models import Group

    from fangkong.accounts.roles import ensure_roles

    group = Group.objects.filter(name=role.value).first()
    if group is None:
        ensure_roles()
        group = Group.objects.get(name=role.value)
    return group


def make_user(username, role, area, grid=None, full_name=""):
    from fangkong.accounts.models import User

    user = User.objects.create_user(username=username, password=PASSWORD, full_name=full_name or username,
                                    area=area, grid=grid)
    if role is not None:
        user.groups.set([role_group(role)])
    return user


@dataclass
class Users:
    admin: object
    officer: object
    worker_a: object
    worker_b: object
    grid_worker: object
    leader: object


@pytest.fixture
def users(district):
    from fangkong.accounts.roles import Role

    grid_worker = make_user("grid_worker", Role.GRID_WORKER, district.community_a, district.grid_a1, "网格员")
    district.grid_a1.members.add(grid_worker)
    return Users(
        admin=make_user("district_admin", Role.DISTRICT_ADMIN, district.district, full_name="区管理员"),
        officer=make_user("subdistrict_officer", Role.SUBDISTRICT_OFFICER, district.subdistrict, full_name="街道干部"),
        worker_a=make_user("worker_a", Role.COMMUNITY_WORKER, district.community_a, full_name="社区工作人员甲"),
        worker_b=make_user("worker_b", Role.COMMUNITY_WORKER, district.community_b, full_name="社区工作人员乙"),
        grid_worker=grid_worker,
        leader=make_user("leader", Role.LEADER, district.district, full_name="区领导"),
    )


@pytest.fixture
def client_for(db):
    """`client_for(user)`: a test client logged in as `user` (no password round trip)."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


def declare(person, at=None, **answers):
    """A health declaration as a resident's phone sends it: every answer "no" unless given."""
    from django.utils import timezone

    from fangkong.passes.models import Declaration

    fields = {"visited_risk_area": False, "has_symptoms": False, "had_contact": False, **answers}
    return Declaration.objects.create(person=person, consent_version="test", at=at or timezone.now(), **fields)


@pytest.fixture
def gate(district, request):
    """幸福里小区北门: an approved compound gate of community A that records exits and takes temperatures.

    A module or test marked `without_thermometer` gets it without the thermometer, so that a verdict
    there depends on the person's health facts alone (no "未测体温" warning).
    """
    from tests.passes.office_helpers import make_place

    measures = request.node.get_closest_marker("without_thermometer") is None
    return make_place(district.community_a, "幸福里小区北门", measures_temperature=measures)


@pytest.fixture
def guard(district, gate):
    """guard_a (卡点值守甲), checkpoint staff of community A posted at the gate."""
    from fangkong.accounts.roles import Role

    user = make_user("guard_a", Role.CHECKPOINT_STAFF, district.community_a, full_name="卡点值守甲")
    gate.staff.add(user)
    return user


def numbered_name(prefix: str, n: int) -> str:
    """The n-th of many test persons' names; names hold no digits, so 居民一, 居民丁, 居民丂, …"""
    return prefix + chr(0x4E00 + n)


def stored_before_names_were_checked(name, area):
    """A person whose name no entry point accepts any more (markup, a formula), as older rows may hold."""
    return _person(name, resident_id(), area)


@pytest.fixture
def make_person(users):
    """`make_person(name, area, household=None, number=None, phone="", by=None)` through the service."""
    from fangkong.people import services

    def make(name, area, household=None, number=None, phone="", by=None):
        return services.create_person({
            "name": name, "id_type": "resident_id", "id_number": number or resident_id(), "phone": phone,
            "area": area, "household": household,
        }, user=by or users.admin)

    return make


def xlsx_bytes(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_rows(content: bytes) -> list[list]:
    """Every row of the first sheet of an xlsx, read back with openpyxl; no cell of any export is a formula."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    formulas = [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert not formulas, f"cells written as formulas: {formulas}"
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def xlsx():
    """`xlsx.upload(rows, name)` an uploadable workbook, `xlsx.rows(content)` a workbook read back."""

    class Xlsx:
        @staticmethod
        def build(rows) -> bytes:
            return xlsx_bytes(rows)

        @staticmethod
        def upload(rows, name="辖区.xlsx"):
            return SimpleUploadedFile(name, xlsx_bytes(rows),
                                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

        @staticmethod
        def rows(content):
            return xlsx_rows(content)

    return Xlsx


def _as_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None or isinstance(value, (int, float)) else str(value)


def _every_text_value():
    """(table, text) for every non-numeric value of every row of every table, read raw with SQL."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    text = _as_text(value)
                    if text:
                        yield table, text


@pytest.fixture
def leaks(db):
    """`leaks({label: secret})`: [(table, label, text)] wherever a secret is stored in clear in any table.

    A label starting with "tail6:" marks the last six digits of a number: they count only standing
    alone, not inside a longer number, a hex key or a token, nor as the microseconds of a timestamp
    (six digits turn up by chance in thousands of random uuid4 hex strings).
    """

    def scan(secrets: dict) -> list:
        labels, parts = {}, []
        for label, secret in secrets.items():
            labels[secret] = label
            standalone = rf"(?<![0-9A-Za-z.]){re.escape(secret)}(?![0-9A-Za-z])"
            parts.append(standalone if label.startswith("tail6:") else re.escape(secret))
        pattern = re.compile("|".join(sorted(parts, key=len, reverse=True)))
        return [(table, labels[match.group()], text[:200])
                for table, text in _every_text_value() for match in pattern.finditer(text)]

    return scan


def export_through_page(client, url, params=None, *, method="post") -> bytes:
    """Start an export on its page as `client`'s user, run the job, and return the file it offers.

    The page queues a job and redirects to its status page; the job runs after the request's transaction
    commits, which a test's transaction never does, so it is run here as the worker would.
    """
    from fangkong.core.models import ExportJob, ExportStatus
    from fangkong.core.tasks import run_export

    response = getattr(client, method)(url, params or {})
    assert response.status_code == 302, response.content[:500]
    job = ExportJob.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))
    assert response["Location"] == f"/exports/{job.pk}/"
    run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.error
    page = client.get(f"/exports/{job.pk}/")
    assert page.status_code == 200 and f"导出{job.kind_label}" in page.content.decode()
    download = client.get(f"/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert download["Content-Disposition"].startswith("attachment;")
    return b"".join(download.streaming_content)


def export_persons(client, **params) -> bytes:
    """Export the person list through the page as `client`'s user and return the xlsx file."""
    return export_through_page(client, "/people/export/", params)


WORKER_BROKER = os.getenv("FANGKONG_TEST_BROKER_URL", "")


@pytest.fixture
def celery_worker(transactional_db, tmp_path, settings):
    """A real Celery worker process on the broker CI provides, sharing this test's PostgreSQL database.

    Yields `run(task, job_id, job)`: sends the task through the broker and waits until `job` has
    finished (or the worker died), returning the worker's output for assertion messages.
    """
    if not WORKER_BROKER:
        pytest.skip("FANGKONG_TEST_BROKER_URL is not set (CI sets it)")
    import subprocess
    import sys
    import time

    from celery.result import EagerResult

    from fangkong.celery import app as celery_app

    settings.MEDIA_ROOT = tmp_path
    # The URL settings.py read or made (the private server's has its socket in the query), on the test database.
    database_url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}").geturl()
    env = {**os.environ, "CELERY_BROKER_URL": WORKER_BROKER, "FANGKONG_MEDIA_ROOT": str(tmp_path),
           "DATABASE_URL": database_url}
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "fangkong", "worker", "--pool=solo", "--concurrency=1",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=settings.BASE_DIR, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)

    def use_broker(url, eager):
        # Eager tasks earlier in the run built a producer pool for the default broker: drop it.
        celery_app.conf.update(broker_url=url or None, task_always_eager=eager)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    def run(task, job_id, job, timeout=180):
        result = task.delay(job_id)
        assert not isinstance(result, EagerResult), "the task ran in the test process, not in the worker"
        deadline = time.monotonic() + timeout  # a safety stop, not a speed check
        while time.monotonic() < deadline and worker.poll() is None:
            job.refresh_from_db()
            if job.finished:
                break
            time.sleep(0.3)
        return log.read_text(errors="replace")[-2000:]

    use_broker(WORKER_BROKER, eager=False)
    try:
        yield run
    finally:
        use_broker(settings.CELERY_BROKER_URL, eager=True)
        worker.terminate()
        worker.wait(timeout=30)
