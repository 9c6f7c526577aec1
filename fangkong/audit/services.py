"""Writing the audit log. Every service that changes data calls `record_change` (or `record`) itself, with the
acting user, inside its own transaction: there is no signal that writes rows behind its back."""

from .context import client_ip, current_request
from .models import AuditAction, Audited, AuditEvent


def record(action: str, obj=None, *, changes=None, actor=None, object_type="", object_repr="", request=None):
    """Append one row to the audit log, by `actor` (none: the system itself). The address and browser are
    the current request's (see the middleware), or `request`'s when given."""
    context = current_request()
    ip, agent = context.ip, context.user_agent
    if request is not None:
        ip = client_ip(request) or ip
        agent = request.META.get("HTTP_USER_AGENT", agent)[:255]
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "system",
        action=action,
        object_type=object_type or (obj._meta.label if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        changes=changes or {},
        ip=ip,
        user_agent=agent,
    )


def record_change(obj, acting_user, *, action=None, changes=None):
    """The audit row of a change a service has just made to `obj`: who acted, what was done, to which record
    and which fields changed. Call it inside the service's transaction, so a change that rolls back leaves
    no row. For an Audited record the action (新建/修改) and the fields come from its last save; `changes`
    adds what the fields do not show (a reason, a member added). An update that changed nothing writes
    nothing. For a delete, call it before deleting with action=DELETE: the row keeps the record's fields."""
    created, fields = obj.__dict__.pop("_saved_changes", (False, {}))  # one save, one row
    if action == AuditAction.DELETE and isinstance(obj, Audited):
        fields = obj.field_changes(created=True)
    action = action or (AuditAction.CREATE if created else AuditAction.UPDATE)
    fields = {**fields, **(changes or {})}
    if action == AuditAction.UPDATE and not fields:
        return None
    return record(action, obj, actor=acting_user, changes=fields)


def log_unmask(obj, field_label: str, user):
    return record(AuditAction.UNMASK, obj, changes={"field": field_label}, actor=user)


def log_export(user, what: str, count: int, filters: dict):
    return record(AuditAction.EXPORT, actor=user, object_type=what, object_repr=f"{what} × {count}",
                  changes={"rows": count, "filters": filters})
