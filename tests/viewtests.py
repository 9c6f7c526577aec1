"""Shared page and API tests, after NetBox's ViewTestCases: a test class names its URLs, the roles and the
objects, and inherits the tests that every list, detail page, form and endpoint must pass.

    class TestPlacePages(viewtests.ListTests, viewtests.OutsideScopeTests):
        list_url = "/places/"
        viewer = "worker_a"                      # a user of the `users` fixture (tests/conftest.py)
        outside_requests = ["/places/{pk}/", ("POST", "/places/{pk}/suspend/", {"reason": "x"})]

        inside = viewtests.pick("places", "gate")         # what the viewer may reach
        outside = viewtests.pick("places", "village")     # what lies outside the viewer's scope

A request is a path (a GET) or (method, path, data); `{pk}` in the path is the object's key. Each request
of `outside_requests` and `refused_requests` is a test of its own, named by its method and path. A class
with `api = True` sends its data as JSON and expects 201 from a create and 200 from an edit.
"""

import pytest

from fangkong.audit.models import AuditAction, AuditEvent


def _parts(spec):
    return ("GET", spec, None) if isinstance(spec, str) else (*spec, None)[:3]


def _name(spec):
    method, path, _data = _parts(spec)
    return f"{method} {path}"


def audit_rows(obj, action, actor):
    """The audit rows that say `actor` did `action` to `obj`."""
    return AuditEvent.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk), action=action, actor=actor)


def pick(fixture, key=None):
    """A class fixture: another fixture, or its attribute (item) `key`: `inside = pick("district", "person_a")`."""

    @pytest.fixture
    def picked(self, request):
        value = request.getfixturevalue(fixture)
        if key is None:
            return value
        return value[key] if isinstance(value, dict) else getattr(value, key)

    return picked


class ViewTests:
    viewer = "admin"  # the role (an attribute of `users`) whose scope `inside` and `outside` are measured by
    api = False

    def pytest_generate_tests(self, metafunc):
        for fixture, attribute in (("outside_request", "outside_requests"), ("refused_request", "refused_requests")):
            if fixture in metafunc.fixturenames:
                specs = getattr(self, attribute)
                metafunc.parametrize(fixture, specs, ids=[_name(spec) for spec in specs])
        if "refused_role" in metafunc.fixturenames:
            roles = (self.refused,) if isinstance(self.refused, str) else self.refused
            metafunc.parametrize("refused_role", roles)

    @pytest.fixture
    def viewer_user(self, users):
        """The user who views; a class whose viewer is no user of `users` overrides it."""
        return getattr(users, self.viewer)

    @pytest.fixture
    def inside(self):
        """An object the viewer may reach; classes whose requests name an object override it."""
        return None

    @pytest.fixture
    def outside(self):
        """An object of the same kind outside the viewer's scope."""
        return None

    def send(self, client, spec, obj=None):
        method, path, data = _parts(spec)
        path = path.format(pk=getattr(obj, "pk", ""))
        extra = {"content_type": "application/json"} if self.api and method != "GET" else {}
        return getattr(client, method.lower())(path, data or {}, **extra)

    def shown(self, obj) -> str:
        """The text by which a page or a response shows the object."""
        return str(obj)


class ListTests(ViewTests):
    list_url: str

    def test_the_list_shows_what_is_in_the_viewers_scope_and_not_the_rest(self, viewer_user, client_for, inside,
                                                                          outside):
        response = client_for(viewer_user).get(self.list_url)
        assert response.status_code == 200
        body = response.content.decode()
        assert self.shown(inside) in body
        assert self.shown(outside) not in body


class DetailTests(ViewTests):
    detail_url: str

    def test_the_viewer_opens_what_is_in_their_scope(self, viewer_user, client_for, inside):
        response = client_for(viewer_user).get(self.detail_url.format(pk=inside.pk))
        assert response.status_code == 200
        assert self.shown(inside) in response.content.decode()


class OutsideScopeTests(ViewTests):
    """Another area's object reads as one that does not exist, for every page and action: 404, nothing written."""

    outside_requests: list

    def test_what_is_outside_the_viewers_scope_is_not_found(self, viewer_user, client_for, outside, outside_request):
        client = client_for(viewer_user)
        audited = AuditEvent.objects.count()
        response = self.send(client, outside_request, outside)
        assert response.status_code == 404
        assert AuditEvent.objects.count() == audited


class PermissionTests(ViewTests):
    """A role without the permission (or each of several: a tuple) is refused (403) and nothing is written."""

    refused = "leader"
    refused_requests: list

    def test_a_role_without_the_permission_is_refused(self, users, client_for, inside, refused_request, refused_role):
        client = client_for(getattr(users, refused_role))
        audited = AuditEvent.objects.count()
        response = self.send(client, refused_request, inside)
        assert response.status_code == 403
        assert AuditEvent.objects.count() == audited


class CreateTests(ViewTests):
    """A permitted user creates an object; the audit log says who. Classes give `create_data` (a fixture)
    and `created(data)`, which finds the new object."""

    create_url: str
    creator = "admin"

    def created(self, data):
        raise NotImplementedError

    def test_a_permitted_user_creates_one_and_the_audit_log_says_who(self, users, client_for, create_data):
        user = getattr(users, self.creator)
        response = self.send(client_for(user), ("POST", self.create_url, create_data))
        assert response.status_code == (201 if self.api else 302), response.content[:500]
        assert audit_rows(self.created(create_data), AuditAction.CREATE, user).exists()


class EditTests(ViewTests):
    """A permitted user edits `inside`; the audit log says who. Classes give `edit_data` (a fixture) and
    `edited(obj, data)`, which asserts the change."""

    edit_url: str
    editor = "admin"

    def edited(self, obj, data):
        raise NotImplementedError

    def test_a_permitted_user_edits_one_and_the_audit_log_says_who(self, users, client_for, inside, edit_data):
        user = getattr(users, self.editor)
        response = self.send(client_for(user), ("PATCH" if self.api else "POST", self.edit_url, edit_data), inside)
        assert response.status_code == (200 if self.api else 302), response.content[:500]
        inside.refresh_from_db()
        self.edited(inside, edit_data)
        assert audit_rows(inside, AuditAction.UPDATE, user).exists()
