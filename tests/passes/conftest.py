"""Fixtures shared by the 一区一码 tests (the gate and its guard are in tests/conftest.py)."""

import pytest


@pytest.fixture
def station_guard(client_for, guard):
    """The guard's logged-in client at the station."""
    return client_for(guard)
