"""A grid worker on a 360 px phone: find a rental, add a tenant by identity number; record a care visit."""

import datetime

import pytest
from playwright.sync_api import expect

from .conftest import assert_clean, login, no_horizontal_scroll, resident_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


@pytest.fixture
def grid_worker(small_district):
    """网格员 of 幸福里 第一网格, which holds household_a."""
    from fangkong.accounts.roles import Role
    from fangkong.territory.models import Grid

    from .conftest import _user

    grid = Grid.objects.create(area=small_district.community_a, name="第一网格", level=1)
    small_district.household_a.grid = grid
    small_district.household_a.save()
    user = _user("grid_worker", "网格员小王", Role.GRID_WORKER, small_district.community_a)
    user.grid = grid
    user.save()
    grid.members.add(user)
    return user


def test_grid_worker_adds_a_tenant_on_a_phone(live_server, phone, small_district, grid_worker):
    from fangkong.people import rentals
    from fangkong.people.models import HouseholdRole, Tenancy

    from .conftest import _person

    page = phone.page
    rental = rentals.register_rental({"household": small_district.household_a, "landlord_name": "刘德明",
                                      "landlord_phone": "13903715678"}, user=small_district.worker_a)
    rentals.register_rental({"household": small_district.household_b, "landlord_name": "李老三",
                             "landlord_phone": "13837150000"}, user=small_district.worker_b)
    number = resident_id(datetime.date(1998, 7, 1), 357)
    tenant = _person("周小川", number, small_district.community_a, small_district.household_a)

    login(phone, live_server, "grid_worker")
    page.goto(f"{live_server.url}/rentals/")
    expect(page.locator("#rental-count")).to_contain_text("共 1 处")
    rows = page.locator("#rentals tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("刘德明")
    expect(rows.first).to_contain_text("139****5678")
    expect(rows.first).to_contain_text("租户未登记")
    assert "李老三" not in page.content() and "13903715678" not in page.content()
    no_horizontal_scroll(page)

    page.click("#rentals >> text=幸福里小区1号楼1单元101")
    page.wait_for_url(f"**/rentals/{rental.pk}/")
    expect(page.locator("#current-tenants")).to_contain_text("暂无在住租户")
    no_horizontal_scroll(page)

    page.fill("#tenant-form input[name=id_number]", number)
    page.click("#tenant-form button[type=submit]")
    page.wait_for_url(f"**/rentals/{rental.pk}/")
    expect(page.locator(".messages")).to_contain_text("已登记租户 周小川")
    expect(page.locator("#current-tenants")).to_contain_text("周小川")
    expect(page.locator("#current-tenants")).to_contain_text(number[:4] + "*" * 10 + number[-4:])
    assert number not in page.content()
    no_horizontal_scroll(page)
    tenancy = Tenancy.objects.get()
    assert tenancy.person == tenant and tenancy.moved_in == rentals.today()
    tenant.refresh_from_db()
    assert tenant.household_role == HouseholdRole.TENANT

    # The touch targets of the forms are big enough for gloves.
    box = page.locator("#tenant-form button[type=submit]").bounding_box()
    assert box["height"] >= 44
    assert_clean(phone)


def test_grid_worker_records_a_visit_from_the_care_list(live_server, phone, small_district, grid_worker):
    from fangkong.people import care
    from fangkong.people.models import Care, CareGroup, Visit

    page = phone.page
    row = care.add_care({"person": small_district.person_a, "group": CareGroup.ELDERLY_ALONE,
                         "worker": grid_worker}, user=small_district.worker_a)
    login(phone, live_server, "grid_worker")
    page.goto(f"{live_server.url}/care/?days=7")
    rows = page.locator("#cares tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("王秀英")
    expect(rows.first).to_contain_text("从未走访")
    no_horizontal_scroll(page)

    rows.first.get_by_role("link", name="记录走访").click()
    page.wait_for_url(f"**/care/{row.pk}/visit/**")
    expect(page.locator("#visits")).to_contain_text("暂无走访记录")
    no_horizontal_scroll(page)
    page.fill("#visit-form textarea[name=note]", "身体还好，送了米面")
    page.click("#visit-form button[type=submit]")
    page.wait_for_url("**/care/?days=7")
    expect(page.locator(".messages")).to_contain_text("已记录对 王秀英 的走访")
    # Visited today: no longer 7 天未走访.
    expect(page.locator("#cares tbody")).to_contain_text("没有符合条件的关爱对象")
    page.goto(f"{live_server.url}/care/")
    expect(page.locator("#cares tbody tr").first).to_contain_text(care.today().isoformat())
    no_horizontal_scroll(page)

    visit = Visit.objects.get()
    assert (visit.by, visit.visited_on, visit.note) == (grid_worker, care.today(), "身体还好，送了米面")
    assert Care.objects.get().last_visited_on == care.today()
    assert_clean(phone)
