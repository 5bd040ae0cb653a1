"""Maps carry no outside text through folium; every response carries a strict CSP."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from finder.extensions import db
from finder.models import Practitioner

from .factories import make_practitioner
from .test_admin import login, token_from
from .test_submit import GOOD

# Each payload, and what a server that renders it as a template would show instead.
EVALUATED = {
    "{{ 7777*7777 }}": "60481729",
    "{% print(7777*7777) %}": "60481729",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}": "uid=",
    "{{ '%d'|format(7777*7777) }}": "60481729",
}
TEMPLATE_PAYLOADS = list(EVALUATED)


def evaluated(body: str) -> bool:
    return any(result in body for result in EVALUATED.values())


INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def shown_literally(body: str, payload: str) -> bool:
    """The payload appears as text: in the HTML (escaped) or in the page's JSON data."""
    json_form = payload.replace("'", "\\u0027")
    return payload in html.unescape(body) or json_form in body


@pytest.fixture
def hostile(app):
    """Approved practitioners whose every text field is a template payload, near Reykjavík."""
    ids = []
    with app.app_context():
        for n, payload in enumerate(TEMPLATE_PAYLOADS):
            p = make_practitioner(
                db.session,
                lat=64.10 + n * 0.01,
                lon=-21.90,
                city=payload,
                country="IS",
                name=payload,
                credentials=payload,
                clinic=payload,
                registry_name=payload,
            )
            ids.append(p.id)
    return ids


def test_template_syntax_in_location_is_shown_as_text_on_the_results_page(client, hostile):
    for payload in TEMPLATE_PAYLOADS:
        response = client.get(
            "/search", query_string={"lat": 64.1, "lon": -21.9, "location": payload}
        )
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert not evaluated(body), payload
        assert shown_literally(body, payload), payload


def test_template_syntax_in_listings_is_shown_as_text_on_every_map_page(app, client, hostile):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "vetter@example.org", "--password", "a long enough password"]
    )
    assert result.exit_code == 0
    admin = app.test_client()
    assert login(admin).status_code == 302
    everyone = TEMPLATE_PAYLOADS
    pages = [
        (client, "/search?lat=64.1&lon=-21.9&per_page=100", everyone),
        (client, "/countries/IS", everyone),
        (client, "/shortlist?" + "&".join(f"id={i}" for i in hostile), everyone),
        (client, "/countries", []),  # countries only, but still nothing evaluated
        (admin, "/admin/?status=approved&country=IS", everyone),
        (admin, "/admin/audit", []),
    ]
    for pid, payload in zip(hostile, TEMPLATE_PAYLOADS, strict=True):
        pages.append((client, f"/practitioners/{pid}", [payload]))
        pages.append((admin, f"/admin/practitioners/{pid}", [payload]))
        pages.append((admin, f"/admin/practitioners/{pid}/edit", [payload]))
    checked = 0
    for who, url, expected in pages:
        response = who.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert not evaluated(body), url
        for payload in expected:
            assert shown_literally(body, payload), (url, payload)
            checked += 1
    assert checked >= len(TEMPLATE_PAYLOADS) * 4


def test_template_syntax_in_every_submission_field_stays_text_in_preview_and_review(app, client):
    payload = "{{ 7777*7777 }}{% print(7777*7777) %}"
    free_text = ["name", "credentials", "clinic", "registry_name", "registry_number", "address"]
    free_text += ["city", "region", "submitter_name"]  # postal codes hold 20 characters
    data = {**GOOD, **{name: payload for name in free_text}, "city": "Seoul " + payload}
    data["name"] = payload + " (demo)"
    token = token_from(client.get("/submit").get_data(as_text=True))
    preview = client.post("/submit", data={**data, "preview": "1", "csrf_token": token})
    body = preview.get_data(as_text=True)
    assert preview.status_code in (200, 400, 422), body[:500]
    assert not evaluated(body)
    assert payload in html.unescape(body)
    sent = client.post("/submit", data={**data, "csrf_token": token})
    assert sent.status_code in (201, 400), sent.get_data(as_text=True)[:500]
    assert not evaluated(sent.get_data(as_text=True))
    if sent.status_code != 201:
        pytest.fail(f"the submission was refused: {sent.get_data(as_text=True)[:800]}")
    with app.app_context():
        pid = db.session.scalar(select(Practitioner.id).where(Practitioner.name == data["name"]))
    app.test_cli_runner().invoke(
        args=["create-admin", "vetter@example.org", "--password", "a long enough password"]
    )
    admin = app.test_client()
    login(admin)
    for url in (f"/admin/practitioners/{pid}", f"/admin/practitioners/{pid}/edit", "/admin/"):
        body = admin.get(url).get_data(as_text=True)
        assert not evaluated(body), url
        assert payload in html.unescape(body), url


