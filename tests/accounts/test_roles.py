"""Roles are groups created by migrate, with the default permissions of DESIGN.md's role table."""

import pytest
from django.contrib.auth.models import Group

from fangkong.accounts.roles import DEFAULT_PERMISSIONS, Role, ensure_roles

pytestmark = pytest.mark.django_db


def test_migrate_creates_one_group_per_role_with_its_permissions():
    groups = {group.name: group for group in Group.objects.prefetch_related("permissions__content_type")}
    assert set(Role.values) <= set(groups)
    for role, wanted in DEFAULT_PERMISSIONS.items():
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in groups[role.value].permissions.all()}
        assert granted == set(wanted), role


def test_ensure_roles_leaves_an_adjusted_group_alone():
    leader = Group.objects.get(name=Role.LEADER)
    leader.permissions.clear()
    ensure_roles()
    assert not leader.permissions.exists()
    assert Group.objects.filter(name__in=Role.values).count() == len(Role)


def test_what_each_role_may_do(users):
    assert users.admin.may_see_full_numbers() and users.admin.may_export()
    assert users.worker_a.may_see_full_numbers() and users.worker_a.may_export()
    assert not users.grid_worker.may_see_full_numbers() and not users.grid_worker.may_export()
    assert not users.leader.may_see_full_numbers() and not users.leader.may_export()
    assert users.leader.has_perm("people.view_person") and not users.leader.has_perm("people.change_person")
    assert users.admin.has_perm("audit.view_auditevent") and not users.worker_a.has_perm("audit.view_auditevent")
    assert users.leader.role_labels() == ["领导（只读）"]


def test_every_role_can_open_its_home_page(users, client_for):
    for user in vars(users).values():
        response = client_for(user).get("/")
        assert response.status_code == 200, user
        assert user.area.name in response.content.decode()
