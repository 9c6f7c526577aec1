"""`manage.py demo_district`: a believable district in one command, safe to run twice."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.core.identity import normalize_resident_id
from fangkong.people.models import HouseholdRole, Person
from fangkong.territory.models import Area, AreaLevel, Household


def run(users_file):
    out = StringIO()
    call_command("demo_district", "--size", "small", "--users-file", str(users_file), stdout=out)
    return out.getvalue()


def test_the_small_demo_district_builds_once_and_is_idempotent(db, tmp_path, leaks):
    users_file = tmp_path / "users.json"
    output = run(users_file)
    assert "东湖示范区" in output and "密码" in output
    persons, households, areas = Person.objects.count(), Household.objects.count(), Area.objects.count()
    assert persons >= 900
    assert Area.objects.filter(level=AreaLevel.COMMUNITY).count() == 4
    accounts = json.loads(users_file.read_text(encoding="utf-8"))

    run(users_file)
    assert (Person.objects.count(), Household.objects.count(), Area.objects.count()) == (persons, households, areas)
    assert User.objects.count() == len(accounts)

    assert all(set(account) == {"username", "role", "area_id", "area_name"} for account in accounts)
    assert {account["role"] for account in accounts} == set(Role.values)  # at least one user per role
    workers = [a for a in accounts if a["role"] == Role.COMMUNITY_WORKER]
    assert len(workers) >= 2 and len({a["area_id"] for a in workers}) == len(workers)
    for account in accounts:
        user = User.objects.get(username=account["username"])
        assert user.area_id == account["area_id"] and user.area.name == account["area_name"]
        assert user.has_role(Role(account["role"]))
    grid_worker = User.objects.get(username=next(a["username"] for a in accounts if a["role"] == Role.GRID_WORKER))
    assert grid_worker.grid is not None and grid_worker.grid.area_id == grid_worker.area_id

    # Two district admins: an override one of them requests can be approved by the other.
    assert sum(a["role"] == Role.DISTRICT_ADMIN for a in accounts) >= 2
    assert "district_admin2" in output

    # Households are believable: a spouse of about the head's age, children younger and parents older.
    heads = {p.household_id: p.birth_date for p in Person.objects.filter(household_role=HouseholdRole.HEAD)}
    for member in Person.objects.exclude(household_role=HouseholdRole.HEAD).filter(household_id__in=heads):
        years = (heads[member.household_id] - member.birth_date).days / 365.25  # > 0: older than the head
        if member.household_role == HouseholdRole.SPOUSE:
            assert abs(years) <= 6, member
        elif member.household_role == HouseholdRole.CHILD:
            assert years <= -18, member
        elif member.household_role == HouseholdRole.PARENT:
            assert years >= 18, member

    # The demo's numbers are real GB 11643 numbers, and each worker sees only their community.
    sample = Person.objects.order_by("pk")[:50]
    assert all(normalize_resident_id(p.id_number) == p.id_number for p in sample)
    first, second = (User.objects.get(username=a["username"]) for a in workers[:2])
    mine, theirs = Person.objects.visible_to(first), Person.objects.visible_to(second)
    assert mine.exists() and theirs.exists() and not mine.filter(pk__in=theirs.values("pk")).exists()

    # None of the demo's numbers is stored in clear, in persons or anywhere else (places, passages, ...).
    secrets = {}
    for person in list(Person.objects.order_by("pk"))[::40]:
        secrets[f"id {person.pk}"] = person.id_number
        secrets[f"tail6:id {person.pk}"] = person.id_number[-6:]
        if person.phone:
            secrets[f"phone {person.pk}"] = person.phone
    assert leaks(secrets) == []


def test_the_demo_refuses_to_load_in_production(db, settings):
    settings.FANGKONG_ENV = "production"
    with pytest.raises(CommandError, match="生产环境"):
        call_command("demo_district", "--size", "small", stdout=StringIO())
    assert not Area.objects.exists() and not User.objects.exists()
