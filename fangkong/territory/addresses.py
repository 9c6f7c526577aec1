"""Addresses named in spreadsheets, found or created in bulk: compound → building → unit → household.

Shared by the territory import (one row per household) and the ledger import (one row per person,
many rows per household). Everything existing in the communities concerned is read once, the
missing rows are created level by level with bulk_create, so an import costs a few queries, not a
few per row.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import Building, Compound, Grid, Household, Unit

# The levels below the community, in order: each needs the one before it.
LEVELS = ["compound", "building", "unit"]


@dataclass
class Address:
    area_id: int  # the community
    compound: str = ""
    building: str = ""
    unit: str = ""
    room: str = ""
    address: str = ""
    floor: int | None = None
    grid: Grid | None = None

    @property
    def full_address(self) -> str:
        return self.address or "".join(filter(None, [self.compound, self.building, self.unit, self.room]))

    @property
    def household_key(self):
        """Which dwelling the row names (None: none): a room in a unit, or else an address in the community."""
        if not (self.room or self.address):
            return None
        if self.unit:
            return (self.area_id, self.compound, self.building, self.unit, self.room)
        return (self.area_id, "", "", "", self.full_address)


def check_levels(number, row, chain, labels, errors):
    """Levels filled from left to right (a building needs its compound…), and a dwelling outside a unit
    needs an address. `row` holds text by key, `chain` the keys in order, `labels` their column names."""
    for index, key in enumerate(chain):
        previous = chain[index - 1] if index else None
        if row.get(key) and previous and not row.get(previous):
            errors.add(number, labels[previous], _("填写了“%(child)s”，必须先填写“%(parent)s”") % {
                "child": labels[key], "parent": labels[previous]})
    if row.get("room") and not row.get("unit") and not row.get("address"):
        errors.add(number, labels["address"], _("没有小区楼栋单元的住户必须填写地址"))


class AddressBook:
    """The compounds, buildings, units and households of some communities, by name."""

    def __init__(self, area_ids):
        area_ids = set(area_ids)
        self.compounds = {(c.area_id, c.name): c for c in Compound.objects.filter(area_id__in=area_ids)}
        self.buildings = {(b.compound.area_id, b.compound.name, b.name): b for b in
                          Building.objects.filter(compound__area_id__in=area_ids).select_related("compound")}
        self.units = {(u.building.compound.area_id, u.building.compound.name, u.building.name, u.name): u for u in
                      Unit.objects.filter(building__compound__area_id__in=area_ids)
                      .select_related("building__compound")}
        self.households = {}
        rows = Household.objects.filter(area_id__in=area_ids).values_list(
            "pk", "area_id", "address", "room", "unit__name", "unit__building__name", "unit__building__compound__name")
        for pk, area_id, address, room, unit, building, compound in rows.iterator(chunk_size=5000):
            key = (area_id, compound, building, unit, room) if unit else (area_id, "", "", "", address)
            self.households[key] = pk
        self.pending: list[Address] = []

    def existing_household(self, address: Address) -> int | None:
        """The id of the household the address names, if it exists already."""
        key = address.household_key
        return self.households.get(key) if key else None

    def add(self, address: Address):
        """Create what this address names and is missing, at the next save()."""
        self.pending.append(address)

    def household_id(self, address: Address) -> int | None:
        """After save(): the id of the household the address names (None if it names none)."""
        key = address.household_key
        return self.households.get(key) if key else None

    def save(self) -> dict:
        """Create the missing levels, then the missing households; the counts of what was created."""
        created = dict.fromkeys(["compounds", "buildings", "units", "households"], 0)
        new, grids_set = {}, {}
        for a in self.pending:
            key = (a.area_id, a.compound)
            if a.compound and key not in self.compounds and key not in new:
                new[key] = Compound(area_id=a.area_id, name=a.compound)
        created["compounds"] = self._create(Compound, new, self.compounds)
        new = {}
        for a in self.pending:
            if not (a.compound and a.building):
                continue
            key = (a.area_id, a.compound, a.building)
            building = self.buildings.get(key)
            if building is None:
                if key not in new:
                    new[key] = Building(compound=self.compounds[key[:2]], name=a.building, grid=a.grid)
            elif a.grid is not None and building.grid_id is None:
                building.grid = a.grid
                grids_set[building.pk] = building
        created["buildings"] = self._create(Building, new, self.buildings)
        if grids_set:
            Building.objects.bulk_update(list(grids_set.values()), ["grid"], batch_size=2000)
        new = {}
        for a in self.pending:
            if a.compound and a.building and a.unit:
                key = (a.area_id, a.compound, a.building, a.unit)
                if key not in self.units and key not in new:
                    new[key] = Unit(building=self.buildings[key[:3]], name=a.unit)
        created["units"] = self._create(Unit, new, self.units)
        new = {}
        for a in self.pending:
            key = a.household_key
            if key is None or key in self.households or key in new:
                continue
            unit = self.units[(a.area_id, a.compound, a.building, a.unit)] if a.unit else None
            new[key] = Household(area_id=a.area_id, grid=a.grid, unit=unit, room=a.room, address=a.full_address,
                                 floor=a.floor)
        Household.objects.bulk_create(list(new.values()), batch_size=2000)
        self.households.update({key: household.pk for key, household in new.items()})
        created["households"] = len(new)
        self.pending = []
        return created

    @staticmethod
    def _create(model, new: dict, known: dict) -> int:
        model.objects.bulk_create(list(new.values()), batch_size=2000)
        known.update(new)
        return len(new)
