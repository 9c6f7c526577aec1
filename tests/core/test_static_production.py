"""Production static files: collectstatic writes gzip copies and content-hashed names, and pages link those."""

import gzip
import json

from django.core.management import call_command


def test_production_static_files_are_compressed_and_hashed(settings, tmp_path, client, district, users):
    root = tmp_path / "static"
    settings.STATIC_ROOT = root
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    call_command("collectstatic", "--no-input", verbosity=0)
    paths = json.loads((root / "staticfiles.json").read_text())["paths"]
    chart = root / paths["vendor/echarts.min.js"]
    assert chart.name != "echarts.min.js"  # the content hash is in the name: cacheable for good
    packed = chart.with_name(chart.name + ".gz").read_bytes()
    assert gzip.decompress(packed) == chart.read_bytes()
    assert len(packed) < chart.stat().st_size / 2
    page = client.get("/login/").content.decode()
    assert f"/static/{paths['fangkong/app.css']}" in page

    # Every page names only files that collectstatic found (a missing one would fail the page in production).
    from tests.passes.office_helpers import make_place

    place = make_place(district.community_a, "幸福里小区北门")
    assert client.get(f"/c/{place.code}").status_code == 200
    client.force_login(users.admin)
    for url in ("/", "/people/", "/key-persons/", "/reports/district/", "/health-code/", "/passages/", "/places/",
                "/testing/", "/territory/", "/api/docs/"):
        assert client.get(url).status_code == 200, url
