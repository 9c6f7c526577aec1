from .context import client_ip, current_actor
from .models import AuditAction, AuditEvent

# Fields whose values never go into the audit log, only the fact that they changed.
SECRET_FIELD_SUFFIXES = ("_encrypted", "_index", "password")


def record(action: str, obj=None, *, changes=None, actor=None, object_type="", object_repr="", request=None):
    """Append one row to the audit log. `actor` defaults to whoever is acting in this request."""
    context = current_actor()
    user = actor if actor is not None else context.user
    ip, agent = context.ip, context.user_agent
    if request is not None:
        ip = client_ip(request) or ip
        agent = request.META.get("HTTP_USER_AGENT", agent)[:255]
    return AuditEvent.objects.create(
        actor=user if getattr(user, "pk", None) else None,
        actor_name=getattr(user, "username", "") or "system",
        action=action,
        object_type=object_type or (obj._meta.label if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        changes=changes or {},
        ip=ip,
        user_agent=agent,
    )


def field_changes(instance, created: bool) -> dict:
    """{field: [old, new]} for an update, {field: new} for a create; secrets show as "(已加密)"."""
    loaded = getattr(instance, "_loaded_values", {})
    changes = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.name == "path":
            continue
        new = field.value_from_object(instance)
        old = loaded.get(field.attname)
        if not created and old == new:
            continue
        if field.name.endswith(SECRET_FIELD_SUFFIXES):
            changes[field.name] = "(已加密)"
        elif created:
            if new not in (None, ""):
                changes[field.name] = _jsonable(new)
        else:
            changes[field.name] = [_jsonable(old), _jsonable(new)]
    return changes


def _jsonable(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def log_unmask(obj, field_label: str, user):
    return record(AuditAction.UNMASK, obj, changes={"field": field_label}, actor=user)


def log_export(user, what: str, count: int, filters: dict):
    return record(AuditAction.EXPORT, actor=user, object_type=what, object_repr=f"{what} × {count}",
                  changes={"rows": count, "filters": filters})
