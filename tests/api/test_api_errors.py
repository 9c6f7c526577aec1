"""The API answers JSON whatever goes wrong: an unknown address, a method it does not take, a browser's Accept."""

from django.test import Client

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_an_unknown_api_address_is_a_json_404(users, client_for):
    for client in (Client(), client_for(users.worker_a)):
        response = client.get("/api/no-such-thing/", HTTP_ACCEPT=BROWSER_ACCEPT)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "未找到。", "code": "not_found"}


def test_pages_keep_their_chinese_404_page(users, client_for):
    response = client_for(users.worker_a).get("/no-such-page/")
    assert response.status_code == 404 and "找不到页面" in response.content.decode()


def test_a_method_the_api_does_not_take_is_a_json_405(users, client_for):
    response = client_for(users.worker_a).delete("/api/areas/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert "DELETE" in response.json()["detail"]


def test_a_browser_gets_json_from_the_api_not_an_html_page(users, client_for):
    client = client_for(users.worker_a)
    for path in ("/api/persons/", f"/api/persons/{users.worker_a.pk * 1000}/"):
        response = client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)
        assert response["Content-Type"] == "application/json", path
    assert client.get("/api/areas/", HTTP_ACCEPT="text/html").status_code == 406
