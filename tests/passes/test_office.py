"""The passage back office: scope, search, counts, and pages that stay cheap however much data there is."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from office_helpers import checkpoint_user, make_place, many_passages, passage

from fangkong.passes.models import Passage, PlaceState, Verdict


@pytest.fixture
def places(district):
    """Two gates in community A, one in B, one pending registration in A."""
    return {
        "a_north": make_place(district.community_a, "幸福里小区北门"),
        "a_south": make_place(district.community_a, "幸福里小区南门"),
        "b": make_place(district.community_b, "李庄村口"),
        "a_pending": make_place(district.community_a, "新开超市", state=PlaceState.PENDING),
    }


def ids(html):
    return re.findall(r'<tr class="pg-\w+" data-row="\d+">', html)


def test_a_community_worker_sees_no_passages_of_another_community(district, users, client_for, places):
    passage(district.person_a, places["a_north"])
    passage(district.person_b, places["b"])
    passage(district.person_b, places["b"])
    page_a = client_for(users.worker_a).get("/passages/records/").content.decode()
    assert "幸福里小区北门" in page_a and "李庄村口" not in page_a and "李建国" not in page_a
    # Changing the id in the address does not help: the place is simply not found in scope.
    forged = client_for(users.worker_a).get(f"/passages/records/?place={places['b'].pk}").content.decode()
    assert "李庄村口" not in forged and "没有找到出入记录" in forged
    forged_area = client_for(users.worker_a).get(f"/passages/records/?area={district.community_b.pk}")
    assert "没有找到出入记录" in forged_area.content.decode()
    overview = client_for(users.worker_b).get("/passages/").content.decode()
    assert re.search(r'id="stat-total">2<', overview)
    assert "幸福里小区北门" not in overview
    # The officer of 东风街道 sees A, not B (文化路街道).
    officer = client_for(users.officer).get("/passages/records/").content.decode()
    assert "幸福里小区北门" in officer and "李庄村口" not in officer


def test_the_search_finds_a_person_by_full_identity_number_and_masks_it(district, users, client_for, places):
    passage(district.person_a, places["a_north"])
    passage(district.person_a_neighbour, places["a_north"])
    number = district.numbers["a"]
    masked = number[:4] + "*" * 10 + number[-4:]
    client = client_for(users.worker_a)
    for query in (number, number.lower(), f" {number[:6]} {number[6:]} "):
        # The full number moves out of the address at once: the page is shown for ?person=<id>.
        response = client.get("/passages/records/", {"q": query, "verdict": "allow"}, follow=True)
        assert response.redirect_chain[-1][0] == f"/passages/records/?verdict=allow&person={district.person_a.pk}"
        html = response.content.decode()
        assert len(ids(html)) == 1, query
        assert "王秀英" in html and "王志强" not in html and masked in html
        assert number not in html
    for query in ("王秀英", number[-6:], number[-4:]):
        html = client.get("/passages/records/", {"q": query}).content.decode()
        assert len(ids(html)) == 1, query
        assert "王秀英" in html and "王志强" not in html and masked in html
        assert number not in html


def test_a_person_filter_does_not_name_someone_who_never_passed_here(district, users, client_for, places):
    passage(district.person_b, places["b"])
    html = client_for(users.worker_a).get(f"/passages/records/?person={district.person_b.pk}").content.decode()
    assert "李建国" not in html and "没有找到出入记录" in html


def test_a_person_from_elsewhere_is_found_where_they_passed(district, users, client_for, places):
    # 李建国 lives in B but passed a gate in A: A's worker sees that passage (it happened in A).
    passage(district.person_b, places["a_north"])
    response = client_for(users.worker_a).get("/passages/records/", {"q": district.numbers["b"]}, follow=True)
    html = response.content.decode()
    assert len(ids(html)) == 1 and "李建国" in html


def test_filters_by_place_area_time_verdict_and_direction(district, users, client_for, places):
    now = timezone.localtime()
    passage(district.person_a, places["a_north"], at=now - timedelta(days=3), verdict=Verdict.DENY)
    passage(district.person_a, places["a_north"], at=now, direction="out")
    passage(district.person_a_neighbour, places["a_south"], at=now)
    client = client_for(users.officer)

    def count(**params):
        return len(ids(client.get("/passages/records/", params).content.decode()))

    assert count() == 3
    assert count(place=places["a_south"].pk) == 1
    assert count(area=district.community_a.pk) == 3 and count(area=district.community_c.pk) == 0
    assert count(since=now.date().isoformat()) == 2
    assert count(until=(now - timedelta(days=1)).date().isoformat()) == 1
    three_days_ago = (now - timedelta(days=3)).date().isoformat()
    assert count(since=three_days_ago, until=three_days_ago) == 1
    assert count(verdict="deny") == 1
    assert count(direction="out") == 1


def test_a_bad_date_is_explained_in_chinese(users, client_for):
    html = client_for(users.worker_a).get("/passages/records/", {"since": "2026-02-30"}).content.decode()
    assert "日期格式应为 2026-03-06" in html
    html = client_for(users.worker_a).get("/passages/records/", {"since": "2026-03-06", "until": "2026-03-01"})
    html = html.content.decode()
    assert "结束日期不能早于开始日期" in html


def test_the_overview_counts_places_passages_and_hours(district, users, client_for, places):
    now = timezone.localtime()
    first = passage(district.person_a, places["a_north"], at=now.replace(hour=8, minute=31), temperature=None)
    # A correction restates the passage: it is not counted again.
    passage(district.person_a, places["a_north"], at=first.at, corrects=first, temperature=Decimal("36.5"))
    passage(district.person_a_neighbour, places["a_north"], at=now.replace(hour=8, minute=45))
    passage(district.person_a_neighbour, places["a_south"], at=now - timedelta(days=2))
    passage(district.person_b, places["b"], at=now.replace(hour=9, minute=5))
    make_place(district.community_c, "新华社区服务站")  # approved, no passages
    stats = client_for(users.officer).get("/passages/").context["stats"]
    # 东风街道: A's two approved gates and C's station are registered (the pending one is not); two have records.
    assert (stats["registered"], stats["with_records"]) == (3, 2)
    assert (stats["total"], stats["today"]) == (3, 2)
    assert stats["hours"][8] == 2 and sum(stats["hours"]) == 2
    assert [row["name"] for row in stats["top"]] == ["幸福里小区北门", "幸福里小区南门"]
    per_area = {row["area"].name: (row["today"], row["total"], row["places"]) for row in stats["per_area"]}
    assert per_area == {"幸福里社区": (2, 3, 2), "新华社区": (0, 0, 0)}
    listed = {row["name"]: row["total"] for row in stats["places"]}
    assert listed == {"幸福里小区北门": 2, "幸福里小区南门": 1, "新华社区服务站": 0}
    district_view = client_for(users.admin).get("/passages/")
    html = district_view.content.decode()
    assert "场所 已登记 4 个，有出入记录 3 个" in html
    assert "vendor/echarts.min.js" in html and 'id="hours-data"' in html
    per_subdistrict = {row["area"].name: row["total"] for row in district_view.context["stats"]["per_area"]}
    assert per_subdistrict == {"东风街道": 3, "文化路街道": 1}


def test_echarts_is_loaded_only_on_the_overview(users, client_for):
    client = client_for(users.worker_a)
    assert "echarts" not in client.get("/passages/records/").content.decode()
    assert "echarts" not in client.get("/").content.decode()
    assert client.get("/static/vendor/echarts.min.js").status_code == 200


def test_the_records_page_costs_the_same_queries_for_5_or_50_rows(
        district, users, client_for, places, django_assert_max_num_queries):
    client = client_for(users.worker_a)
    persons = district.persons_a
    many_passages(persons, places["a_north"], 5)
    client.get("/passages/records/")
    with django_assert_max_num_queries(30) as few:
        assert len(ids(client.get("/passages/records/").content.decode())) == 5
    many_passages(persons, places["a_south"], 120)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/passages/records/").content.decode()
    assert len(ids(html)) == 50
    assert "共 125 条" in html and "更早的记录" in html


def test_pages_continue_after_the_last_row_shown_without_gaps_or_repeats(district, users, client_for, places):
    many_passages(district.persons_a, places["a_north"], 120, step=timedelta(0))  # all at the same moment
    client = client_for(users.worker_a)
    seen, url = [], "/passages/records/?direction=in"
    for _ in range(5):
        html = client.get(url).content.decode()
        seen += [int(pk) for pk in re.findall(r'data-row="(\d+)"', html)]
        more = re.search(r'href="\?([^"]*before=\d+)"', html)
        if not more:
            break
        url = "/passages/records/?" + more[1].replace("&amp;", "&")
        assert "direction=in" in url
    assert "回到最新" in html
    expected = list(Passage.objects.filter(direction="in").order_by("-at", "-id").values_list("pk", flat=True))
    assert seen == expected and len(seen) == 60


def test_large_results_are_not_counted_to_the_last_row(district, users, client_for, places, monkeypatch):
    from fangkong.passes import backoffice

    monkeypatch.setattr(backoffice, "COUNT_CAP", 20)
    many_passages(district.persons_a, places["a_north"], 30)
    html = client_for(users.worker_a).get("/passages/records/").content.decode()
    assert "共 20+ 条" in html
    assert len(ids(html)) == 30


def test_checkpoint_staff_and_residents_have_no_back_office(district, client_for, places):
    guard = checkpoint_user("guard_office", district.community_a, places["a_north"])
    assert client_for(guard).get("/passages/").status_code == 403
    assert client_for(guard).get("/passages/records/").status_code == 403
    assert Client().get("/passages/")["Location"].startswith("/login/")


def test_the_nav_shows_station_and_records_to_whom_they_belong(district, users, client_for, places):
    guard = checkpoint_user("guard_nav", district.community_a, places["a_north"])
    guard_home = client_for(guard).get("/").content.decode()
    assert 'href="/station/"' in guard_home and 'href="/passages/"' not in guard_home
    leader_home = client_for(users.leader).get("/").content.decode()
    assert 'href="/passages/"' in leader_home and 'href="/station/"' not in leader_home


def test_passages_stay_the_same_rows_after_a_search(district, users, client_for, places):
    """Searching never changes anything: the back office only reads."""
    passage(district.person_a, places["a_north"])
    before = list(Passage.objects.values())
    client_for(users.worker_a).get("/passages/records/", {"q": "王"})
    assert list(Passage.objects.values()) == before
