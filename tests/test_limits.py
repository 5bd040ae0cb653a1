"""Rate limits per address on the costly pages, proxies, absolute links and the last-resort 500."""

from __future__ import annotations

import pytest

from config import TestConfig
from finder import create_app
from finder.extensions import db

from .conftest import GAZETTEER

SEARCH = "/search?location=Toronto&technique=physical-therapy"
CLIENT_A = {"REMOTE_ADDR": "198.51.100.7"}
CLIENT_B = {"REMOTE_ADDR": "198.51.100.8"}


@pytest.fixture
def build(demo_template, tmp_path):
    """create_app on a copy of the demo database with the given settings."""
    apps = []

    def make(**settings):
        url = demo_template.copy(tmp_path, f"finder-{len(apps)}")
        app = create_app(
            TestConfig,
            {"SQLALCHEMY_DATABASE_URI": url, "GAZETTEER_PATH": GAZETTEER} | settings,
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_search_and_country_pages_share_a_budget_per_address(build):
    client = build(RATELIMIT_ENABLED=True, PAGE_RATE_LIMIT="3 per minute").test_client()
    answers = [
        client.get(SEARCH, environ_base=CLIENT_A),
        client.get("/countries", environ_base=CLIENT_A),
        client.get("/countries/JP", environ_base=CLIENT_A),
    ]
    assert [r.status_code for r in answers] == [200, 200, 200]
    refused = client.get(SEARCH, environ_base=CLIENT_A, headers={"Accept-Language": "ko"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Content-Security-Policy" in refused.headers
    page = refused.get_data(as_text=True)
    assert '<html lang="ko"' in page and "429" in page
    assert client.get("/countries/JP", environ_base=CLIENT_A).status_code == 429
    # Another address has its own budget; the other pages are not limited by it.
    assert client.get(SEARCH, environ_base=CLIENT_B).status_code == 200
    assert client.get("/", environ_base=CLIENT_A).status_code == 200


def test_submissions_limit_comes_from_its_setting(build):
    client = build(RATELIMIT_ENABLED=True, SUBMIT_RATE_LIMIT="2 per hour").test_client()
    form = client.get("/submit", environ_base=CLIENT_A).get_data(as_text=True)
    token = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    statuses = [
        client.post("/submit", data={"csrf_token": token}, environ_base=CLIENT_A).status_code
        for _ in range(3)
    ]
    assert statuses[2] == 429 and 429 not in statuses[:2]


def test_forwarded_for_counts_only_behind_a_configured_proxy(build):
    spoofing = [{"X-Forwarded-For": f"203.0.113.{n}"} for n in range(1, 4)]
    direct = build(RATELIMIT_ENABLED=True, PAGE_RATE_LIMIT="1 per minute").test_client()
    statuses = [direct.get(SEARCH, headers=h, environ_base=CLIENT_A).status_code for h in spoofing]
    assert statuses == [200, 429, 429]  # a made-up header buys no fresh budget

    proxied = build(RATELIMIT_ENABLED=True, PAGE_RATE_LIMIT="1 per minute", PROXY_COUNT=1)
    client = proxied.test_client()
    statuses = [client.get(SEARCH, headers=h, environ_base=CLIENT_A).status_code for h in spoofing]
    assert statuses == [200, 200, 200]  # three clients behind the one proxy
    again = client.get(SEARCH, headers=spoofing[0], environ_base=CLIENT_A)
    assert again.status_code == 429


def test_absolute_links_use_the_configured_name_not_the_host_header(build):
    client = build(SERVER_NAME="finder.example.org", PREFERRED_URL_SCHEME="https").test_client()
    evil = {"Host": "evil.example"}
    results = client.get("/api/v1/search?location=Toronto", headers=evil).get_json()["nearby"]
    assert results and all(r["url"].startswith("https://finder.example.org/") for r in results)
    fhir = client.get("/fhir/Location?near=43.65|-79.38|100|km", headers=evil).get_json()
    assert fhir["link"][0]["url"].startswith("https://finder.example.org/fhir/Location?near=")
    shortlist = client.get(f"/shortlist?id={results[0]['id']}", headers=evil)
    page = shortlist.get_data(as_text=True)
    assert "https://finder.example.org/shortlist?id=" in page and "evil.example" not in page


def test_a_failing_error_page_still_answers_500_with_the_security_headers(build, monkeypatch):
    app = build()

    def broken_page(*_args, **_kwargs):
        raise RuntimeError("the error page itself failed")

    monkeypatch.setattr("finder.errors.render_template", broken_page)
    response = app.test_client().get("/practitioners/999999999")  # a 404 page that cannot render
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_response_whose_after_request_failed_keeps_the_security_headers(build):
    app = build()

    @app.after_request
    def fail_once_finished(response):  # runs before the security headers are added
        raise RuntimeError("after_request failed")

    response = app.test_client().get("/")
    assert response.status_code == 500
    assert "Content-Security-Policy" in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"


def token_of(client, path: str, environ: dict) -> str:
    form = client.get(path, environ_base=environ).get_data(as_text=True)
    return form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_claim_links_are_limited_per_email_whoever_asks_and_per_address(build):
    app = build(RATELIMIT_ENABLED=True, CLAIM_ADDRESS_RATE_LIMIT="2 per day")
    client = app.test_client()
    clients = [{"REMOTE_ADDR": f"198.51.100.{n}"} for n in range(20, 24)]
    statuses = []
    for environ in clients[:3]:  # three addresses ask for the same email
        token = token_of(client, "/listing/claim", environ)
        data = {"email": "demo-0001@example.org", "csrf_token": token}
        statuses.append(client.post("/listing/claim", data=data, environ_base=environ).status_code)
    assert statuses == [200, 200, 429]
    # Another email is not held back by it, listed or not: the limit says nothing about that.
    token = token_of(client, "/listing/claim", clients[3])
    data = {"email": "nobody@example.org", "csrf_token": token}
    assert client.post("/listing/claim", data=data, environ_base=clients[3]).status_code == 200
    per_address = build(RATELIMIT_ENABLED=True, CLAIM_RATE_LIMIT="2 per hour").test_client()
    token = token_of(per_address, "/listing/claim", CLIENT_A)
    statuses = [
        per_address.post(
            "/listing/claim",
            data={"email": f"x{n}@example.org", "csrf_token": token},
            environ_base=CLIENT_A,
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_reports_are_limited_per_listing_whoever_sends_them(build):
    client = build(RATELIMIT_ENABLED=True, LISTING_RATE_LIMIT="2 per day").test_client()
    statuses = []
    for n in range(3):
        environ = {"REMOTE_ADDR": f"198.51.100.{30 + n}"}
        token = token_of(client, "/practitioners/1/report", environ)
        data = {"reason": "wrong-contact", "csrf_token": token}
        response = client.post("/practitioners/1/report", data=data, environ_base=environ)
        statuses.append(response.status_code)
    assert statuses == [201, 201, 429]
    other = {"REMOTE_ADDR": "198.51.100.40"}
    token = token_of(client, "/practitioners/2/report", other)
    data = {"reason": "wrong-contact", "csrf_token": token}
    assert client.post("/practitioners/2/report", data=data, environ_base=other).status_code == 201
