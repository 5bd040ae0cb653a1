"""Error answers a client can act on: Allow on 405, 413 for big bodies, a favicon, never 500."""

from __future__ import annotations

import io

import pytest

TEN_MB = b"x" * (10 * 1024 * 1024)


@pytest.mark.parametrize(
    "method, path",
    [("DELETE", "/"), ("PUT", "/practitioners/1"), ("POST", "/api/v1/search")],
)
def test_405_names_the_allowed_methods(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 405
    allowed = {name.strip() for name in response.headers["Allow"].split(",")}
    assert "GET" in allowed and method not in allowed


def test_405_page_and_json_keep_their_own_form(client):
    page = client.delete("/")
    assert page.content_type.startswith("text/html")
    assert "405" in page.get_data(as_text=True)
    api = client.delete("/api/v1/techniques")
    assert api.status_code == 405 and "GET" in api.headers["Allow"]
    assert api.get_json()["error"]["code"] == "method_not_allowed"


def test_favicon_is_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.content_type.startswith("image/")
    assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO file signature


@pytest.mark.parametrize("path", ["/submit", "/admin/login", "/", "/unmet-need"])
def test_ten_megabyte_post_to_a_page_is_413_with_a_page(client, path):
    response = client.post(path, data=TEN_MB, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.content_type.startswith("text/html")
    text = response.get_data(as_text=True)
    assert "larger than 2 MB" in text and "Back to search" in text


@pytest.mark.parametrize("path", ["/api/v1/search", "/api/v1/techniques", "/fhir/metadata"])
def test_ten_megabyte_post_to_the_api_is_413_json(client, path):
    response = client.post(path, data=TEN_MB, content_type="application/json")
    assert response.status_code == 413
    if path.startswith("/fhir/"):  # the FHIR API's errors are OperationOutcomes
        (issue,) = response.get_json()["issue"]
        assert issue["code"] == "too-costly" and "larger than 2 MB" in issue["diagnostics"]
        return
    error = response.get_json()["error"]
    assert error["code"] == "request_entity_too_large"
    assert "larger than 2 MB" in error["message"]


def test_ten_megabyte_multipart_upload_is_413(client):
    response = client.post(
        "/submit",
        data=TEN_MB,
        content_type="multipart/form-data; boundary=----x",
    )
    assert response.status_code == 413


def test_a_body_without_length_over_the_limit_is_413(client):
    """A chunked body (no Content-Length) is cut off when it passes the limit."""
    response = client.post(
        "/submit",
        input_stream=io.BytesIO(TEN_MB),
        content_type="application/x-www-form-urlencoded",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn marks chunked bodies
    )
    assert response.status_code == 413
    small = client.post(
        "/submit",
        input_stream=io.BytesIO(b"name=Someone"),
        content_type="application/x-www-form-urlencoded",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert small.status_code == 400  # read as a form (no CSRF token), not refused for size


def test_a_body_under_the_limit_is_not_refused_for_its_size(client):
    response = client.post(
        "/submit",
        data=b"name=" + b"x" * (1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400  # the form's own answer (no CSRF token), not 413
    assert "larger than" not in response.get_data(as_text=True)
