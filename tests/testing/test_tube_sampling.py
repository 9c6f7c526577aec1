"""Tubes and samples: one barcode once, never over the pool size, one sample per person per round."""

import pytest
from django.core.exceptions import ValidationError

from fangkong.testing import services
from fangkong.testing.models import Pooling, Sample, Tube
from tests.conftest import numbered_name
from tests.testing.helpers import fill


def test_a_tube_barcode_is_used_once_across_campaigns(setup):
    services.register_tube(setup.site, "t-0001", setup.sampler)
    with pytest.raises(ValidationError) as refused:
        services.register_tube(setup.other_site, " T-0001 ", setup.other_sampler)
    assert "试管条码已使用" in str(refused.value)
    assert Tube.objects.count() == 1


def test_a_pool_holds_no_more_than_its_size(setup, make_person, district):
    tube = services.register_tube(setup.site, "T-0002", setup.sampler)
    assert (tube.pooling, tube.pool_size) == (Pooling.TEN, 10)
    persons = [make_person(numbered_name("居民", n), district.community_a, district.household_a101) for n in range(11)]
    for person in persons[:10]:
        services.add_to_tube(tube, person, setup.sampler)
    with pytest.raises(ValidationError) as refused:
        services.add_to_tube(tube, persons[10], setup.sampler)
    assert "该试管已满（10/10）" in str(refused.value)
    tube.refresh_from_db()
    assert tube.size == 10 and tube.samples.count() == 10
    assert not Sample.objects.filter(person=persons[10]).exists()


def test_a_person_is_sampled_once_per_round_and_the_first_tube_is_named(setup, district):
    first = services.register_tube(setup.site, "T-0003", setup.sampler)
    services.add_to_tube(first, district.numbers["a"], setup.sampler)  # typed identity number
    second = services.register_tube(setup.site, "T-0004", setup.sampler)
    with pytest.raises(ValidationError) as refused:
        services.add_to_tube(second, district.person_a, setup.sampler)
    assert "T-0003" in str(refused.value) and "本轮已采样" in str(refused.value)
    assert Sample.objects.filter(person=district.person_a).count() == 1
    second.refresh_from_db()
    assert second.size == 0


def test_bad_identity_numbers_and_sealed_tubes_are_refused_clearly(setup, district):
    tube = services.register_tube(setup.site, "T-0005", setup.sampler)
    bad = district.numbers["a"][:-1] + ("0" if district.numbers["a"][-1] != "0" else "1")
    with pytest.raises(ValidationError, match="校验位"):
        services.add_to_tube(tube, bad, setup.sampler)
    with pytest.raises(ValidationError, match="空试管不能封管"):
        services.seal_tube(tube, setup.sampler)
    fill(tube, [district.person_a], setup.sampler)
    with pytest.raises(ValidationError, match="已封管"):
        services.add_to_tube(tube, district.person_a_neighbour, setup.sampler)


def test_persons_from_outside_the_campaign_are_sampled_with_a_note(setup, district):
    tube = services.register_tube(setup.site, "T-0006", setup.sampler)
    sample = services.add_to_tube(tube, district.person_b, setup.sampler)  # lives in 李庄村
    assert sample.note == "非本次检测范围人员"


def test_single_tube_zones_and_household_tubes(setup, district, users):
    services.set_zone_pooling(setup.campaign, district.community_a, Pooling.HOUSEHOLD, users.officer)
    tube = services.register_tube(setup.site, "T-0007", setup.sampler)
    assert tube.pooling == Pooling.HOUSEHOLD
    services.add_to_tube(tube, district.person_a, setup.sampler)
    with pytest.raises(ValidationError, match="一户一管"):
        services.add_to_tube(tube, district.person_a_neighbour, setup.sampler)  # another household


def test_a_retest_tube_needs_an_open_retest_task(setup, district):
    tube = services.register_tube(setup.site, "R-0001", setup.sampler, retest=True)
    assert tube.pool_size == 1 and tube.round is None
    with pytest.raises(ValidationError, match="没有待复检任务"):
        services.add_to_tube(tube, district.person_a, setup.sampler)


def test_a_scanned_pass_code_or_its_short_number_puts_its_person_in_the_tube(setup, district):
    from fangkong.healthcode import passcode

    tube = services.register_tube(setup.site, "T-0008", setup.sampler)
    sample = services.add_to_tube(tube, passcode.issue(district.person_a).token, setup.sampler)
    assert sample.person == district.person_a
    sample = services.add_to_tube(tube, passcode.issue(district.person_a_neighbour).short, setup.sampler)
    assert sample.person == district.person_a_neighbour
    with pytest.raises(ValidationError) as refused:
        services.add_to_tube(tube, "FK1" + "A" * 40, setup.sampler)
    assert refused.value.message_dict["person"]
    tube.refresh_from_db()
    assert tube.size == 2
