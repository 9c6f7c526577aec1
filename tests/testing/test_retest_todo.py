"""The home page of those who retest: the sites with members of positive pools still waiting, each a link."""

from fangkong.testing import services
from fangkong.testing.models import RetestTask
from tests.core.todos import todo_items
from tests.testing.helpers import fill


def test_open_retests_wait_on_the_home_page_of_the_sampler_and_the_community(setup, district, users, client_for):
    tube = fill(services.register_tube(setup.site, "P-0001", setup.sampler), district.persons_a, setup.sampler)
    for person in district.persons_a[:2]:
        RetestTask.objects.create(person=person, campaign=setup.campaign, from_tube=tube, site=setup.site)
    for user in (setup.sampler, users.worker_a, users.officer):
        client = client_for(user)
        items = todo_items(client.get("/").content.decode())
        assert items["retests_open"] == ("幸福里小区北门采样点：2 人待单管复检 ›",
                                         f"/testing/sites/{setup.site.pk}/retests/"), user
        assert client.get(items["retests_open"][1]).status_code == 200
    # Another campaign's sampler and the other village's worker have nothing to retest here.
    for user in (setup.other_sampler, users.worker_b):
        assert "retests_open" not in todo_items(client_for(user).get("/").content.decode()), user
