"""健康码总览: colours per community within the viewer's scope, and who has a red or yellow code and why."""

from fangkong.healthcode import services
from fangkong.people.models import Person
from tests.healthcode.helpers import screen


def colours(district, users):
    screen(district.person_a, "close_contact", users.worker_a)  # red, in community A
    screen(district.person_b, "secondary_contact", users.admin)  # yellow, in community B
    services.recompute(Person.objects.values_list("pk", flat=True))


def listed_names(response) -> list[str]:
    return [s.person.name for s in response.context["page_obj"]]


def test_the_overview_counts_colours_per_community_and_lists_red_first(district, users, client_for):
    colours(district, users)
    response = client_for(users.admin).get("/health-code/")
    assert response.status_code == 200
    counts = {area.name: counts for area, counts in response.context["rows"]}
    assert counts[district.community_a.name]["red"] == 1
    assert counts[district.community_b.name]["yellow"] == 1
    everyone = Person.objects.count()
    assert sum(response.context["totals"].values()) == everyone
    assert response.context["totals"]["green"] == everyone - 2
    assert listed_names(response) == ["王秀英", "李建国"]  # red before yellow; green ones not listed
    page = response.content.decode()
    assert "王*英" in page and "王秀英" not in page  # masked names, as on every health-code page
    assert "重点人员：密切接触者" in page
    assert listed_names(client_for(users.admin).get("/health-code/?show=yellow")) == ["李建国"]
    only_a = client_for(users.admin).get(f"/health-code/?area={district.community_a.pk}")
    assert listed_names(only_a) == ["王秀英"]
    assert listed_names(client_for(users.admin).get("/health-code/?show=green&q=赵丽")) == ["赵丽"]


def test_a_community_worker_sees_only_their_community(district, users, client_for):
    colours(district, users)
    response = client_for(users.worker_a).get("/health-code/")
    assert [area.pk for area, _counts in response.context["rows"]] == [district.community_a.pk]
    assert listed_names(response) == ["王秀英"]
    # Another community's id in the filter is not a choice: refused in Chinese, nothing from there shown.
    other = client_for(users.worker_a).get(f"/health-code/?area={district.community_b.pk}")
    assert other.status_code == 200
    assert "李建国" not in other.content.decode() and "李*国" not in other.content.decode()
    assert "选择一个有效的选项" in other.content.decode()


def test_a_bad_colour_is_refused_and_the_default_list_is_shown(district, users, client_for):
    colours(district, users)
    response = client_for(users.admin).get("/health-code/?show=purple")
    assert "选择一个有效的选项" in response.content.decode()
    assert listed_names(response) == ["王秀英", "李建国"]


def test_the_overview_needs_the_health_code_permission(district, client_for):
    from tests.passes.office_helpers import checkpoint_user

    guard = checkpoint_user("overview_guard", district.community_a)
    assert client_for(guard).get("/health-code/").status_code == 403
