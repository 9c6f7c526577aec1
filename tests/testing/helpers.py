"""Helpers shared by the testing app's tests."""


def fill(tube, persons, user):
    """Put `persons` into `tube` and seal it, as the site page does."""
    from fangkong.testing import services

    for person in persons:
        services.add_to_tube(tube, person, user)
    return services.seal_tube(tube, user)
