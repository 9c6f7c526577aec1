"""Helpers for the station, back office, API and export tests: places, staff and passages.

Plain functions (not fixtures), imported by the test modules, so that they do not depend on a
conftest.py shared with the place-management tests.
"""

import itertools
import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from fangkong.core.models import ExportJob, ExportStatus
from fangkong.passes.models import Channel, Direction, Passage, Place, PlaceKind, PlaceState, Verdict

_names = itertools.count(1)


def make_place(area, name=None, *, state=PlaceState.APPROVED, records_exit=True, measures_temperature=True,
               staff=(), kind=PlaceKind.COMPOUND_GATE, compound=None):
    place = Place.objects.create(area=area, name=name or f"测试门岗{next(_names)}", kind=kind, address="文化路12号",
                                 contact_name="张三", state=state, records_exit=records_exit,
                                 measures_temperature=measures_temperature, compound=compound)
    for user in staff:
        place.staff.add(user)
    return place


PASSWORD = "Fangkong-test-2020"


def staff_user(username, role, area, **extra):
    """A user with one role (its default group), as tests/conftest.py makes them."""
    from django.contrib.auth.models import Group

    from fangkong.accounts.models import User
    from fangkong.accounts.roles import ensure_roles

    if not Group.objects.filter(name=role.value).exists():
        ensure_roles()  # transactional tests flush the groups that post_migrate created
    user = User.objects.create_user(username=username, password=PASSWORD, full_name=extra.pop("full_name", username),
                                    area=area, **extra)
    user.groups.set([Group.objects.get(name=role.value)])
    return user


def checkpoint_user(username, area, place=None):
    from fangkong.accounts.roles import Role

    user = staff_user(username, Role.CHECKPOINT_STAFF, area, full_name=f"卡点{username}")
    if place is not None:
        place.staff.add(user)
    return user


def passage(person, place, *, at=None, verdict=Verdict.ALLOW, temperature=Decimal("36.5"), direction=Direction.IN,
            channel=Channel.SCAN, reasons=None, **extra):
    """A passage written directly (bulk-style), bypassing the verdict: for counts and searches."""
    return Passage.objects.create(person=person, place=place, area_id=place.area_id, at=at or timezone.now(),
                                  verdict=verdict, temperature=temperature, direction=direction, channel=channel,
                                  reasons=reasons or [], idempotency_key=uuid.uuid4().hex, **extra)


def many_passages(persons, place, count, *, start=None, step=timedelta(seconds=7)):
    """`count` passages cycling through `persons`, written with one bulk insert per 2,000."""
    start = start or timezone.now() - timedelta(days=1)
    rows = [Passage(person=persons[i % len(persons)], place=place, area_id=place.area_id, at=start + i * step,
                    verdict=Verdict.ALLOW if i % 10 else Verdict.WARN, temperature=Decimal("36.4"),
                    direction=Direction.IN if i % 2 else Direction.OUT, channel=Channel.SCAN,
                    idempotency_key=uuid.uuid4().hex) for i in range(count)]
    Passage.objects.bulk_create(rows, batch_size=2000)


def exported_rows(user, params=None) -> list[list]:
    """Runs a passage export for `user` in-process and reads the file back (every row, footer included)."""
    from fangkong.core.tasks import run_export
    from tests.conftest import xlsx_rows

    job = ExportJob.objects.create(kind="passages", created_by=user, params=params or {})
    run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.error
    with job.file.open("rb") as fh:
        return xlsx_rows(fh.read())
