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


@pytest.mark.parametrize(
    ("accept", "lang", "notice"),
    [
        ("pt-PT,pt;q=0.9,en;q=0.5", "pt-BR", False),  # a region falls back to its language
        ("de-AT", "de", False),
        ("fr-CA,en;q=0.8", "fr", False),
        ("sv-SE,tr;q=0.7,en;q=0.5", "tr", False),  # the first language the site speaks
        ("en;q=0.2,ja;q=0.9", "ja", False),  # by quality, not by order
        ("ar-EG", "ar", False),
        ("zh-CN", "zh-Hans", False),
        ("zh-TW", "en", True),  # no Traditional Chinese: said, and Simplified not forced
        ("zh-Hant-HK,ko;q=0.8", "ko", True),
        ("zh-TW,zh;q=0.8", "zh-Hans", True),  # Simplified only because it is accepted
        ("zh-HK,zh-CN;q=0.5", "zh-Hans", True),
    ],
)
def test_accept_language_with_regions_and_traditional_chinese(client, accept, lang, notice):
    html = client.get("/", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f'<html lang="{lang}"' in html, accept
    assert ('class="notice traditional-chinese"' in html) is notice, accept
    if notice and lang != "zh-Hans":
        assert "?lang=zh" in html.split('class="notice traditional-chinese"')[1].split("</p>")[0]


def test_arabic_pages_run_right_to_left_and_the_switcher_names_each_language(client):
    html = client.get("/?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    switcher = html.split('class="lang-switch"')[1].split("</span>")[0]
    for name in (
        "English",
        "한국어",
        "Español",
        "日本語",
        "简体中文",
        "Deutsch",
        "Français",
        "Português (Brasil)",
        "العربية",
        "Türkçe",
    ):
        assert f">{name}</a>" in switcher
    # The choice is remembered: the next page without ?lang= stays in Arabic.
    assert '<html lang="ar" dir="rtl">' in client.get("/guide").get_data(as_text=True)
    assert '<html lang="ja">' in client.get("/?lang=ja").get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", "2,5 km"),
        ("fr", "2,5\u202fkm"),
        ("zh", "2.5公里"),
        ("ar", "2.5 كم"),
        ("tr", "2,5 km"),
    ],
)
def test_distances_are_written_as_each_language_writes_them(app, lang, expected):
    from finder.templating import distance

    with app.test_request_context(f"/?lang={lang}"):
        assert distance(2.5, "km") == expected
