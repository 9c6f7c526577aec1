"""Running a district's accounts in the app: create, assign role and area, deactivate, unlock, reset password.

Every function takes the acting user, refuses a target outside what that user may manage (PermissionDenied,
whatever id a form sent), raises ValidationError with Chinese messages per field for bad input and changes
nothing then, and writes one audit row for what it did.
"""

import re
import secrets

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit import services as audit
from fangkong.audit.models import AuditAction
from fangkong.core.identity import normalize_phone
from fangkong.territory.models import Area, AreaLevel, Grid

from .models import User
from .roles import GRANTABLE_ROLES, Role

# The level of area a role's holder is bound to; roles not named here may sit at any level of the scope.
ROLE_AREA_LEVEL = {
    Role.DISTRICT_ADMIN: AreaLevel.DISTRICT,
    Role.SUBDISTRICT_OFFICER: AreaLevel.SUBDISTRICT,
    Role.COMMUNITY_WORKER: AreaLevel.COMMUNITY,
    Role.GRID_WORKER: AreaLevel.COMMUNITY,
}


def checkpoint_places(acting_user):
    """The places the acting user may post a guard at. Places belong to the passes app, above this one:
    reached through the relation it declares on User."""
    place_model = User._meta.get_field("checkpoint_places").related_model
    return place_model.objects.visible_to(acting_user)


# Account names: what Django's username validator allows, in ASCII, so that they are typed alike on every phone.
USERNAME = re.compile(r"[A-Za-z0-9@.+_-]{1,150}")
# Generated passwords: no look-alike characters (0/o, 1/l/i), read aloud or copied from a screen.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# --- who may manage whom ---------------------------------------------------------------------------------

def grantable_roles(acting_user) -> list[Role]:
    """The roles `acting_user` may give (and whose holders they may manage), in the order of Role."""
    if not acting_user.is_active or not acting_user.has_perm("accounts.manage_users"):
        return []
    if acting_user.is_superuser:
        return list(Role)
    allowed = set()
    for role, grantable in GRANTABLE_ROLES.items():
        if acting_user.has_role(role):
            allowed.update(grantable)
    return [role for role in Role if role in allowed]


def may_manage(acting_user, target) -> bool:
    """In scope, not oneself, not a superuser (unless one), and holding only roles the acting user may grant."""
    if target.pk == acting_user.pk or (target.is_superuser and not acting_user.is_superuser):
        return False
    if not User.objects.visible_to(acting_user).filter(pk=target.pk).exists():
        return False
    grantable = {role.value for role in grantable_roles(acting_user)}
    return bool(grantable) and target.role_codes <= grantable


def manageable_ids(acting_user, targets) -> set[int]:
    """The ids among `targets` (already scoped) that `acting_user` may act on: the list's buttons."""
    grantable = {role.value for role in grantable_roles(acting_user)}
    if not grantable:
        return set()
    return {t.pk for t in targets if t.pk != acting_user.pk and (acting_user.is_superuser or not t.is_superuser)
            and {g.name for g in t.groups.all()} <= grantable}


def check_target(acting_user, target):
    if not may_manage(acting_user, target):
        raise PermissionDenied(_("您无权管理该账号"))


# --- lockouts (django-axes) ------------------------------------------------------------------------------

def locked_attempts():
    """django-axes' attempts that lock a username now: enough failures within the cool-off."""
    return AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - get_cool_off(),
                                        failures_since_start__gte=settings.AXES_FAILURE_LIMIT)


def locked(users):
    """`users` (a queryset) narrowed to the accounts locked out now."""
    return users.filter(username__in=locked_attempts().values("username"))


def locked_usernames(usernames) -> set[str]:
    return set(locked_attempts().filter(username__in=list(usernames)).values_list("username", flat=True))


# --- checks shared by create and change -------------------------------------------------------------------

