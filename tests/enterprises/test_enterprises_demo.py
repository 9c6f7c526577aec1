"""The enterprises of the demo district: a park with a dozen enterprises in every state, one in closed loop with
683 on the roster and 492 on duty today (72 %), a week of check-ins, problems in every state; run once."""

import random
from io import StringIO

from django.core.management import call_command

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.enterprises import demo, services
from fangkong.enterprises.models import Application, CheckIn, Enterprise, Problem, ProblemState, State, Step
from fangkong.territory.models import Area, AreaLevel


def test_the_demo_reproduces_the_district_reports_figures(db, client):
    call_command("demo_district", "--size", "small", stdout=StringIO())
    district = Area.objects.get(level=AreaLevel.DISTRICT, name="东湖示范区")
    assert Enterprise.objects.count() == 12
    assert set(Enterprise.objects.values_list("state", flat=True)) == set(State.values)
    assert set(Application.objects.values_list("step", flat=True)) == set(Step.values)
    big = Enterprise.objects.get(closed_loop=True)
    figures = services.figures(big)
    assert (figures["roster"], figures["present"], figures["capacity"]) == (683, 492, 70)
    assert round(figures["rate"] * 100) == 72
    assert CheckIn.objects.filter(enterprise=big).values("day").distinct().count() == 7
    assert set(Problem.objects.values_list("state", flat=True)) == set(ProblemState.values)
    boss = User.objects.get(username="enterprise_admin")
    client.force_login(boss)
    page = client.get(big.get_absolute_url()).content.decode()
    assert "72%" in page and "683" in page and "492" in page
    users = [(user, Role(user.groups.get().name)) for user in User.objects.filter(groups__isnull=False)]
    demo.build(district, random.Random(7), users)  # a second run changes nothing
    assert Enterprise.objects.count() == 12
