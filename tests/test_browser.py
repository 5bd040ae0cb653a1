"""Real Chromium: a patient searches and sees cards and a map, and goes from a card to the
practitioner and back (hostile names: tests/test_hostile.py)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

CLUSTER_MARKERS = """() => {
  const frame = document.querySelector('.map-frame');
  const cluster = window[frame.dataset.cluster];
  return cluster.getLayers().map(layer => layer.getPopup().getContent().textContent);
}"""


def only_tiles_left_the_machine(page, tile_prefix: str) -> bool:
    return all(url.startswith(tile_prefix) for url in page.outside_requests)


def test_type_a_city_and_see_cards_and_a_marker_for_each(page, live_server, app):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live_server.url + "/")
    page.get_by_label("City, postal code or country").fill("Toronto")
    page.get_by_role("button", name="Find practitioners").click()
    page.wait_for_selector(".result-card")
    names = page.locator(".result-card h3").all_inner_texts()
    assert len(names) >= 3
    page.wait_for_function("() => document.querySelector('.leaflet-container') !== null")
    popup_texts = page.evaluate(CLUSTER_MARKERS)
    assert len(popup_texts) == len(names)
    for name in names:
        assert any(name in text for text in popup_texts), name
    # Markers are on screen: single markers as SVG paths or clusters with counts.
    visible = page.locator(".leaflet-interactive, .marker-cluster").count()
    assert visible >= 1
    tile_prefix = app.config["TILE_URL"].split("{")[0]
    assert only_tiles_left_the_machine(page, tile_prefix), page.outside_requests
    assert dialogs == []


def test_a_practitioner_page_leads_back_to_the_results_and_gives_directions(page, live_server):
    page.goto(live_server.url + "/")
    page.get_by_label("City, postal code or country").fill("Toronto")
    page.get_by_role("button", name="Find practitioners").click()
    page.wait_for_selector(".result-card")
    results_url = page.url
    page.locator(".result-card h3 a").first.click()
    page.wait_for_selector("article.practitioner")
    back = page.get_by_role("link", name="← Back to results")
    directions = page.locator("a.directions").first.get_attribute("href")
    assert directions.startswith("https://www.openstreetmap.org/directions?route=%3B")
    back.click()
    page.wait_for_selector(".result-card")
    assert page.url == results_url
