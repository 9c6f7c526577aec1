"""Per-user cache versions for what the gates cache about a user: their API token and where they may record.

A value cached about one user is keyed on `stamp(user_pk)`: that user's version and everyone's. Changing a user
(their role, area, grid, active flag, password, permissions or tokens) bumps that user's version only, so the
8:00 shift change, when every guard logs in and `last_login` is written for each, empties nobody's cache; a
save of `last_login` alone is not a change. Everyone's version moves only when a role's permissions change,
or when a role loses all its members at once (which users is not told).
"""

from fangkong.core import cache as versions

ALL_USERS_KEY = "accounts:users-version"


def user_key(pk) -> str:
    return f"accounts:user-version:{pk}"


def stamp(user_pk, *more: str) -> str:
    """The versions behind a value cached about this user, and `more` version names, in one round trip."""
    return versions.stamp(ALL_USERS_KEY, user_key(user_pk), *more)


def user_changed(*pks) -> None:
    for pk in pks:
        versions.changed(user_key(pk))


def everyone_changed() -> None:
    versions.changed(ALL_USERS_KEY)


# Signal receivers (apps.py) -------------------------------------------------------------------------

def user_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) == {"last_login"}:  # a login, written by Django
        return
    user_changed(instance.pk)


def user_deleted(sender, instance, **kwargs):
    user_changed(instance.pk)


def token_changed(sender, instance, **kwargs):
    user_changed(instance.user_id)


def user_links_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A user's groups or permissions: `instance` is the user when changed from the user's side, and the users
    are `pk_set` when changed from the group's or the permission's."""
    if not action.startswith("post_"):
        return
    if not reverse:
        user_changed(instance.pk)
    elif pk_set is not None:
        user_changed(*pk_set)
    else:  # a group or permission cleared of all its users: which ones, the signal does not say
        everyone_changed()


def role_permissions_changed(sender, action, **kwargs):
    if action.startswith("post_"):
        everyone_changed()  # every member of the role
