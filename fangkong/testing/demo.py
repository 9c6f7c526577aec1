"""A testing campaign in progress for the demo district: sites with teams, yesterday's round sampled and
resulted (two pools positive, their members yellow with retests pending, one retested negative), today's
round under way with results pending, a few exemptions, and people not yet tested."""

import datetime

from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.people.models import Person
from fangkong.territory.models import AreaLevel

from . import services
from .models import Campaign, Duty, Pooling, Sample, Tube

SHARE_ROUND_1 = 0.88  # of residents sampled yesterday
SHARE_ROUND_2 = 0.35  # sampled so far today
POSITIVE_POOLS = 2
EXEMPT_REASONS = ["长期卧床，上门采样", "外出未归", "婴儿（3个月）"]


def _at(day, rng):
    """A time of day on `day` weighted to the morning rush (07:00-11:00), the rest until 19:00."""
    hour = rng.choice([7, 7, 8, 8, 8, 9, 9, 10, 11, 12, 14, 15, 16, 17, 18])
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, rng.randrange(60))))


def _sample(campaign, round_, sites, persons, day, rng, user, prefix):
    """Sample `persons` household by household into 10-in-1 tubes at the site of their community."""
    site_of = {site.area_id: site for site in sites}
    tubes, members = [], []
    for person in sorted(persons, key=lambda p: (p.area_id, p.household_id or 0, p.pk)):
        site = site_of.get(person.area_id, sites[0])
        if not tubes or tubes[-1][0].site_id != site.pk or len(tubes[-1][1]) >= 10:
            at = min(_at(day, rng), timezone.now())  # today: nobody was sampled in the future
            tube = Tube(barcode=f"{prefix}{len(tubes) + 1:06d}", campaign=campaign, round=round_, site=site,
                        pooling=Pooling.TEN, pool_size=10, opened_by=user, opened_at=at, sealed_at=at)
            tubes.append((tube, []))
        tubes[-1][1].append(person)
    Tube.objects.bulk_create([tube for tube, _persons in tubes], batch_size=2000)
    for tube, group in tubes:
        tube.size = len(group)
        for n, person in enumerate(group):
            members.append(Sample(tube=tube, person=person, campaign=campaign, round=round_, site=tube.site,
                                  sampled_at=tube.opened_at + datetime.timedelta(seconds=40 * n), sampled_by=user))
    Tube.objects.bulk_update([tube for tube, _persons in tubes], ["size"], batch_size=2000)
    Sample.objects.bulk_create(members, batch_size=5000)
    return [tube for tube, _persons in tubes]


def build(district, rng, users):
    """Create the campaign once; `users` is the demo's [(user, role)]."""
    if Campaign.objects.filter(area__path__startswith=district.path).exists():
        return
    by_role = {}
    for user, role in users:
        by_role.setdefault(role, user)
    officer = by_role.get(Role.SUBDISTRICT_OFFICER) or by_role[Role.DISTRICT_ADMIN]
    admin = by_role[Role.DISTRICT_ADMIN]
    lab = by_role.get(Role.LAB_STAFF)
    subdistrict = officer.area if officer.area.level == AreaLevel.SUBDISTRICT else district.children.first()
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    campaign = services.create_campaign(name=f"{subdistrict.name}全员核酸检测", area=subdistrict, starts_on=yesterday,
                                        ends_on=today + datetime.timedelta(days=1), user=officer)
    round_1, round_2 = campaign.rounds.order_by("number")[:2]
    communities = list(subdistrict.children.order_by("pk"))
    sites = [services.create_site(campaign, name=f"{c.name}采样点", area=c, address=f"{c.name}党群服务中心门前",
                                  user=officer) for c in communities]
    if lab is not None:
        services.add_team_member(sites[0], lab, Duty.SAMPLER, officer)
    services.add_team_member(sites[0], officer, Duty.RECORDER, officer)
    residents = list(Person.objects.in_area(subdistrict).in_ledger().only("pk", "area_id", "household_id")
                     .order_by("pk"))
    for person in rng.sample(residents, min(3, len(residents))):
        services.exempt(campaign, Person.objects.get(pk=person.pk), rng.choice(EXEMPT_REASONS), officer)

    round_1_persons = [p for p in residents if rng.random() < SHARE_ROUND_1]
    tubes = _sample(campaign, round_1, sites, round_1_persons, yesterday, rng, lab or officer, "D1-")
    positive = set(t.pk for t in rng.sample(tubes, min(POSITIVE_POOLS, len(tubes))))
    result_at = timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(22, 30)))
    lab_name = "区疾控中心实验室"
    rows = [services.ResultRow(n, t.barcode, "positive" if t.pk in positive else "negative", result_at, lab_name)
            for n, t in enumerate(tubes, start=1)]
    services.apply_results(rows, user=admin, reference="demo")

    # One member of a positive pool came for a single-tube retest this morning and was negative.
    from .models import RetestTask

    task = RetestTask.objects.open().filter(campaign=campaign).select_related("site", "person").first()
    if task is not None:
        retest = services.register_tube(task.site, "D-R000001", admin, retest=True)
        services.add_to_tube(retest, task.person, admin)
        services.seal_tube(retest, admin)
        services.apply_results([{"barcode": retest.barcode, "result": "阴性", "at": timezone.now()}], user=admin,
                               reference="demo")

    # Today's round: a third of the residents so far, results pending.
    round_2_persons = [p for p in residents if rng.random() < SHARE_ROUND_2]
    _sample(campaign, round_2, sites, round_2_persons, today, rng, lab or officer, "D2-")
