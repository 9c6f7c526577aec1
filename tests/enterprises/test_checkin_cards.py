"""The employees' check-in QR codes: a printable A4 PDF of cards (masked name, department, one QR code each that
opens the employee's personal check-in link, several per page), read back with poppler and zbar; and the QR code
shown beside each link on the links page."""

import shutil
import subprocess

import pytest

from fangkong.audit.models import AuditEvent
from fangkong.enterprises.models import Employee
from tests.enterprises.conftest import hire


@pytest.fixture
def staff(district, firms, new_resident_id):
    names = ["王秀英", "赵建华", "孙丽", "周志刚", "吴敏", "郑海燕", "冯军", "陈晓东"]
    return [hire(firms.factory, type("P", (), {"name": name, "id_number": new_resident_id()}), firms.boss,
                 department="包装车间" if index % 2 else "质检部")
            for index, name in enumerate(names)]


def test_the_cards_pdf_has_a_qr_code_per_employee_opening_their_check_in(staff, firms, client_for, tmp_path):
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils and zbar-tools are needed to read the cards back")
    Employee.objects.filter(pk=staff[-1].pk).update(active=False)  # left the roster: no card
    response = client_for(firms.boss).get(f"/enterprises/{firms.factory.pk}/roster/cards.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "cards.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = text.split("\f")
    assert len([page for page in pages if page.strip()]) == 2  # 7 cards, 6 on a page
    assert "幸福里食品厂 职工健康打卡二维码" in pages[0] and "第 2/2 页" in pages[1]
    for masked in ("王*英", "赵*华", "孙*", "郑*燕", "冯*"):
        assert masked in text
    assert "王秀英" not in text and "陈*东" not in text
    assert "包装车间" in text and "质检部" in text
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(path), str(tmp_path / "page")], check=True)
    decoded = set()
    for image in sorted(tmp_path.glob("page*.png")):
        decoded |= set(subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True,
                                      check=True).stdout.split())
    assert decoded == {employee.checkin_url for employee in staff[:-1]}
    assert all(url.endswith(f"/e/{employee.checkin_token}/") for url, employee in
               zip(sorted(decoded), sorted(staff[:-1], key=lambda e: e.checkin_url), strict=True))
    # Printing everyone's personal link is on record.
    assert AuditEvent.objects.filter(actor=firms.boss, object_type="enterprises.checkin_cards").count() == 1


def test_the_links_page_shows_a_qr_code_per_employee_and_links_the_pdf(staff, firms, client_for):
    page = client_for(firms.boss).get(f"/enterprises/{firms.factory.pk}/roster/links/").content.decode()
    assert page.count('class="checkin-qr"') == len(staff)
    assert f"/enterprises/{firms.factory.pk}/roster/cards.pdf" in page
    assert staff[0].checkin_url in page and "王*英" in page and "王秀英" not in page


def test_another_enterprise_admin_gets_no_cards(staff, firms, client_for):
    assert client_for(firms.other_boss).get(f"/enterprises/{firms.factory.pk}/roster/cards.pdf").status_code == 404
