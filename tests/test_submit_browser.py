"""Real Chromium through the submission form in en, ko and es: languages and country picked by
name, the preview map scrolled to and focused, the pin dragged, and the admin edit page."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from finder.extensions import db
from finder.models import Practitioner

from .test_admin import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = pytest.mark.browser

# Per page language: (typed into the filter box, the language's name there, ISO code) twice,
# and Korea's name in that language.
ZOOM_IN = {"en": "Zoom in", "ko": "확대", "es": "Acercar"}
CASES = {
    "en": ([("kor", "Korean", "ko"), ("SPAN", "Spanish", "es")], "South Korea"),
    "ko": ([("한국", "한국어", "ko"), ("영", "영어", "en")], "대한민국"),
    "es": ([("core", "coreano", "ko"), ("ingles", "inglés", "en")], "Corea del Sur"),
}


def words(app, lang: str, *texts: str) -> list[str]:
    """The catalogue's words for the page language, as the page shows them."""
    with app.test_request_context(), force_locale(lang):
        return [gettext(text) for text in texts]


def visible_languages(page) -> int:
    return page.locator(".pick-options li:visible").count()


def pick_language(page, app, lang: str, typed: str, name: str):
    (find,) = words(app, lang, "Find a language by name")
    everything = visible_languages(page)
    box = page.get_by_label(find)
    box.fill(typed)
    assert 0 < visible_languages(page) < everything, typed
    box.press("Enter")  # narrows the list, never sends the form
    page.get_by_label(name, exact=True).check()
    box.fill("")
    assert visible_languages(page) == everything


def drag_pin(page, dx: int, dy: int):
    marker = page.locator("#pin-map .leaflet-marker-icon")
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=12)
    page.mouse.up()


