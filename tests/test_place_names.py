"""Searched places are named as the page's language names them: city and country."""

from __future__ import annotations

import re
from html import unescape

import pytest

from finder.gazetteer import Gazetteer


def heading(client, query: str, language: str) -> str:
    response = client.get(f"/search?{query}", headers={"Accept-Language": language})
    assert response.status_code == 200
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


@pytest.mark.parametrize(
    ("query", "language", "expected", "not_expected"),
    [
        ("location=Seoul", "ko", "서울, 대한민국", "Seoul"),
        ("location=서울", "ko", "서울, 대한민국", "Seoul"),
        ("location=Busan", "ko", "부산, 대한민국", "Busan"),
        ("location=Seoul", "es", "Seúl, Corea del Sur", "Seoul"),
        ("location=Tokyo", "es", "Tokio, Japón", "Tokyo"),
        ("location=London&country=GB", "es", "Londres, Reino Unido", "London"),
        ("location=Seoul", "en", "Seoul, South Korea", "서울"),
        # GeoNames' alternate names told apart by their writing (finder.city_names)
        ("location=Beijing", "zh", "北京，中国", "Beijing"),
        ("location=北京", "zh", "北京，中国", "Beijing"),
        ("location=Istanbul", "zh", "伊斯坦布尔，土耳其", "伊斯坦堡"),  # zh-cn, not Taiwan's
        ("location=Vienna", "zh", "维也纳，奥地利", "維也納"),  # only the traditional form listed
        ("location=Tokyo", "ja", "東京、日本", "东京"),  # Japan writes 東京
        ("location=Istanbul", "ja", "イスタンブール、トルコ", "ビュザンティオン"),
        ("location=Cairo", "ar", "القاهرة، مصر", "Cairo"),
        ("location=Istanbul", "tr", "İstanbul, Türkiye", "Istanbul"),
        ("location=Montreal", "fr", "Montréal, Canada", "Montreal"),
        ("location=Madrid", "es", "Madrid, España", "Madríd"),  # no stray accent
        ("location=Paris&country=FR", "fr", "Paris, France", "Parîs"),
        ("location=Osaka", "ko", "오사카, 일본", "오사카 시"),
        # a city named in the patient's own letters is shown as typed
        ("location=München", "de", "München, Deutschland", "Munich"),
        ("location=Genf", "de", "Genf, Schweiz", "Geneva"),
        ("location=İzmir", "tr", "İzmir, Türkiye", "Izmir"),
        ("location=北京", "en", "北京, China", "Beijing"),
        # ... but not ASCII a patient typed in lower case
        ("location=munich", "de", "Munich, Deutschland", "munich"),
    ],
)
def test_the_searched_city_is_named_in_the_page_language(
    client, query, language, expected, not_expected
):
    shown = heading(client, query, language)
    assert expected in shown and not_expected not in shown, shown


def test_korean_names_are_the_modern_ones_not_historic_alternates(gazetteer_path):
    gazetteer = Gazetteer(gazetteer_path)
    names = {
        city: gazetteer.local_city_name(city, "KR", "ko")
        for city in ("Seoul", "Busan", "Incheon", "Daegu", "Daejeon", "Gwangju")
    }
    assert names == {
        "Seoul": "서울",
        "Busan": "부산",
        "Incheon": "인천",
        "Daegu": "대구",
        "Daejeon": "대전",
        "Gwangju": "광주",
    }
    assert gazetteer.local_city_name("Tokyo", "JP", "ko") == "도쿄"  # CLDR, not "동경"
    assert gazetteer.local_city_name("Nowhere", "KR", "ko") is None


def test_a_whole_country_search_names_its_centre_in_the_page_language(client):
    response = client.get("/search?location=China", headers={"Accept-Language": "zh"})
    text = unescape(response.get_data(as_text=True))
    assert "最近的" in text or "上海" in text or "北京" in text
    assert "Shanghai" not in text and "Beijing" not in text


