"""Fixtures shared by the 一区一码 tests: a compound gate and the guard posted at it."""

import pytest
from office_helpers import checkpoint_user, make_place


@pytest.fixture
def gate(district):
    return make_place(district.community_a, "幸福里小区北门")


@pytest.fixture
def guard(district, gate):
    return checkpoint_user("guard_a", district.community_a, gate)


@pytest.fixture
def station_guard(client_for, guard):
    """The guard's logged-in client at the station."""
    return client_for(guard)
