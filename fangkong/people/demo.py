"""Rentals, tenants and vulnerable persons for the demo district, so the ledger pages have something to show.

The district reports counted 2,300 rentals in one district; the demo lets about one dwelling in
fifteen, leaves some letters unsigned and some tenants unregistered, and has grid workers visiting
the elderly who live alone, some of them not for weeks.
"""

from datetime import timedelta

from django.utils import timezone

from fangkong.territory.models import Household

from .models import Care, CareGroup, HouseholdRole, Person, Rental, RentalState, Residency, Tenancy, Visit

LANDLORDS = "王李张刘陈杨赵黄周吴徐孙"
VISIT_NOTES = ["身体状况良好，生活物资充足", "已送药上门", "提醒按时测温，已登记", "子女电话联系，情况正常",
               "协助网上预约核酸检测"]


def build(district, rng, workers):
    """Create rentals and care records once; `workers` maps community id to the users who visit there."""
    if Rental.objects.in_area(district).exists():
        return
    today = timezone.localdate()
    households = list(Household.objects.in_area(district).order_by("pk"))
    residents = {}
    ledger = Person.objects.in_area(district).in_ledger()
    for person in ledger.only("pk", "household_id", "birth_date", "sex", "area_id"):
        residents.setdefault(person.household_id, []).append(person)
    rentals, tenancies, tenants = [], [], []
    for household in rng.sample(households, len(households) // 15):
        people = residents.get(household.pk, [])
        state = RentalState.RENTED if people or rng.random() < 0.3 else RentalState.VACANT
        rental = Rental(household=household, landlord_name=rng.choice(LANDLORDS) + rng.choice("建国秀英志强桂兰"),
                        state=state)
        rental.set_landlord_phone(f"1990002{rng.randint(0, 9999):04d}")
        if rng.random() < 0.7:
            rental.letter_signed_on = today - timedelta(days=rng.randint(5, 400))
        rentals.append(rental)
        if state == RentalState.RENTED and rng.random() < 0.9:
            moved_in = today - timedelta(days=rng.randint(3, 700))
            for person in people:
                tenancies.append((rental, person, moved_in))
                person.household_role, person.residency = HouseholdRole.TENANT, Residency.FLOATING
                tenants.append(person)
    Rental.objects.bulk_create(rentals, batch_size=2000)
    Tenancy.objects.bulk_create([Tenancy(rental=r, person=p, moved_in=d) for r, p, d in tenancies], batch_size=2000)
    Person.objects.bulk_update(tenants, ["household_role", "residency"], batch_size=2000)
    _cares(residents, rng, workers, today)


def _group_for(person, today, rng):
    age = (today - person.birth_date).days // 365 if person.birth_date else 40
    if age >= 70:
        return CareGroup.ELDERLY_ALONE
    if age <= 14:
        return CareGroup.LEFT_BEHIND_CHILD
    if person.sex == "F" and 22 <= age <= 38 and rng.random() < 0.4:
        return CareGroup.PREGNANT
    return rng.choice([CareGroup.DISABLED, CareGroup.CHRONIC])


def _cares(residents, rng, workers, today):
    cares, visits = [], []
    for people in residents.values():
        for person in people:
            if rng.random() >= 0.03:
                continue
            staff = workers.get(person.area_id) or workers.get(None)
            worker = rng.choice(staff)
            last = None if rng.random() < 0.15 else today - timedelta(days=rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 35]))
            cares.append(Care(person=person, group=_group_for(person, today, rng), worker=worker,
                              last_visited_on=last))
            if last is not None:
                for back in (0, 7, 14):
                    visits.append(Visit(person=person, visited_on=last - timedelta(days=back), by=worker,
                                        note=rng.choice(VISIT_NOTES)))
    Care.objects.bulk_create(cares, batch_size=2000)
    Visit.objects.bulk_create(visits, batch_size=2000)
