from dataclasses import dataclass

import pytest

from fangkong.accounts.roles import Role
from fangkong.enterprises import services
from fangkong.enterprises.defaults import CHECKLIST
from fangkong.enterprises.models import ChecklistItem, Enterprise, EnterpriseGate
from fangkong.passes.models import PlaceKind
from tests.conftest import make_user
from tests.passes.office_helpers import make_place

# Real codes (GB 32100-2015 checksums verified by hand): three enterprises of the tests.
CODES = ["91350100M000100Y43", "91110000802100433B", "91440300708461136T", "91330100799655058B"]


@dataclass
class Firms:
    factory: Enterprise  # 幸福里社区, its admin `boss`, its gate `gate`
    other: Enterprise  # 李庄村, its admin `other_boss`
    boss: object
    other_boss: object
    gate: object
    community_officer: object  # 社区 step
    subdistrict_officer: object  # 街道 step (users.officer is 东风街道)
    district_admin: object  # 区级联审


def default_checklist():
    """The migration's items (a transactional test's flush removes them)."""
    if not ChecklistItem.objects.exists():
        for position, (group, text, attachment) in enumerate(CHECKLIST, start=1):
            ChecklistItem.objects.create(group=group, text=text, needs_attachment=attachment, position=position)
    return list(ChecklistItem.objects.all())


@pytest.fixture
def firms(district, users):
    factory = Enterprise.objects.create(name="幸福里食品厂", credit_code=CODES[0], area=district.community_a,
                                        sector="manufacturing")
    other = Enterprise.objects.create(name="李庄物流园", credit_code=CODES[1], area=district.community_b,
                                      sector="logistics")
    boss = make_user("boss", Role.ENTERPRISE_ADMIN, district.community_a, full_name="食品厂管理员")
    other_boss = make_user("other_boss", Role.ENTERPRISE_ADMIN, district.community_b, full_name="物流园管理员")
    factory.admins.add(boss)
    other.admins.add(other_boss)
    gate = make_place(district.community_a, "食品厂北门", kind=PlaceKind.ENTERPRISE_GATE, measures_temperature=False,
                      records_exit=True)
    EnterpriseGate.objects.create(place=gate, enterprise=factory)
    return Firms(factory=factory, other=other, boss=boss, other_boss=other_boss, gate=gate,
                 community_officer=users.worker_a, subdistrict_officer=users.officer, district_admin=users.admin)


def hire(enterprise, person, user, **fields):
    return services.add_employee(enterprise, {"name": person.name, "id_number": person.id_number, **fields},
                                 user=user)