def _assignment(acting_user, data, errors) -> dict:
    """Role, area, grid and places checked against what the acting user may grant; errors go to `errors`."""
    role = data.get("role") or ""
    if role not in {r.value for r in grantable_roles(acting_user)}:
        errors["role"] = _("您不能授予该角色") if role else _("请选择角色")
        return {}
    role = Role(role)
    area, grid, places = data.get("area"), data.get("grid"), list(data.get("places") or [])
    if role == Role.GRID_WORKER:
        if grid is None:
            errors["grid"] = _("网格员须选择所属网格")
        elif not Grid.objects.visible_to(acting_user).filter(pk=grid.pk).exists():
            errors["grid"] = _("该网格不在您的辖区内")
        elif area is not None and area.pk != grid.area_id:
            errors["grid"] = _("该网格不属于所选社区")
        else:
            area = grid.area
    else:
        grid = None
    if area is None:
        errors.setdefault("area", _("请选择所属区域"))
    elif not Area.objects.visible_to(acting_user).filter(pk=area.pk).exists():
        errors["area"] = _("该区域不在您的辖区内")
    elif role in ROLE_AREA_LEVEL and area.level != ROLE_AREA_LEVEL[role]:
        errors["area"] = _("%(role)s的所属区域应为%(level)s") % {
            "role": role.label, "level": AreaLevel(ROLE_AREA_LEVEL[role]).label}
    if role != Role.CHECKPOINT_STAFF:
        places = []
    elif places and area is not None and "area" not in errors:
        in_scope = checkpoint_places(acting_user).in_area(area).filter(pk__in=[p.pk for p in places])
        if in_scope.count() != len({p.pk for p in places}):
            errors["places"] = _("值守场所应在所属区域内")
    return {"role": role, "area": area, "grid": grid, "places": places}


def _phone(data, errors) -> str | None:
    """The normalised phone, "" to clear it, or None when the form left it out (unchanged)."""
    if data.get("phone") is None:
        return None
    try:
        return normalize_phone(data["phone"]) if data["phone"].strip() else ""
    except ValidationError as exc:
        errors["phone"] = exc.messages
        return None


def _apply_assignment(acting_user, user, assigned):
    """Groups, grid membership and checkpoint places of a saved user; places outside the actor's scope stay."""
    user.groups.set([Group.objects.get(name=assigned["role"].value)])
    user._role_codes = {assigned["role"].value}
    for grid in user.member_grids.exclude(pk=getattr(assigned["grid"], "pk", None)):
        grid.members.remove(user)
    if assigned["grid"] is not None:
        assigned["grid"].members.add(user)
    scoped = checkpoint_places(acting_user)
    user.checkpoint_places.remove(*scoped.filter(staff=user).exclude(pk__in=[p.pk for p in assigned["places"]]))
    user.checkpoint_places.add(*assigned["places"])


def _describe(user) -> dict:
    return {"role": ",".join(sorted(user.role_codes)), "area": str(user.area or ""), "grid": str(user.grid or ""),
            "places": sorted(p.name for p in user.checkpoint_places.all())}


def new_password(user=None) -> str:
    """A random password that passes the configured validators (three groups of four, e.g. Ab3k-9xQz-...)."""
    while True:
        password = "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(4)) for _g in range(3))
        try:
            password_validation.validate_password(password, user)
        except ValidationError:
            continue
        return password


def _keep_a_district_admin(target, message):
    """Refuse when `target` is the last active district admin (rows locked, so two admins cannot race)."""
    if not target.has_role(Role.DISTRICT_ADMIN):
        return
    admins = list(User.objects.select_for_update().filter(groups__name=Role.DISTRICT_ADMIN.value, is_active=True)
                  .values_list("pk", flat=True))
    if not [pk for pk in admins if pk != target.pk]:
        raise ValidationError(message)


# --- the actions -----------------------------------------------------------------------------------------

def create_user(data: dict, *, acting_user) -> tuple[User, str]:
    """A new account; returns it and its initial password (typed, or generated to be shown once)."""
    errors = {}
    username = (data.get("username") or "").strip()
    full_name = (data.get("full_name") or "").strip()
    if not username:
        errors["username"] = _("请填写账号")
    elif not USERNAME.fullmatch(username):
        errors["username"] = _("账号只能用字母、数字和 @ . + - _，不超过150个字符")
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = _("该账号已存在，请换一个")
    if not full_name:
        errors["full_name"] = _("请填写姓名")
    phone = _phone(data, errors)
    assigned = _assignment(acting_user, data, errors)
    user = User(username=username, full_name=full_name, area=assigned.get("area"), grid=assigned.get("grid"))
    password = data.get("password") or ""
    if password:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    password = password or new_password(user)
    user.set_phone(phone or "")
    user.set_password(password)
    with transaction.atomic():
        user.save()
        _apply_assignment(acting_user, user, assigned)
        audit.record(AuditAction.CREATE, user, actor=acting_user, changes={
            "username": username, "full_name": full_name, **_describe(user),
            "phone": "(已加密)" if phone else "", "password": "(已设置)"})
    return user, password


