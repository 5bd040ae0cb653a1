"""Patients use the real search form: options that tell the truth in English, Korean, Spanish."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import distinct, func, select

from finder.extensions import db
from finder.models import PracticeLocation, Practitioner

from .conftest import loopback_context


def korean_page(browser, live_server):
    """A page in a browser set to Korean, refusing every request beyond the live server."""
    context = loopback_context(browser, live_server.url, locale="ko-KR")
    return context, context.new_page()


def search_through_the_form(page, base_url: str, place: str, technique: str | None = None):
    """Open the search page, type the place, tick the technique and submit."""
    page.goto(base_url + "/")
    page.locator("input[name=location]").fill(place)
    if technique:
        page.locator(f"input[name=technique][value={technique}]").check()
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_selector("#summary")


def test_korean_patient_in_seoul_is_offered_labelled_telehealth(browser, live_server):
    context, page = korean_page(browser, live_server)
    try:
        search_through_the_form(page, live_server.url, "서울", "si-joint-fusion")
        missing = page.locator("#remote-language-missing")
        assert "한국어" in missing.inner_text()
        cards = page.locator("#remote .result-card")
        assert cards.count() >= 3
        for i in range(cards.count()):
            card = cards.nth(i)
            reason = card.locator(".reason").inner_text()
            spoken = card.locator(".muted").inner_text()
            # Each option names the languages it is offered in; none of them is Korean.
            assert reason and "한국어" not in reason and "한국어" not in spoken
        # The banner's promise of help from home is kept by the section below it.
        assert page.locator("#remote-heading").is_visible()
    finally:
        context.close()


def test_english_patient_in_seoul_sees_telehealth_in_english_without_a_warning(page, live_server):
    search_through_the_form(page, live_server.url, "Seoul", "si-joint-fusion")
    cards = page.locator("#remote .result-card")
    assert cards.count() >= 1
    for text in cards.locator(".reason").all_inner_texts():
        assert "English" in text
    assert page.locator("#remote-language-missing").count() == 0


def test_japan_as_the_place_lists_every_japanese_listing_and_frames_them(app, page, live_server):
    with app.app_context():
        expected = db.session.scalar(
            select(func.count(distinct(Practitioner.id)))
            .join(PracticeLocation)
            .where(Practitioner.status == "approved", PracticeLocation.country == "JP")
        )
    assert expected > 20  # more than one page
    search_through_the_form(page, live_server.url, "Japan")
    summary = page.locator("#summary").inner_text()
    assert f"{expected} practitioners in Japan" in summary and "Tokyo" in summary
    assert "Nobody near you" not in page.content()
    seen = page.locator("#nearby .result-card h3").all_inner_texts()
    page.locator("a[rel=next]").click()
    page.wait_for_selector("#nearby")
    seen += page.locator("#nearby .result-card h3").all_inner_texts()
    assert len(seen) == len(set(seen)) == expected
    assert all("Japan" in w for w in page.locator("#nearby .where").all_inner_texts())
    # The map holds every Japanese listing and its view frames all of them.
    data = json.loads(page.locator(".map-data").first.inner_text())
    japanese = [m for m in data["markers"] if m["style"]["radius"] == 9]
    assert len(japanese) == expected
    page.wait_for_function("() => document.querySelector('.leaflet-container') !== null")
    inside = page.evaluate(
        """(points) => {
            const el = document.querySelector('[data-map]');
            const map = window[el.dataset.map];
            const box = map.getBounds();
            return points.filter(p => box.contains([p[0], p[1]])).length;
        }""",
        [[m["lat"], m["lon"]] for m in japanese],
    )
    assert inside == expected


def test_austin_patient_is_not_told_a_us_option_welcomes_patients_from_abroad(page, live_server):
    search_through_the_form(page, live_server.url, "Austin, TX", "muscle-energy-technique")
    cards = page.locator("#travel-worthy .result-card")
    assert cards.count() >= 3
    us = 0
    for i in range(cards.count()):
        card = cards.nth(i)
        if "United States" in card.locator(".where").inner_text():
            us += 1
            assert "abroad" not in card.locator(".reason").inner_text()
    assert us >= 1
    order = page.locator("#travel-order").inner_text()
    assert "door to door" in order and "language" in order


@pytest.mark.parametrize("lang", ["es"])  # one language per journey: README, "Tests"
def test_banner_counts_the_few_nearby_instead_of_saying_nobody(page, live_server, lang):
    page.goto(f"{live_server.url}/?lang={lang}")
    page.locator("input[name=location]").fill("Nagoya")
    page.locator("details.more-filters summary").click()
    page.locator("select[name=radius]").select_option("25")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_selector("#summary")
    nearby = page.locator("#nearby .result-card").count()
    assert 1 <= nearby <= 2
    banner = page.locator("#underserved").inner_text()
    if lang == "en":
        assert f"Only {nearby} near you" in banner
        assert "Nobody near you" not in banner
    assert re.search(rf"\b{nearby}\b", banner)
