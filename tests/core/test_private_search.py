"""A person searched for by number: the number travels in a POST and stays out of every address (the address bar,
the history, the page's links, the access log); the result page is an ordinary GET by a short key."""

import re

from django.test import Client
from django.utils import timezone

from fangkong.passes.models import Channel, Direction, Passage, Place, PlaceKind, PlaceState, Verdict


def search(client, path, **fields):
    return client.post(path, {"_search": "1", **fields})


def hrefs(response) -> str:
    return " ".join(re.findall(r'(?:href|action)="([^"]*)"', response.content.decode()))


def test_a_number_searched_on_the_people_page_never_enters_an_address(users, district, client_for):
    client = client_for(users.worker_a)
    number = district.numbers["a"]
    response = search(client, "/people/", q=number, page="3")
    assert response.status_code == 303
    location = response["Location"]
    assert re.fullmatch(r"/people/\?qk=[\w-]{8}", location), location
    page = client.get(location)
    assert page.status_code == 200
    assert district.person_a.name in page.content.decode()
    assert number not in hrefs(page)
    assert f'value="{number}"' in page.content.decode()  # the search box shows what was searched for
    assert f'value="{number}"' in client.get(location).content.decode()  # and so does a reload


def test_other_filters_stay_in_the_address_and_an_empty_search_keeps_no_key(users, district, client_for):
    client = client_for(users.worker_a)
    response = search(client, "/people/", q="", area=str(district.community_a.pk))
    assert response.status_code == 303 and response["Location"] == f"/people/?area={district.community_a.pk}"


def test_the_key_is_of_no_use_in_another_session(users, district, client_for):
    location = search(client_for(users.worker_a), "/people/", q=district.numbers["a"])["Location"]
    other = client_for(users.worker_a).get(location)  # the same user, another browser
    assert other.status_code == 200
    assert district.numbers["a"] not in other.content.decode()


def test_a_search_is_a_post_like_any_other_and_needs_the_csrf_token(users, district):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.worker_a)
    assert search(client, "/people/", q=district.numbers["a"]).status_code == 403


def test_a_number_searched_among_passages_ends_at_the_person_without_passing_through_an_address(
        users, district, client_for):
    gate = Place.objects.create(area=district.community_a, name="幸福里小区北门", kind=PlaceKind.COMPOUND_GATE,
                                address="文化路12号", contact_name="张三", state=PlaceState.APPROVED)
    Passage.objects.create(person=district.person_a, place=gate, area=gate.area, at=timezone.now(),
                           direction=Direction.IN, verdict=Verdict.ALLOW, channel=Channel.API)
    client = client_for(users.worker_a)
    number = district.numbers["a"]
    first = search(client, "/passages/records/", q=number)
    assert first.status_code == 303 and number not in first["Location"]
    second = client.get(first["Location"])
    assert second.status_code == 302 and second["Location"] == f"/passages/records/?person={district.person_a.pk}"
    page = client.get(second["Location"])
    assert page.status_code == 200 and 'data-row="' in page.content.decode()
