"""Lab results: all or nothing with row errors, idempotent, and the colours and retests they lead to."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fangkong.core import imports
from fangkong.core.models import ImportJob, JobStatus
from fangkong.healthcode.models import HealthStatus
from fangkong.testing import services
from fangkong.testing.models import RetestState, RetestTask, Tube, TubeResult
from tests.testing.helpers import fill

HEADER = ["试管条码", "检测结果", "检测时间", "检测机构"]


def run_import(user, upload):
    """Start the import as the page does and run the job as the worker would (the test never commits)."""
    job = imports.start_import("lab_results", upload, user)
    imports.run(job)
    job.refresh_from_db()
    return job


def when():
    return timezone.localtime().strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def pool(setup, district):
    """A 10-in-1 tube with the three residents of community A."""
    tube = services.register_tube(setup.site, "P-0001", setup.sampler)
    return fill(tube, district.persons_a, setup.sampler)


def colours(persons):
    statuses = {s.person_id: s for s in HealthStatus.objects.filter(person__in=persons)}
    return [statuses[p.pk].colour if p.pk in statuses else None for p in persons]


def test_an_unknown_tube_is_reported_by_row_and_nothing_is_saved(setup, pool, xlsx):
    job = run_import(setup.sampler, xlsx.upload([HEADER, ["P-0001", "阴性", when(), "市疾控"],
                                                 ["NOPE-999", "阳性", when(), "市疾控"],
                                                 ["P-0001", "不知道", when(), ""]], "结果.xlsx"))
    assert job.status == JobStatus.FAILED
    assert [row for row, _column, _message in job.errors] == [3, 4]
    assert "NOPE-999" in job.errors[0][2] and job.errors[0][1] == "试管条码"
    assert "阴性" in job.errors[1][2]
    pool.refresh_from_db()
    assert pool.result == TubeResult.PENDING
    report = xlsx.rows(imports.error_report(job))
    assert report[1][0] == 3 and "NOPE-999" in report[1][2]


def test_the_same_file_twice_changes_nothing_the_second_time(setup, pool, district, xlsx):
    rows = [HEADER, ["P-0001", "阴性", when(), "市疾控"]]
    first = run_import(setup.sampler, xlsx.upload(rows, "结果.xlsx"))
    assert first.status == JobStatus.DONE, first.errors
    assert first.summary["出结果试管"] == 1 and first.summary["涉及人数"] == 3
    pool.refresh_from_db()
    result_at = pool.result_at
    assert colours(district.persons_a) == ["green"] * 3
    second = run_import(setup.sampler, xlsx.upload(rows, "结果.xlsx"))
    assert second.status == JobStatus.DONE, second.errors
    assert second.summary["出结果试管"] == 0 and second.summary["重复结果（未变更）"] == 1
    pool.refresh_from_db()
    assert pool.result_at == result_at and pool.result_ref == "导入"
    # A contradicting result for a tube that has one is a row error, not a change.
    third = run_import(setup.sampler, xlsx.upload([HEADER, ["P-0001", "阳性", when(), "市疾控"]], "结果.xlsx"))
    assert third.status == JobStatus.FAILED and "已有结果" in third.errors[0][2]
    assert Tube.objects.get(pk=pool.pk).result == TubeResult.NEGATIVE


def test_a_negative_tube_gives_everyone_in_it_a_negative_test(setup, pool, district):
    services.apply_results([{"barcode": "P-0001", "result": "negative", "at": when()}], user=setup.sampler)
    for status in HealthStatus.objects.filter(person__in=district.persons_a):
        assert status.last_test_result == "negative" and status.last_negative_at is not None


def test_positive_pool_makes_members_yellow_with_retests_then_a_negative_retest_makes_green(setup, pool, district):
    summary = services.apply_results([{"barcode": "P-0001", "result": "阳性", "at": when(), "lab": "市疾控"}],
                                     user=setup.sampler)
    assert summary["positive_pools"] == 1 and summary["retests_opened"] == 3
    assert colours(district.persons_a) == ["yellow"] * 3
    status = HealthStatus.objects.get(person=district.person_a)
    assert "混管阳性，请尽快复检" in status.reasons
    tasks = RetestTask.objects.filter(from_tube=pool)
    assert tasks.count() == 3 and {t.site_id for t in tasks} == {setup.site.pk}
    assert all(t.state == RetestState.OPEN for t in tasks)

    # Retest two of them in single tubes: one negative, one positive.
    negative = fill(services.register_tube(setup.site, "R-0001", setup.sampler, retest=True),
                    [district.person_a], setup.sampler)
    positive = fill(services.register_tube(setup.site, "R-0002", setup.sampler, retest=True),
                    [district.person_a_neighbour], setup.sampler)
    summary = services.apply_results([
        {"barcode": negative.barcode, "result": "阴性", "at": when()},
        {"barcode": positive.barcode, "result": "阳性", "at": when()},
    ], user=setup.sampler)
    assert summary["retests_resolved"] == 2 and summary["positive_singles"] == 1
    assert colours(district.persons_a) == ["green", "red", "yellow"]
    done = RetestTask.objects.get(person=district.person_a)
    assert done.state == RetestState.DONE and done.resolving_sample.tube_id == negative.pk
    assert RetestTask.objects.get(person=district.person_a_other_grid).state == RetestState.OPEN


def test_a_positive_single_tube_is_red(setup, district, users):
    from fangkong.testing.models import Pooling

    services.set_zone_pooling(setup.campaign, district.community_a, Pooling.SINGLE, users.officer)
    tube = fill(services.register_tube(setup.site, "S-0001", setup.sampler), [district.person_a], setup.sampler)
    assert tube.pool_size == 1
    services.apply_results([{"barcode": "S-0001", "result": "阳性", "at": when()}], user=setup.sampler)
    status = HealthStatus.objects.get(person=district.person_a)
    assert status.colour == "red" and any("阳性" in reason for reason in status.reasons)
    assert not RetestTask.objects.exists()


def test_a_csv_file_in_gbk_is_read_like_the_template(setup, pool):
    text = "\n".join([",".join(HEADER), f"P-0001,阴性,{when()},市疾控中心"]) + "\n"
    upload = SimpleUploadedFile("结果.csv", text.encode("gbk"), "text/csv")
    job = run_import(setup.sampler, upload)
    assert job.status == JobStatus.DONE, job.errors
    pool.refresh_from_db()
    assert pool.result == TubeResult.NEGATIVE and pool.lab == "市疾控中心"


def test_results_of_tubes_of_another_campaign_are_unknown_to_a_lab_user(setup, district):
    other = fill(services.register_tube(setup.other_site, "B-0001", setup.other_sampler), [district.person_b],
                 setup.other_sampler)
    with pytest.raises(services.ResultErrors) as refused:
        services.apply_results([{"barcode": other.barcode, "result": "阳性", "at": when()}], user=setup.sampler)
    assert "没有条码为 B-0001 的试管" in refused.value.rows[0][2]
    other.refresh_from_db()
    assert other.result == TubeResult.PENDING


def test_the_api_takes_a_json_list_all_or_nothing(setup, pool, client_for):
    client = client_for(setup.sampler)
    bad = client.post("/api/testing/results/", [{"barcode": "P-0001", "result": "阴性", "at": when()},
                                                {"barcode": "X-1", "result": "阴性", "at": "昨天"}],
                      content_type="application/json")
    assert bad.status_code == 400
    errors = bad.json()["errors"]
    assert [e["row"] for e in errors] == [2, 2] and {e["column"] for e in errors} == {"试管条码", "检测时间"}
    pool.refresh_from_db()
    assert pool.result == TubeResult.PENDING
    good = client.post("/api/testing/results/", [{"barcode": "P-0001", "result": "阴性", "at": when()}],
                       content_type="application/json")
    assert good.status_code == 200 and good.json()["tubes"] == 1
    again = client.post("/api/testing/results/", [{"barcode": "P-0001", "result": "阴性", "at": when()}],
                        content_type="application/json")
    assert again.json()["tubes"] == 0 and again.json()["unchanged"] == 1


def test_the_import_page_offers_the_template_and_refuses_other_files(setup, client_for, xlsx):
    client = client_for(setup.sampler)
    page = client.get("/testing/results/import/")
    assert page.status_code == 200 and "下载模板" in page.content.decode()
    template = client.get("/testing/results/template.xlsx")
    assert xlsx.rows(template.content)[0] == HEADER
    refused = client.post("/testing/results/import/", {"file": SimpleUploadedFile("结果.txt", b"x")})
    assert refused.status_code == 400 and ".csv" in refused.content.decode()
    assert not ImportJob.objects.exists()
