"""Scripts and styles carry their content's fingerprint: fetched once, then kept for a year."""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import request

from finder.assets import A_YEAR, fingerprint

ASSET = re.compile(r'(?:src|href)="(/(?:static|vendor)/[^"?]+)\?v=([0-9a-f]+)"')


def linked_assets(client, path: str) -> dict[str, str]:
    html = client.get(path).get_data(as_text=True)
    return dict(ASSET.findall(html))


def test_every_page_links_its_assets_by_their_content_hash(app, client):
    found = {}
    for path in ("/", "/search?location=Toronto", "/countries", "/submit", "/practitioners/1"):
        found.update(linked_assets(client, path))
    assert {"/static/site.css", "/static/maps.js", "/vendor/leaflet/leaflet.js"} <= set(found)
    for url, version in found.items():
        body = client.get(f"{url}?v={version}")
        assert body.status_code == 200, url
        assert version == hashlib.sha256(body.get_data()).hexdigest()[:12], url
        cache = body.headers["Cache-Control"]
        assert f"max-age={A_YEAR}" in cache and "immutable" in cache and "public" in cache, url
        assert "Expires" not in body.headers, url


def test_an_old_or_missing_fingerprint_is_checked_again_not_kept(client):
    for url in ("/static/site.css", "/static/site.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert "immutable" not in response.headers.get("Cache-Control", ""), url


def test_a_changed_file_gets_a_new_address(app, tmp_path):
    path = tmp_path / "example.js"
    path.write_text("var a = 1;\n")
    before = fingerprint(path)
    path.write_text("var a = 22;\n")
    assert fingerprint(path) not in (None, before)
    assert fingerprint(tmp_path / "missing.js") is None


@pytest.mark.browser
def test_the_next_page_asks_the_server_for_no_script_or_style_again(app, page, live_server):
    asked: list[str] = []

    @app.after_request
    def note(response):
        asked.append(request.path)
        return response

    page.goto(live_server.url + "/search?location=Toronto")
    first = [path for path in asked if path.startswith(("/static/", "/vendor/"))]
    assert "/vendor/leaflet/leaflet.js" in first and "/static/site.css" in first, first
    asked.clear()
    page.goto(live_server.url + "/search?location=Madrid")
    assert page.locator(".result-card").count() > 0
    again = [path for path in asked if path.startswith(("/static/", "/vendor/"))]
    assert again == [], again