# Korean (names in Hangul) and Spanish (found without their accents); English is the
# language of the other submission journeys (test_vetting_flow, test_hostile).
@pytest.mark.parametrize("lang", ["ko", "es"])
def test_pick_by_name_preview_drag_the_pin_send_and_see_it_in_the_admin_edit_page(
    page, live_server, app, lang
):
    languages, korea = CASES[lang]
    name = f"Browser Picked {lang} (demo)"
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{live_server.url}/submit?lang={lang}")
    (
        name_label,
        city,
        country,
        prompt,
        your_name,
        your_email,
        patient,
        show,
        send,
        exact,
        ticked_none,
    ) = words(
        app,
        lang,
        "Name",
        "City",
        "Country",
        "Choose a country",
        "Your name",
        "Your email",
        "I am their patient",
        "Show on the map",
        "Send suggestion",
        "Exact position (optional)",
        "none yet",
    )
    # Latitude and longitude wait, closed, under "Exact position".
    details = page.locator("details.exact-position")
    assert details.locator("summary").inner_text() == exact
    assert details.get_attribute("open") is None
    assert not page.locator("[name=latitude]").is_visible()

    # Korean calls both the practitioner's name and the submitter's "이름": find by id.
    assert page.locator("label[for=name]").inner_text() == name_label
    page.locator("#name").fill(name)
    page.locator("input[name=techniques][value=muscle-energy-technique]").check()
    assert page.locator(".pick-chosen-names").inner_text() == ticked_none
    for typed, language_name, _code in languages:
        pick_language(page, app, lang, typed, language_name)
    chosen = page.locator(".pick-chosen-names").inner_text().split(", ")
    assert sorted(chosen) == sorted(n for _t, n, _c in languages)

    # The country list starts with a prompt in the page's language and names every country
    # in it; typing a name on the focused list picks that country.
    select_country = page.get_by_label(country, exact=True)
    assert select_country.locator("option").first.inner_text() == prompt
    if korea.isascii():
        select_country.focus()
        page.keyboard.type(korea, delay=30)
    else:  # Hangul is composed by an input method, which sends no keys a list could match
        select_country.select_option(label=korea)
    assert select_country.input_value() == "KR"
    assert select_country.locator("option:checked").inner_text() == korea

    page.get_by_label(city, exact=True).fill("Seoul")
    assert page.locator("label[for=submitter_name]").inner_text() == your_name
    page.locator("#submitter_name").fill("Browser Submitter")
    page.get_by_label(your_email, exact=True).fill("browser.submitter@example.org")
    page.get_by_label(patient).check()
    page.get_by_role("button", name=show).click()

    # The preview: scrolled into view, focused, and announced.
    marker = page.locator("#pin-map .leaflet-marker-icon")
    marker.wait_for()
    page.wait_for_function("() => document.activeElement.id === 'pin-map'")
    assert page.evaluate("() => window.scrollY") > 200
    top, bottom = page.evaluate(
        "() => { const r = document.getElementById('pin-map').getBoundingClientRect();"
        " return [r.top, r.bottom]; }"
    )
    assert 0 <= top and bottom <= page.viewport_size["height"]
    zoom_in = page.locator("#pin-map .leaflet-control-zoom-in")
    assert zoom_in.get_attribute("title") == ZOOM_IN[lang]
    assert zoom_in.get_attribute("aria-label") == ZOOM_IN[lang]
    shown = page.locator("#pin-map").get_attribute("data-shown")
    page.wait_for_function(
        "(text) => document.getElementById('pin-status').textContent === text", arg=shown
    )
    # The languages ticked before the preview are still ticked.
    for _typed, language_name, _code in languages:
        assert page.get_by_label(language_name, exact=True).is_checked()

    # Dragging the pin down and right moves it south and east, into the position fields.
    assert details.get_attribute("open") is not None
    lat_box, lon_box = page.locator("[name=latitude]"), page.locator("[name=longitude]")
    shown_lat = lat_box.input_value()
    before = float(shown_lat), float(lon_box.input_value())
    assert before[0] == pytest.approx(37.57, abs=0.1) and before[1] == pytest.approx(127, abs=0.1)
    drag_pin(page, 120, 60)
    page.wait_for_function(
        "(lat) => document.querySelector('[name=latitude]').value !== lat", arg=shown_lat
    )
    after = float(lat_box.input_value()), float(lon_box.input_value())
    assert after[0] < before[0] - 0.002 and after[1] > before[1] + 0.005, (before, after)
    assert lat_box.input_value() in page.locator("#pin-status").inner_text()

    page.get_by_role("button", name=send).click()
    page.locator(".reference").wait_for()
    with app.app_context():
        p = db.session.scalar(select(Practitioner).where(Practitioner.name == name))
        assert sorted(p.languages) == sorted(code for _t, _n, code in languages)
        assert p.locations[0].country == "KR"
        assert (p.locations[0].latitude, p.locations[0].longitude) == pytest.approx(after)
        pid = p.id

    # The admin edit page ticks exactly the listing's languages.
    result = app.test_cli_runner().invoke(
        args=["create-admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    email, password, sign_in = words(app, lang, "Email", "Password", "Sign in")
    page.goto(f"{live_server.url}/admin/login?lang={lang}")
    page.get_by_label(email, exact=True).fill(ADMIN_EMAIL)
    page.get_by_label(password, exact=True).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name=sign_in).click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/admin/practitioners/{pid}/edit?lang={lang}")
    ticked = page.locator("input[name=languages]:checked")
    assert sorted(ticked.evaluate_all("boxes => boxes.map(b => b.value)")) == sorted(
        code for _t, _n, code in languages
    )
    for _typed, language_name, _code in languages:
        assert page.get_by_label(language_name, exact=True).is_checked()
    assert dialogs == []


def test_arrow_keys_move_the_focused_pin(page, live_server, app):
    page.goto(f"{live_server.url}/submit?lang=en")
    page.get_by_label("Name", exact=True).fill("Keyboard Pin (demo)")
    page.locator("input[name=techniques][value=physical-therapy]").check()
    page.get_by_label("Country", exact=True).select_option("KR")
    page.get_by_label("City", exact=True).fill("Busan")
    page.get_by_label("Your name", exact=True).fill("Keyboard User")
    page.get_by_label("Your email", exact=True).fill("keyboard.user@example.org")
    page.get_by_label("I am their patient").check()
    page.get_by_role("button", name="Show on the map").click()
    marker = page.locator("#pin-map .leaflet-marker-icon")
    marker.wait_for()
    before = float(page.locator("[name=longitude]").input_value())
    marker.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert float(page.locator("[name=longitude]").input_value()) > before + 0.001