@pytest.mark.parametrize(
    ("lang", "query", "expected", "not_expected"),
    [
        ("zh", "location=Seoul&radius=50", ["50公里"], ["50 km"]),
        ("ar", "location=Cairo&radius=50&unit=mi", ["50 ميل"], ["50 mi"]),
        ("ko", "location=Seoul&radius=50", ["50km"], ["50 km"]),
        ("de", "location=Seoul&radius=2.5", ["2,5 km"], ["2,5 km km"]),
        ("en", "location=Seoul&radius=50&unit=mi", ["50 mi"], ["50 mi mi"]),
    ],
)
def test_the_radius_reads_as_the_language_writes_distances(
    client, lang, query, expected, not_expected
):
    """The summary ("… within 50公里 of 首尔") and the radius chip use CLDR's unit names."""
    response = client.get(f"/search?{query}&lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    summary = re.search(r'<p class="summary" id="summary">.*?</p>', page, re.S)
    chip = re.search(r'class="filter-chips.*?</div>', page, re.S)
    for shown in (summary, chip):
        assert shown is not None
        text = " ".join(unescape(re.sub(r"<[^>]+>", " ", shown.group(0))).split())
        text = text.replace("\u00a0", " ").replace("\u202f", " ")
        for want in expected:
            assert want.replace("\u00a0", " ") in text, text
        for unwanted in not_expected:
            assert unwanted not in text, text


@pytest.mark.browser
@pytest.mark.parametrize(
    ("lang", "typed", "place", "zoom_in", "zoom_out"),
    [
        ("ko", "Seoul", "서울, 대한민국", "확대", "축소"),
        ("es", "Tokyo", "Tokio, Japón", "Acercar", "Alejar"),
    ],
)
def test_through_the_form_the_place_and_the_map_controls_speak_the_page_language(
    page, live_server, lang, typed, place, zoom_in, zoom_out
):
    page.goto(f"{live_server.url}/?lang={lang}")
    form = page.locator("form.search-form")
    form.locator("input[name=location]").fill(typed)
    form.locator("button[type=submit]").first.click()
    page.wait_for_load_state("domcontentloaded")
    assert place in page.locator("h1").inner_text()
    button = page.locator(".leaflet-control-zoom-in").first
    button.wait_for()
    assert button.get_attribute("title") == zoom_in
    assert button.get_attribute("aria-label") == zoom_in
    assert page.locator(".leaflet-control-zoom-out").first.get_attribute("title") == zoom_out


@pytest.mark.parametrize(
    ("language", "decimal", "group"), [("es", ",", "."), ("en", ".", ","), ("ko", ".", ",")]
)
def test_distances_use_the_page_language_number_format(client, language, decimal, group):
    response = client.get("/search?location=Toronto&unit=km", headers={"Accept-Language": language})
    distances = re.findall(
        r'<span class="distance">([^<]+)</span>', response.get_data(as_text=True)
    )
    assert distances, "no distances on the cards"
    for shown in distances:
        # CLDR's short unit: "12.3 km", "12,3 km", Korean "12.3km"
        assert re.fullmatch(rf"\d{{1,3}}(\{group}\d{{3}})*\{decimal}\d ?km", shown), shown


@pytest.mark.browser
@pytest.mark.parametrize(
    ("lang", "typed", "country", "expected"),
    [
        ("es", "28001", "ES", ("Madrid", "España")),
        ("ko", "10115 Berlin", None, ("10115", "베를린", "독일")),
    ],
)
def test_postal_codes_through_the_search_form_find_their_city(
    page, live_server, lang, typed, country, expected
):
    page.goto(f"{live_server.url}/?lang={lang}")
    form = page.locator("form.search-form")
    form.locator("input[name=location]").fill(typed)
    if country:
        more = form.locator("details.more-filters").first
        if more.get_attribute("open") is None:
            more.locator("summary").click()
        form.locator("select[name=country]").select_option(country)
    form.locator("button[type=submit]").first.click()
    page.wait_for_load_state("domcontentloaded")
    heading = page.locator("h1").inner_text()
    for part in expected:
        assert part in heading, heading


@pytest.mark.parametrize(
    "typed", ['北京"', "北京'", '北京"<b>', "北京'><svg onload=alert(1)>", "München</h1>"]
)
def test_a_name_shown_as_typed_is_text_not_markup(client, typed):
    response = client.get("/search", query_string={"location": typed, "lang": "zh"})
    assert response.status_code in (200, 422)
    page = response.get_data(as_text=True)
    assert typed not in page and "<svg onload" not in page and '"<b>' not in page
    assert page.count("</h1>") == 1
    if response.status_code == 200:  # a stray quote is not part of the name shown
        assert heading(client, f"location={typed}&lang=zh", "zh").startswith("北京，中国")


def test_cards_name_the_city_and_its_country_in_the_page_language(client):
    """A whole-country search: its centre in the summary and each card's city, with the
    language's separator."""
    page = unescape(client.get("/search?location=China&lang=zh").get_data(as_text=True))
    nearby = page.split('id="nearby"', 1)[1].split("</ol>", 1)[0]
    wheres = re.findall(r'<p class="where">(.*?)</p>', nearby)
    assert wheres and all(w.endswith("，中国") for w in wheres), wheres
    assert "上海，中国" in wheres and not any("Shanghai" in w or "Beijing" in w for w in wheres)
    summary = re.search(r'<p class="summary" id="summary">(.*?)</p>', page, re.S).group(1)
    assert "上海" in summary and "Shanghai" not in summary, summary


@pytest.mark.parametrize(
    ("lang", "hours", "expected"),
    [
        ("ar", 3, "نحو 3 ساعات بالطائرة"),
        ("ar", 10, "نحو 10 ساعات بالطائرة"),
        ("ar", 11, "نحو 11 ساعة بالطائرة"),
        ("ja", 3, "飛行機で約3時間"),
        ("en", 3, "about 3 h by air"),
    ],
)
def test_travel_hours_take_the_language_plural(app, lang, hours, expected):
    from finder.reasons import describe_trip
    from finder.travel import Trip

    with app.test_request_context(f"/?lang={lang}"):
        from flask_babel import ngettext, refresh

        refresh()
        assert describe_trip(Trip(mode="flight", hours=hours), ngettext) == expected


def test_a_distance_keeps_one_unit_name_whatever_its_plural(app):
    """Portuguese CLDR has only "{0} mi" in short: 1,3 is not "1,3 milhas" beside "2,4 mi"."""
    from finder.templating import distance

    with app.test_request_context("/?lang=pt"):
        from flask_babel import refresh

        refresh()
        assert distance(1.3 * 1.609344, "mi") == "1,3 mi"
        assert distance(2.4 * 1.609344, "mi") == "2,4 mi"
    with app.test_request_context("/?lang=ar"):
        refresh()
        assert distance(1.609344, "mi", 0) == "1 ميل"  # CLDR's "one" drops the number


@pytest.mark.parametrize("lang", ["ja", "zh"])
def test_two_sentences_in_japanese_and_chinese_have_no_space_between(app, lang):
    from finder.reasons import Reason
    from finder.templating import say_reason
    from finder.travel import Trip

    with app.test_request_context(f"/?lang={lang}"):
        from flask_babel import refresh

        refresh()
        said = say_reason(
            Reason(kind="telehealth", noun="practitioner", country="KR"), Trip("flight", 3)
        )
    assert "。" in said and "。 " not in said, said


def test_dates_are_written_as_the_language_writes_them(client, app):
    from finder.extensions import db
    from finder.models import Practitioner

    with app.app_context():
        p = db.session.scalars(
            db.select(Practitioner).where(Practitioner.last_vetted_at.is_not(None)).limit(1)
        ).one()
        pid, day = p.id, p.last_vetted_at.date()
    from babel.dates import format_date

    for lang, shown in (("zh", f"{day.year}年{day.month}月{day.day}日"),
                        ("de", format_date(day, "long", locale="de"))):  # fmt: skip
        page = client.get(f"/practitioners/{pid}?lang={lang}").get_data(as_text=True)
        assert f'<time datetime="{day.isoformat()}">{shown}</time>' in page


def test_latin_names_in_arabic_text_are_isolated_and_contacts_read_left_to_right(client, app):
    """Right to left, a Latin city keeps its own order without pulling the comma and the
    country along; phone numbers, emails and web addresses are shown left to right."""
    shown = heading(client, "location=Ulaanbaatar&lang=ar", "ar")
    assert "\u2068Ulaanbaatar\u2069، " in shown, shown
    assert "\u2068" not in heading(client, "location=Ulaanbaatar&lang=de", "de")
    from finder.extensions import db
    from finder.models import Practitioner

    with app.app_context():
        pid = db.session.scalars(
            db.select(Practitioner.id).where(Practitioner.phone.is_not(None)).limit(1)
        ).one()
    page = client.get(f"/practitioners/{pid}?lang=ar").get_data(as_text=True)
    assert re.search(r'<a href="tel:[^"]+" dir="ltr">', page)
    assert re.search(r'<a href="mailto:[^"]+" dir="ltr">', page)


def test_cards_of_the_city_typed_name_it_as_typed(client):
    """A German patient who types München sees München on the cards there too, not Munich."""
    page = unescape(client.get("/search?location=München&lang=de").get_data(as_text=True))
    nearby = page.split('id="nearby"', 1)[1].split("</ol>", 1)[0]
    wheres = re.findall(r'<p class="where">(.*?)</p>', nearby)
    assert "München, Deutschland" in wheres and "Munich, Deutschland" not in wheres, wheres
    english = unescape(client.get("/search?location=Munich&lang=de").get_data(as_text=True))
    assert "Munich, Deutschland" in english  # as the gazetteer names it when typed so