def change_user(target, data: dict, *, acting_user) -> User:
    """New name, phone (left out: unchanged), role, area, grid and places of a managed account."""
    check_target(acting_user, target)
    errors = {}
    full_name = (data.get("full_name") or "").strip()
    if not full_name:
        errors["full_name"] = _("请填写姓名")
    phone = _phone(data, errors)
    assigned = _assignment(acting_user, data, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if assigned["role"] != Role.DISTRICT_ADMIN:
            _keep_a_district_admin(target, {"role": _("这是最后一位在用的区级管理员，不能改为其他角色")})
        before = {"full_name": target.full_name, **_describe(target)}
        target.full_name, target.area, target.grid = full_name, assigned["area"], assigned["grid"]
        fields = ["full_name", "area", "grid"]
        if phone is not None:
            target.set_phone(phone)
            fields += ["phone_encrypted", "phone_index", "phone_tail4_index"]
        target.save(update_fields=fields)
        _apply_assignment(acting_user, target, assigned)
        after = {"full_name": target.full_name, **_describe(target)}
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        if phone is not None:
            changes["phone"] = "(已加密)"
        audit.record(AuditAction.UPDATE, target, actor=acting_user, changes=changes)
    return target


def set_active(target, active: bool, *, acting_user) -> User:
    """停用 / 启用. Never oneself, never the last active district admin."""
    if target.pk == acting_user.pk:
        raise ValidationError(_("不能停用或启用自己的账号"))
    check_target(acting_user, target)
    with transaction.atomic():
        if not active:
            _keep_a_district_admin(target, _("这是最后一位在用的区级管理员，不能停用"))
        if target.is_active != active:
            target.is_active = active
            target.save(update_fields=["is_active"])
            audit.record(AuditAction.UPDATE, target, actor=acting_user, changes={"is_active": [not active, active]})
    return target


def unlock(target, *, acting_user) -> int:
    """Clear django-axes' failed attempts for the username (every address); returns how many were cleared."""
    check_target(acting_user, target)
    was_locked = bool(locked_usernames([target.username]))
    with transaction.atomic():
        cleared = axes_reset(username=target.username)
        audit.record(AuditAction.UPDATE, target, actor=acting_user,
                     changes={"lockout": ["已锁定" if was_locked else "未锁定", "已解锁"], "attempts_cleared": cleared})
    return cleared


def _set_password(user, password, *, acting_user, note):
    """A new password: the user's sessions end with the old one's hash, and their API tokens end with it, so a
    thief who had the old password keeps nothing."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        changes = {"password": note}
        revoked = user.api_tokens.all().delete()[0]
        if revoked:
            changes["api_tokens_revoked"] = revoked
        audit.record(AuditAction.UPDATE, user, actor=acting_user, changes=changes)


def reset_password(target, *, acting_user) -> str:
    """A new random password for the account, returned to be shown once; its sessions and API tokens end."""
    check_target(acting_user, target)
    password = new_password(target)
    _set_password(target, password, acting_user=acting_user, note="(已重置)")
    return password


def change_own_password(user, password: str) -> None:
    """修改密码, once the form has checked the old password and the validators."""
    _set_password(user, password, acting_user=user, note="(本人修改)")


# --- the list ----------------------------------------------------------------------------------------------

def filter_users(acting_user, *, q="", role="", area=None, state=""):
    """The accounts `acting_user` sees, narrowed by the list's search and filters."""
    users = User.objects.visible_to(acting_user)
    if area is not None:
        users = users.in_area(area)
    if role:
        users = users.filter(groups__name=role)
    if state == "active":
        users = users.filter(is_active=True)
    elif state == "inactive":
        users = users.filter(is_active=False)
    elif state == "locked":
        users = locked(users)
    return users.search(q)


def counts(acting_user) -> dict:
    """The list's header figures: accounts in use, deactivated and locked out now, in the viewer's scope."""
    scoped = User.objects.visible_to(acting_user)
    return {"active": scoped.filter(is_active=True).count(), "inactive": scoped.filter(is_active=False).count(),
            "locked": locked(scoped).count()}
