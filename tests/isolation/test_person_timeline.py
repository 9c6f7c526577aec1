"""The person's page shows their isolation history (people.sections, registered by isolation): orders, transfer,
room, monitoring entries and release, newest first, in a constant number of queries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangkong.isolation import services
from fangkong.people.sections import PERSON_SECTIONS
from tests.isolation.conftest import days_ago, isolate


def test_isolation_registers_its_section_with_the_person_page():
    assert services.person_section in PERSON_SECTIONS


def test_the_person_page_shows_orders_transfer_room_checks_and_release_newest_first(district, users, sites,
                                                                                    client_for, negative_results):
    person = district.person_a
    first = isolate(person, users.worker_a, start_days_ago=20, reason="密接")
    services.change_state(first, "cancelled", user=users.worker_a, reason="排除密接")
    order = isolate(person, users.worker_a, kind="centralized", start_days_ago=14, reason="同楼栋阳性")
    batch = services.create_transfer(user=users.worker_a, from_area=district.community_a, to_site=sites.hotel,
                                     vehicle="豫A12345", driver="张师傅", departs_at=timezone.now(), orders=[order])
    services.receive_transfer(batch, user=sites.staff)
    services.allocate_room(order, sites.rooms[0], user=sites.staff)
    services.check_in(order, user=sites.staff)
    services.record_check(order, temperature="36.6", at=timezone.now())
    negative_results(person, 0, 1)
    services.request_release(order, user=users.worker_a)
    page = client_for(users.worker_a)
    html = page.get(f"/people/{person.pk}/").content.decode()
    section = html[html.index('id="isolation-history"'):]
    for text in ("下达集中隔离：同楼栋阳性", "转运：豫A12345 前往 如家酒店隔离点", "入住 如家酒店隔离点 101 房间",
                 "上午测温 36.6 ℃" if timezone.localtime().hour < 12 else "下午测温 36.6 ℃", "已解除",
                 "下达居家隔离：密接", "已撤销：排除密接", "本人"):
        assert text in section, text
    assert section.index("已解除") < section.index("下达集中隔离") < section.index("已撤销：排除密接")
    assert str(days_ago(20)) in section


def test_the_section_reads_the_same_queries_for_one_order_or_many_and_is_absent_without_orders(district, users,
                                                                                             client_for):
    page = client_for(users.worker_a)
    url = f"/people/{district.person_a.pk}/"
    assert 'id="isolation-history"' not in page.get(url).content.decode()
    order = isolate(district.person_a, users.worker_a, start_days_ago=3)
    page.get(url)
    with CaptureQueriesContext(connection) as one:
        page.get(url)
    services.record_check(order, temperature="36.5", at=timezone.now())
    services.change_state(order, "cancelled", user=users.worker_a, reason="误报")
    isolate(district.person_a, users.worker_a)
    with CaptureQueriesContext(connection) as many:
        html = page.get(url).content.decode()
    assert 'id="isolation-history"' in html and len(many.captured_queries) == len(one.captured_queries)
