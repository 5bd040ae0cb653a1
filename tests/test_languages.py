"""The site in Korean and Spanish, chosen from the browser and kept when switched."""

from __future__ import annotations

import pytest

from .conftest import loopback_context

KOREAN_TITLE = "천장관절"  # part of the Korean home page heading ("sacroiliac joint")


def test_accept_language_picks_korean_and_lang_switch_is_remembered(client):
    home = client.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9"}).get_data(as_text=True)
    assert '<html lang="ko">' in home and KOREAN_TITLE in home
    spanish = client.get("/?lang=es", headers={"Accept-Language": "ko"})
    assert '<html lang="es">' in spanish.get_data(as_text=True)
    assert "lang=es" in spanish.headers["Set-Cookie"]
    later = client.get("/countries", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert '<html lang="es">' in later


def test_unknown_language_falls_back_to_english(client):
    html = client.get("/?lang=xx", headers={"Accept-Language": "sv-SE"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Find vetted help" in html


def test_practitioner_languages_are_named_in_their_own_language(client):
    body = client.get("/api/v1/search?location=Seoul&per_page=1").get_json()
    html = client.get(f"/practitioners/{body['nearby'][0]['id']}").get_data(as_text=True)
    assert "한국어" in html


@pytest.mark.browser
def test_korean_browser_sees_korean_then_switches_to_spanish(browser, live_server):
    context = loopback_context(
        browser,
        live_server.url,
        locale="ko-KR",
        extra_http_headers={"Accept-Language": "ko-KR,ko;q=0.9"},
    )
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert KOREAN_TITLE in page.locator("h1").inner_text()
    page.locator("input[name=location]").fill("서울")
    page.locator("form.search-form button[type=submit]").first.click()
    page.wait_for_selector(".result-card")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert "서울" in page.locator("h1").inner_text() or "Seoul" in page.locator("h1").inner_text()
    page.get_by_role("link", name="Español").click()
    assert page.locator("html").get_attribute("lang") == "es"
    page.goto(live_server.url + "/countries")
    assert page.locator("html").get_attribute("lang") == "es"
    context.close()


@pytest.mark.browser
def test_countries_map_shows_a_marker_per_country(page, live_server):
    page.goto(live_server.url + "/countries")
    count = page.evaluate("""() => {
      const group = window[document.querySelector('.map-frame').dataset.cluster];
      return group.getLayers().length;
    }""")
    assert count > 200
    page.goto(live_server.url + "/countries/KR")
    popups = page.evaluate("""() => {
      const cluster = window[document.querySelector('.map-frame').dataset.cluster];
      return cluster.getLayers().length;
    }""")
    cards = page.locator(".result-card").count()
    assert popups == cards > 0


def test_reasons_are_worded_in_the_page_language(client):
    korean = client.get(
        "/search?location=Seoul&technique=muscle-energy-technique",
        headers={"Accept-Language": "ko"},
    ).get_data(as_text=True)
    assert "비행기로 약" in korean and "찾아갈 만한 곳" in korean
    english = client.get("/api/v1/search?location=Seoul&technique=muscle-energy-technique")
    assert all("by air" in o["reason"] for o in english.get_json()["travel_worthy"])
    spanish = client.get("/search?location=Seoul&technique=muscle-energy-technique&lang=es")
    assert "en avión" in spanish.get_data(as_text=True)
