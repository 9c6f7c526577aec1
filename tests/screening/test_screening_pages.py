"""Key-person pages: categories, the list and its filters, a screening's page, state changes, follow-ups, scope."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.screening import services
from fangkong.screening.models import Category, FollowUp, Screening, Source, State, StateChange
from tests import viewtests
from tests.conftest import numbered_name


@pytest.fixture
def returnee(district):
    return Category.objects.get(code="return_province")


@pytest.fixture
def contact(district):
    return Category.objects.get(code="close_contact")


@pytest.fixture
def key_persons(district, users, returnee, contact):
    """A returnee in the grid worker's grid (A), a close contact in A's other grid, one in B, one in C."""
    return {
        "a": services.open_screening(district.person_a, returnee, user=users.worker_a, origin="北京市朝阳区"),
        "a_other_grid": services.open_screening(district.person_a_other_grid, contact, user=users.worker_a,
                                                source=Source.TRACING),
        "b": services.open_screening(district.person_b, returnee, user=users.worker_b),
        "c": services.open_screening(district.person_c, contact, user=users.admin, source=Source.ASSISTANCE),
    }


class TestKeyPersonPages(viewtests.ListTests, viewtests.DetailTests, viewtests.OutsideScopeTests,
                         viewtests.PermissionTests):
    viewer = "grid_worker"
    list_url = "/key-persons/"
    detail_url = "/key-persons/{pk}/"
    outside_requests = ["/key-persons/{pk}/", "/key-persons/{pk}/follow-up/",
                        ("POST", "/key-persons/{pk}/follow-up/", {"temperature": "36.5"}),
                        ("POST", "/key-persons/{pk}/state/", {"to_state": "verified", "reason": "x"})]
    refused = "leader"  # sees every screening, acts on none
    refused_requests = ["/key-persons/{pk}/follow-up/",
                        ("POST", "/key-persons/{pk}/state/", {"to_state": "verified", "reason": "x"})]

    inside = viewtests.pick("key_persons", "a")

    @pytest.fixture(params=["a_other_grid", "b", "c"])
    def outside(self, key_persons, request):
        return key_persons[request.param]

    def shown(self, screening):
        return screening.person.name


class TestOpeningAScreening(viewtests.OutsideScopeTests):
    """A person outside the grid is not found at all."""

    viewer = "grid_worker"
    outside_requests = ["/key-persons/new/?person={pk}"]

    @pytest.fixture(params=["person_a_other_grid", "person_b"])
    def outside(self, district, request):
        return getattr(district, request.param)


class TestCategoryPages(viewtests.CreateTests, viewtests.EditTests, viewtests.PermissionTests):
    create_url = "/key-persons/categories/new/"
    edit_url = "/key-persons/categories/{pk}/edit/"
    refused = "worker_a"  # only district admins configure categories
    refused_requests = ["/key-persons/categories/new/", ("POST", "/key-persons/categories/{pk}/edit/", {"name": "x"}),
                        ("POST", "/key-persons/categories/{pk}/delete/")]

    inside = viewtests.pick("returnee")

    @pytest.fixture
    def create_data(self):
        return {"code": "sealed_building", "name": "封控楼栋人员", "description": "", "gate_effect": "warn",
                "follow_up": "home_monitoring", "follow_up_days": "7", "nat_every_days": "", "position": "5",
                "active": "on"}

    def created(self, data):
        return Category.objects.get(code=data["code"])

    @pytest.fixture
    def edit_data(self, inside):
        return {"code": inside.code, "name": inside.name, "description": inside.description, "gate_effect": "deny",
                "follow_up": inside.follow_up, "follow_up_days": str(inside.follow_up_days),
                "nat_every_days": inside.nat_every_days or "", "position": str(inside.position), "active": "on"}

    def edited(self, category, data):
        assert category.gate_effect == "deny"


def listed(client, query=""):
    response = client.get(f"/key-persons/{query}")
    assert response.status_code == 200
    return response, {s.pk for s in response.context["page_obj"]}


# Categories -------------------------------------------------------------------------------------------

def test_the_category_list_shows_the_defaults_with_counts_within_the_viewers_scope(
        users, client_for, key_persons):
    response = client_for(users.worker_a).get("/key-persons/categories/")
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("return_province", "省外返回人员", "三返：从省外返回本区", "通行时提醒核实", "居家健康监测", "14 天",
                 "每 7 天", "密切接触者", "禁止通行"):
        assert text in html
    rows = dict((c.code, n) for c, n in response.context["categories"])
    assert rows["return_province"] == 1 and rows["close_contact"] == 1  # A's only, not B's or C's
    assert "新增类别" not in html and "/delete/" not in html  # a community worker only looks
    admin_rows = dict((c.code, n) for c, n in client_for(users.admin).get("/key-persons/categories/").context[
        "categories"])
    assert admin_rows["return_province"] == 2 and admin_rows["close_contact"] == 2


def test_a_district_admin_adds_and_edits_a_category_with_errors_in_chinese(users, client_for):
    client = client_for(users.admin)
    form = {"code": "bad code!", "name": "省外返回人员", "description": "", "gate_effect": "warn",
            "follow_up": "home_monitoring", "follow_up_days": "0", "nat_every_days": "", "position": "5"}
    response = client.post("/key-persons/categories/new/", form)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "follow_up_days" in errors and "管控天数应在 1 到 365 天之间" in errors["follow_up_days"]
    assert "code" in errors and "name" in errors  # not a slug; the name is taken
    assert not Category.objects.filter(position=5).exists()

    form.update(code="sealed_building", name="封控楼栋人员", follow_up_days="7", active="on")
    response = client.post("/key-persons/categories/new/", form)
    assert response.status_code == 302 and response["Location"] == "/key-persons/categories/"
    category = Category.objects.get(code="sealed_building")
    assert (category.name, category.follow_up_days, category.active, category.nat_every_days) == (
        "封控楼栋人员", 7, True, None)
    form.update(gate_effect="deny", active="")
    assert client.post(f"/key-persons/categories/{category.pk}/edit/", form).status_code == 302
    category.refresh_from_db()
    assert (category.gate_effect, category.active) == ("deny", False)


def test_deleting_a_category_in_use_is_refused_with_a_message_and_deletes_nothing(
        users, client_for, key_persons, returnee):
    client = client_for(users.admin)
    response = client.post(f"/key-persons/categories/{returnee.pk}/delete/", follow=True)
    assert "“省外返回人员”已有 2 条排查记录，不能删除，可以停用" in response.content.decode()
    assert Category.objects.filter(pk=returnee.pk).exists() and Screening.objects.count() == 4
    unused = Category.objects.get(code="cold_chain")
    response = client.post(f"/key-persons/categories/{unused.pk}/delete/", follow=True)
    assert "已删除类别“冷链从业人员”" in response.content.decode()
    assert not Category.objects.filter(pk=unused.pk).exists()
    assert AuditEvent.objects.filter(object_type="screening.Category", action=AuditAction.DELETE).count() == 1


# The key-person list ------------------------------------------------------------------------------------

def test_each_role_lists_the_key_persons_of_its_own_scope(users, client_for, key_persons):
    k = {name: s.pk for name, s in key_persons.items()}
    assert listed(client_for(users.grid_worker))[1] == {k["a"]}
    assert listed(client_for(users.worker_a))[1] == {k["a"], k["a_other_grid"]}
    assert listed(client_for(users.worker_b))[1] == {k["b"]}
    assert listed(client_for(users.officer))[1] == {k["a"], k["a_other_grid"], k["c"]}
    assert listed(client_for(users.leader))[1] == set(k.values())
    response, _ids = listed(client_for(users.worker_a))
    html = response.content.decode()
    assert "王秀英" in html  # staff work with full names; the numbers stay masked
    number = key_persons["a"].person.id_number
    assert number not in html and number[:4] + "*" * 10 + number[-4:] in html


def test_filters_category_state_source_community_overdue_and_search(district, users, client_for, key_persons):
    k = {name: s.pk for name, s in key_persons.items()}
    client = client_for(users.admin)
    contact = Category.objects.get(code="close_contact")
    assert listed(client, f"?category={contact.pk}")[1] == {k["a_other_grid"], k["c"]}
    assert listed(client, "?category=close_contact")[1] == {k["a_other_grid"], k["c"]}
    assert listed(client, "?source=assistance")[1] == {k["c"]}
    assert listed(client, f"?area={district.community_a.pk}")[1] == {k["a"], k["a_other_grid"]}
    assert listed(client, f"?area={district.subdistrict.pk}")[1] == {k["a"], k["a_other_grid"], k["c"]}
    assert listed(client_for(users.worker_a), f"?area={district.community_b.pk}")[1] == set()  # not theirs
    services.record_follow_up(key_persons["a"], user=users.grid_worker, temperature="36.5")
    assert listed(client, "?overdue=1")[1] == {k["a_other_grid"], k["b"], k["c"]}
    assert listed(client, f"?area={district.community_a.pk}&overdue=1")[1] == {k["a_other_grid"]}
    # Closed screenings leave the default list; "all" and their own state bring them back.
    services.change_state(key_persons["b"], State.NOT_FOUND, "查无此人", user=users.worker_b)
    assert k["b"] not in listed(client)[1]
    assert k["b"] in listed(client, "?state=all")[1]
    assert listed(client, "?state=not_found")[1] == {k["b"]}
    assert listed(client, "?q=王秀英")[1] == {k["a"]}
    number = district.numbers["a_other_grid"]
    assert listed(client, f"?q={number[-6:]}")[1] == {k["a_other_grid"]}
    assert listed(client, f"?q={district.numbers['phone_c']}")[1] == {k["c"]}
    # B's person is not found by B's worker's neighbour either.
    assert listed(client_for(users.worker_a), f"?q={district.numbers['b'][-6:]}&state=all")[1] == set()


def test_the_list_costs_the_same_number_of_queries_for_3_or_60_key_persons(
        district, users, client_for, make_person, returnee):
    client = client_for(users.worker_a)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/key-persons/?area={district.community_a.pk}")
        assert response.status_code == 200
        return len(captured)

    for i in range(3):
        person = make_person(numbered_name("返乡", i), district.community_a, district.household_a102)
        services.open_screening(person, returnee, user=users.worker_a)
    few = queries()
    for i in range(57):
        person = make_person(numbered_name("返乡人员", i), district.community_a, district.household_a102)
        services.open_screening(person, returnee, user=users.worker_a)
    assert queries() == few


# A screening's page ---------------------------------------------------------------------------------------

def test_the_detail_page_shows_the_masked_person_the_next_states_and_the_history(
        district, users, client_for, key_persons):
    screening = key_persons["a"]
    services.change_state(screening, State.VERIFIED, "电话核实", user=users.worker_a)
    services.record_follow_up(screening, user=users.grid_worker, temperature="36.4", note="无异常")
    response = client_for(users.grid_worker).get(f"/key-persons/{screening.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    number = district.numbers["a"]
    assert "王秀英" in html and number not in html and number[-4:] in html and "139****1234" in html
    assert f'href="/people/{district.person_a.pk}/"' in html
    assert "北京市朝阳区" in html and "网格排查" in html and "电话核实" in html and "36.4 ℃" in html
    assert "今天已跟进" in html
    assert [value for value, _label in response.context["next_states"]] == [
        State.UNDER_CONTROL, State.RELEASED, State.LEFT]
    assert "改为“管控中”" in html and "改为“已解除”" in html and "改为“已离开本区”" in html


def test_changing_state_on_the_page_needs_a_reason(users, client_for, key_persons):
    screening = key_persons["a"]
    client = client_for(users.grid_worker)
    response = client.post(f"/key-persons/{screening.pk}/state/", {"to_state": "verified", "reason": " "})
    assert response.status_code == 200
    assert "请填写状态变更原因" in response.content.decode()
    response = client.post(f"/key-persons/{screening.pk}/state/", {"to_state": "released", "reason": "直接解除"})
    assert response.status_code == 200 and "不能从“已上报”变更为“已解除”" in response.content.decode()
    screening.refresh_from_db()
    assert screening.state == State.REPORTED and not StateChange.objects.exists()

    response = client.post(f"/key-persons/{screening.pk}/state/", {"to_state": "verified", "reason": "入户核实"})
    assert response.status_code == 302 and response["Location"] == f"/key-persons/{screening.pk}/"
    screening.refresh_from_db()
    assert screening.state == State.VERIFIED
    assert StateChange.objects.get().by == users.grid_worker


def test_the_follow_up_form_saves_and_goes_back_to_a_safe_next(users, client_for, key_persons):
    screening = key_persons["a"]
    client = client_for(users.grid_worker)
    page = client.get(f"/key-persons/{screening.pk}/follow-up/?next=/reports/today/")
    assert page.status_code == 200 and 'value="/reports/today/"' in page.content.decode()
    response = client.post(f"/key-persons/{screening.pk}/follow-up/", {
        "on": services.today().isoformat(), "temperature": "37.9", "has_symptoms": "no", "note": "电话随访",
        "next": "/reports/today/"})
    assert response.status_code == 302 and response["Location"] == "/reports/today/"
    follow_up = FollowUp.objects.get()
    assert (str(follow_up.temperature), follow_up.has_symptoms, follow_up.by) == ("37.9", False, users.grid_worker)

    other = key_persons["a_other_grid"]
    worker = client_for(users.worker_a)
    response = worker.post(f"/key-persons/{other.pk}/follow-up/", {
        "on": services.today().isoformat(), "temperature": "", "has_symptoms": "yes",
        "next": "https://evil.example/phish"})
    assert response.status_code == 302 and response["Location"] == f"/key-persons/{other.pk}/"
    assert FollowUp.objects.get(screening=other).has_symptoms is True


def test_bad_follow_ups_are_explained_and_keep_what_was_typed(users, client_for, key_persons):
    screening = key_persons["a"]
    client = client_for(users.grid_worker)
    tomorrow = (services.today() + datetime.timedelta(days=1)).isoformat()
    response = client.post(f"/key-persons/{screening.pk}/follow-up/", {
        "on": tomorrow, "temperature": "48", "has_symptoms": "no", "note": "体温计读数"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "体温应在 34.0 到 43.0 ℃ 之间" in html and "跟进日期不能晚于今天" in html
    assert 'value="48"' in html and "体温计读数" in html
    assert not FollowUp.objects.exists()


def test_another_communitys_worker_does_not_find_a_screening_that_the_leader_reads(users, client_for, key_persons):
    assert client_for(users.worker_b).get(f"/key-persons/{key_persons['a'].pk}/").status_code == 404
    assert client_for(users.leader).get(f"/key-persons/{key_persons['b'].pk}/").status_code == 200


# Opening a screening on the page ----------------------------------------------------------------------------

def test_a_grid_worker_puts_a_person_of_their_grid_in_a_category(district, users, client_for, returnee):
    client = client_for(users.grid_worker)
    page = client.get(f"/key-persons/new/?person={district.person_a.pk}")
    assert page.status_code == 200
    workers = set(page.context["form"].fields["worker"].queryset)
    assert users.grid_worker in workers and users.worker_b not in workers
    response = client.post(f"/key-persons/new/?person={district.person_a.pk}", {
        "person": district.person_a.pk, "category": returnee.pk, "source": "grid_visit",
        "reported_on": services.today().isoformat(), "origin": "广州市白云区", "worker": "", "plan": "居家监测14天"})
    screening = Screening.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/key-persons/{screening.pk}/"
    assert (screening.origin, screening.worker, screening.plan, screening.grid) == (
        "广州市白云区", users.grid_worker, "居家监测14天", district.grid_a1_group)
    # Again: refused in Chinese, nothing doubled.
    response = client.post(f"/key-persons/new/?person={district.person_a.pk}", {
        "category": returnee.pk, "source": "grid_visit", "reported_on": services.today().isoformat()})
    assert response.status_code == 200 and "请勿重复登记" in response.content.decode()
    assert Screening.objects.count() == 1


def test_without_a_person_the_new_page_searches_within_scope(district, users, client_for):
    client = client_for(users.grid_worker)
    response = client.get("/key-persons/new/?q=王")
    assert {p.pk for p in response.context["persons"]} == {district.person_a.pk, district.person_a_neighbour.pk}
    assert f"?person={district.person_a.pk}" in response.content.decode()


def test_the_follow_up_page_says_up_front_that_today_is_done(users, client_for, key_persons):
    screening = key_persons["a"]
    client = client_for(users.grid_worker)
    assert "今天已跟进" not in client.get(f"/key-persons/{screening.pk}/follow-up/").content.decode()
    client.post(f"/key-persons/{screening.pk}/follow-up/", {
        "on": services.today().isoformat(), "temperature": "36.6", "has_symptoms": "no"})
    page = client.get(f"/key-persons/{screening.pk}/follow-up/").content.decode()
    assert "今天已跟进" in page and "36.6 ℃" in page
    assert 'id="follow-up-form"' in page  # still there for a missed earlier day
    yesterday = (services.today() - datetime.timedelta(days=1)).isoformat()
    client.post(f"/key-persons/{screening.pk}/follow-up/",
                {"on": yesterday, "temperature": "36.5", "has_symptoms": "no"})
    assert FollowUp.objects.filter(screening=screening).count() == 2


def test_the_list_marks_overdue_by_the_same_rule_as_its_filter(users, client_for, key_persons):
    client = client_for(users.worker_a)
    overdue = {s.pk for s in client.get("/key-persons/?overdue=1").context["page_obj"]}
    marked = {s.pk for s in client.get("/key-persons/").context["page_obj"] if s.overdue_today}
    assert overdue and overdue == marked
