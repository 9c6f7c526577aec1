"""The pages: officers set up a campaign; sampling staff fill a tube on the site page."""

from fangkong.audit.models import AuditAction, AuditEvent
from fangkong.testing.models import Campaign, Sample, Tube
from tests import viewtests


class TestSitePages(viewtests.OutsideScopeTests):
    """A sampler of another campaign does not find the site, nor can they fill its tubes."""

    outside_requests = ["/testing/sites/{pk}/", ("POST", "/testing/sites/{pk}/tubes/", {"barcode": "W-0002"})]

    viewer_user = viewtests.pick("setup", "other_sampler")
    outside = viewtests.pick("setup", "site")


def test_an_officer_creates_a_campaign_with_a_site_and_a_team(district, users, client_for, setup):
    client = client_for(users.officer)
    assert client.get("/testing/").status_code == 200
    bad = client.post("/testing/new/", {"name": "新一轮", "area": district.subdistrict.pk, "starts_on": "2022-03-08",
                                        "ends_on": "2022-03-06", "pooling": "10"})
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.content.decode()
    made = client.post("/testing/new/", {"name": "新一轮", "area": district.subdistrict.pk,
                                         "starts_on": "2022-03-06", "ends_on": "2022-03-08", "pooling": "20"})
    campaign = Campaign.objects.get(name="新一轮")
    assert made.status_code == 302 and campaign.rounds.count() == 3
    added = client.post(f"/testing/{campaign.pk}/sites/new/", {
        "name": "新华社区采样点", "area": district.community_c.pk, "opens": "07:00", "closes": "19:00"})
    assert added.status_code == 302
    site = campaign.sites.get()
    team = client.post(f"/testing/{campaign.pk}/team/", {"site": site.pk, "username": "sampler", "duty": "scanner"})
    assert team.status_code == 302 and site.team.get().user == setup.sampler
    nobody = client.post(f"/testing/{campaign.pk}/team/", {"site": site.pk, "username": "nobody", "duty": "scanner"})
    assert nobody.status_code == 400 and "没有这个账号" in nobody.content.decode()
    page = client.get(f"/testing/{campaign.pk}/")
    assert page.status_code == 200 and "新华社区采样点" in page.content.decode()


def test_sampling_staff_fill_a_tube_on_the_site_page(setup, district, client_for):
    client = client_for(setup.sampler)
    url = f"/testing/sites/{setup.site.pk}/"
    assert client.post(url + "tubes/", {"barcode": "W-0001"}).status_code == 302
    tube = Tube.objects.get(barcode="W-0001")
    added = client.post(url + f"tubes/{tube.pk}/add/", {"person": district.numbers["a"]})
    assert added.status_code == 302
    page = client.get(url).content.decode()
    assert "1/10" in page and "已加入 王*英（1/10）" in page
    twice = client.post(url + f"tubes/{tube.pk}/add/", {"person": district.numbers["a"]})
    assert twice.status_code == 400 and "本轮已采样（试管 W-0001）" in twice.content.decode()
    reused = client.post(url + "tubes/", {"barcode": "W-0001"})
    assert reused.status_code == 400
    sealed = client.post(url + f"tubes/{tube.pk}/seal/")
    assert sealed.status_code == 302 and Tube.objects.get(pk=tube.pk).is_sealed
    assert Sample.objects.filter(tube=tube).count() == 1


# Audited with the acting user (see tests/audit/test_explicit_actions.py) --------------------------------

def test_a_sampling_site_added_on_the_campaign_page_is_on_the_officers_account(district, users, client_for, setup):
    response = client_for(users.officer).post(f"/testing/{setup.campaign.pk}/sites/new/", {
        "name": "新华社区采样点", "area": district.community_c.pk, "opens": "07:00", "closes": "19:00"})
    assert response.status_code == 302
    site = setup.campaign.sites.get(name="新华社区采样点")
    row = audit_row(site)
    assert (row.actor, row.action) == (users.officer, AuditAction.CREATE)
    assert (row.changes["name"], row.changes["area"], row.changes["campaign"]) == (
        "新华社区采样点", district.community_c.pk, setup.campaign.pk)


def test_sealing_a_tube_on_the_site_page_is_on_the_samplers_account(district, client_for, setup):
    sampler = client_for(setup.sampler)
    url = f"/testing/sites/{setup.site.pk}/"
    sampler.post(url + "tubes/", {"barcode": "W-0001"})
    tube = Tube.objects.get(barcode="W-0001")
    sampler.post(url + f"tubes/{tube.pk}/add/", {"person": district.numbers["a"]})
    assert sampler.post(url + f"tubes/{tube.pk}/seal/").status_code == 302
    tube.refresh_from_db()
    row = audit_row(tube)
    assert (row.actor, row.action) == (setup.sampler, AuditAction.UPDATE)
    assert row.changes == {"sealed_at": tube.sealed_at.isoformat(), "size": 1}


def test_closing_a_campaign_is_on_the_closers_account(users, setup):
    """No page closes a campaign yet; the service is ready for the one that will."""
    from fangkong.testing import services

    services.close_campaign(setup.campaign, users.admin)
    row = AuditEvent.objects.filter(object_type="testing.Campaign", object_id=str(setup.campaign.pk)).first()
    assert (row.actor, row.action, row.changes) == (users.admin, AuditAction.UPDATE, {"state": ["active", "closed"]})


def audit_row(obj):
    [row] = AuditEvent.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk))
    return row