def every_get_url(app, practitioner_id: int) -> list[str]:
    """One URL for each GET route of the site, its arguments filled with real values."""
    samples = {
        "practitioner_id": practitioner_id,
        "code": "JP",
        "package": "leaflet",
        "filename": "leaflet.js",
        "submission_id": 1,
        "resource_id": practitioner_id,
        "resource": "Location",
        "id": practitioner_id,
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {name: samples.get(name, "1") for name in rule.arguments}
        try:
            with app.test_request_context():
                from flask import url_for

                urls.append(url_for(rule.endpoint, **values))
        except Exception:  # noqa: BLE001 - a converter that refuses a sample: use the rule text
            urls.append(re.sub(r"<[^>]+>", "1", rule.rule))
    return sorted(set(urls))


def test_every_route_sends_a_strict_csp_and_no_inline_script_without_its_nonce(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "vetter@example.org", "--password", "a long enough password"]
    )
    assert result.exit_code == 0
    admin = app.test_client()
    assert login(admin).status_code == 302
    with app.app_context():
        pid = db.session.scalar(select(Practitioner.id).where(Practitioner.status == "approved"))
    urls = every_get_url(app, pid) + ["/search?location=Toronto", "/search?location=Springfield"]
    urls += ["/no-such-page", "/api/v1/no-such-thing"]
    assert len(urls) >= 20
    for url in urls:
        response = admin.get(url)
        assert response.status_code < 500, url
        policy = response.headers.get("Content-Security-Policy", "")
        directives = dict(
            (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
        )
        script_src = directives.get("script-src", "")
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, url
        nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", script_src)
        assert nonce, (url, policy)
        assert directives.get("object-src") == "'none'", url
        assert directives.get("base-uri") == "'none'", url
        assert directives.get("frame-ancestors") == "'none'", url
        assert directives.get("form-action") == "'self'", url
        assert "tile.openstreetmap.org" in directives.get("img-src", ""), url
        if not response.mimetype == "text/html":
            continue
        body = response.get_data(as_text=True)
        assert not INLINE_HANDLER.search(body), (url, INLINE_HANDLER.search(body).group(0))
        assert "javascript:" not in body.lower(), url
        for attributes in SCRIPT_TAG.findall(body):
            if "src=" in attributes or 'type="application/json"' in attributes:
                continue
            assert f'nonce="{nonce.group(1)}"' in attributes, (url, attributes)


def test_each_response_gets_its_own_nonce(client):
    first = client.get("/search?location=Toronto").headers["Content-Security-Policy"]
    second = client.get("/search?location=Toronto").headers["Content-Security-Policy"]
    assert first != second


@pytest.mark.parametrize(
    "option", ["_method=POST", "_external=1", "_anchor=x", "_scheme=javascript"]
)
def test_url_for_options_in_the_query_do_not_break_pages(client, option):
    for url in (
        f"/search?location=Seoul&{option}",
        f"/search?location=Springfield&{option}",
        f"/?{option}&endpoint=x",
        f"/countries/JP?{option}",
    ):
        response = client.get(url)
        assert response.status_code < 500, url
        body = response.get_data(as_text=True)
        assert 'href="javascript' not in body, url
