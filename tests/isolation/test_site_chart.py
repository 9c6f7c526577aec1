"""The site page's occupancy chart: persons in rooms per day for the last 14 days and the next 7 (releases due),
drawn by ECharts from the page's JSON with no inline script."""

import datetime
import json
import re

from django.utils import timezone

from fangkong.isolation import services
from fangkong.isolation.models import IsolationOrder
from tests.isolation.conftest import isolate


def _in_room(district_person, user, sites, room, days_in, start_days_ago=10):
    order = isolate(district_person, user, kind="centralized", start_days_ago=start_days_ago)
    services.allocate_room(order, room, user=sites.staff)
    services.check_in(order, user=sites.staff, now=timezone.now() - datetime.timedelta(days=days_in))
    return IsolationOrder.objects.get(pk=order.pk)


def test_occupancy_counts_check_ins_and_outs_and_forecasts_planned_releases(district, users, sites, negative_results):
    today = timezone.localdate()
    staying = _in_room(district.person_a, users.worker_a, sites, sites.rooms[0], days_in=3)  # ends in 4 days
    leaving = _in_room(district.person_a_neighbour, users.worker_a, sites, sites.rooms[1], days_in=5,
                       start_days_ago=15)
    negative_results(district.person_a_neighbour, 1, 2)  # the tests in by the day of the release, yesterday
    services.request_release(leaving, user=users.worker_a, now=timezone.now() - datetime.timedelta(days=1))
    chart = services.site_occupancy(sites.hotel)
    assert len(chart["occupied"]) == 21 and chart["today"] == 13 and chart["capacity"] == 4
    by_day = dict(zip(chart["dates"], chart["occupied"], strict=True))
    day = lambda n: (today + datetime.timedelta(days=n)).isoformat()  # noqa: E731
    assert [by_day[day(n)] for n in (-6, -5, -4, -3, -2, -1, 0)] == [0, 1, 1, 2, 2, 1, 1]
    # the one still in leaves on their planned end (4 days from now); the follow-up home monitoring is no bed
    assert staying.planned_end == today + datetime.timedelta(days=4)
    assert [by_day[day(n)] for n in (1, 2, 3, 4, 5, 7)] == [1, 1, 1, 0, 0, 0]


def test_the_site_page_carries_the_chart_data_and_loads_echarts_locally(district, users, sites, client_for):
    _in_room(district.person_a, users.worker_a, sites, sites.rooms[0], days_in=1)
    html = client_for(sites.staff).get(f"/isolation/sites/{sites.hotel.pk}/").content.decode()
    assert 'id="occupancy-chart"' in html and "/static/vendor/echarts.min.js" in html
    assert "/static/isolation/site_chart.js" in html
    data = json.loads(re.search(r'<script id="occupancy-data" type="application/json">(.*?)</script>', html).group(1))
    assert data["occupied"][data["today"]] == 1
    # every script is a file or JSON data: nothing the CSP would refuse to run
    assert not re.findall(r"<script(?![^>]*(?:src=|application/json))[^>]*>", html)
