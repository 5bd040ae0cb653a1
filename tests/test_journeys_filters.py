"""Real Chromium: a patient ticks filters in the search form, in English, Korean and Spanish,
and every card on the results page really matches them (checked against the database); the
other filter journeys each in one of those languages (README, "Tests")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.support import Translations
from babel.units import format_unit

from finder.extensions import db
from finder.models import Practitioner

from .conftest import loopback_context

pytestmark = pytest.mark.browser

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

# The form's boolean filters: the field's id and its English label (the catalogue key).
FILTERS = {
    "telehealth": "Offers telehealth",
    "home_visits": "Offers home visits",
    "gentle": "Gentle (non-thrust) methods only",
}
# What each filter means on a practitioner.
ATTRIBUTE = {"telehealth": "telehealth", "home_visits": "home_visits", "gentle": "gentle_only"}

PLACES = {"en": "Toronto", "ko": "서울", "es": "Madrid"}
CARD_LINK = re.compile(r"/practitioners/(\d+)")


def translator(lang: str):
    """The UI's own catalogue, so the test finds labels as a reader of that language would."""
    if lang == "en":
        return lambda text: text
    return Translations.load(str(TRANSLATIONS), [lang]).gettext


def open_more_filters(page):
    details = page.locator("form.search-form details.more-filters").first
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def search_with(page, base_url: str, lang: str, ticks: list[str], choose=None):
    """Fill the home page's form like a person: place, More filters, ticks, submit."""
    _ = translator(lang)
    page.goto(f"{base_url}/?lang={lang}")
    form = page.locator("form.search-form")
    form.get_by_label(_("City, postal code or country")).fill(PLACES[lang])
    more = open_more_filters(page)
    for name in ticks:
        box = more.get_by_label(_(FILTERS[name]), exact=True)
        box.check()
        assert box.is_checked()
    if choose:
        choose(more, _)
    form.get_by_role("button", name=_("Find practitioners")).click()
    page.wait_for_load_state("domcontentloaded")


def shown_cards(page) -> dict[str, list[int]]:
    """Practitioner ids of the cards in each result section."""
    sections = {}
    for section in ("nearby", "travel-worthy", "remote"):
        hrefs = page.locator(f"#{section} .result-card h3 a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        sections[section] = [int(CARD_LINK.search(h).group(1)) for h in hrefs]
    return sections


def assert_results_page(page, base_url: str):
    assert page.url.startswith(f"{base_url}/search?"), page.url
    assert page.locator("h1.results-title").count() == 1
    assert page.locator(".error-summary").count() == 0


def mismatches(app, sections, ticks, country=None, language=None) -> list[str]:
    """Every card that breaks a chosen filter, as (section, practitioner, what) lines."""
    wrong = []
    with app.app_context():
        for section, ids in sections.items():
            for pid in ids:
                p = db.session.get(Practitioner, pid)
                if p.status != "approved":
                    wrong.append(f"{section} #{pid}: not approved")
                # A ticked box is a promise about every card, in every section.
                for name in ticks:
                    if getattr(p, ATTRIBUTE[name]) is not True:
                        wrong.append(f"{section} #{pid}: {name} is not offered")
                if section == "remote" and not (p.telehealth or p.home_visits):
                    wrong.append(f"{section} #{pid}: neither telehealth nor home visits")
                # Care from home crosses borders: only the other sections keep the country.
                if country and section != "remote":
                    if country not in {loc.country for loc in p.locations}:
                        wrong.append(f"{section} #{pid}: not in {country}")
                if language and language not in p.languages:
                    wrong.append(f"{section} #{pid}: does not speak {language}")
    return wrong


def assert_still_ticked(page, ticks):
    refine = page.locator("details.refine form.search-form")
    for name in FILTERS:
        assert refine.locator(f"#{name}").is_checked() == (name in ticks), name


COMBINATIONS = [
    ["telehealth"],
    ["home_visits"],
    ["gentle"],
    ["telehealth", "home_visits", "gentle"],
]


@pytest.mark.parametrize("lang", ["en", "ko", "es"])
def test_filters_through_the_form_in_each_language(browser, live_server, app, lang):
    context = loopback_context(browser, live_server.url)
    page = context.new_page()
    wrong = []
    try:
        for ticks in COMBINATIONS:
            search_with(page, live_server.url, lang, ticks)
            assert_results_page(page, live_server.url)
            assert page.locator("html").get_attribute("lang") == lang
            assert_still_ticked(page, ticks)
            sections = shown_cards(page)
            if len(ticks) == 1:
                assert sum(map(len, sections.values())) > 0, (lang, ticks)
            else:
                total = sum(map(len, sections.values()))
                assert total > 0 or page.locator(".notice").count() > 0
            wrong += [f"{'+'.join(ticks)}: {line}" for line in mismatches(app, sections, ticks)]
    finally:
        context.close()
    assert not wrong, f"cards that break the ticked filters ({lang}):\n" + "\n".join(wrong)


def test_country_and_language_chosen_in_more_filters(browser, live_server, app):
    lang = "es"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-ES")
    context.set_default_timeout(15000)
    page = context.new_page()

    def choose(more, _):
        # Pick by the visible names the page shows in Spanish.
        country = more.get_by_label(_("Country"), exact=True)
        country_label = country.locator("option[value='ES']").inner_text().strip()
        country.select_option(label=country_label)
        language = more.get_by_label(_("Language spoken"), exact=True)
        language_label = language.locator("option[value='es']").inner_text().strip()
        language.select_option(label=language_label)

    try:
        search_with(page, live_server.url, lang, ["gentle"], choose)
        assert_results_page(page, live_server.url)
        assert "country=ES" in page.url and "language=es" in page.url
        refine = page.locator("details.refine form.search-form")
        assert refine.locator("#country").input_value() == "ES"
        assert refine.locator("#language").input_value() == "es"
        assert_still_ticked(page, ["gentle"])
        sections = shown_cards(page)
        assert sum(map(len, sections.values())) > 0
        assert mismatches(app, sections, ["gentle"], country="ES", language="es") == []
    finally:
        context.close()


def technique_box(page, _, name: str):
    return page.locator("form.search-form").get_by_label(_(name), exact=True)


def chip_named(page, _, label: str):
    name = _("Remove filter: %(filter)s") % {"filter": label}
    return page.locator(".filter-chips").get_by_role("link", name=name, exact=True)


@pytest.mark.parametrize("lang", ["es"])  # one language per journey: README, "Tests"
def test_active_filters_are_chips_that_remove_themselves(page, live_server, app, lang):
    _ = translator(lang)

    def choose(more, _):
        more.get_by_label(_("Within"), exact=True).select_option("250")

    def tick_technique():
        technique_box(page, _, "Physical therapy").check()

    page.goto(f"{live_server.url}/?lang={lang}")
    tick_technique()
    search_with_ticked(page, live_server.url, lang, ["telehealth", "gentle"], choose)
    assert_results_page(page, live_server.url)
    chips = page.locator(".filter-chips a.chip")
    labels = [_("Physical therapy"), _("Telehealth"), _("Gentle methods only")]
    miles = format_unit(250, "length-mile", length="short", format="#,##0", locale=lang)
    within = _("Within %(distance)s") % {"distance": miles}
    assert [c.strip().rstrip("×").strip() for c in chips.all_inner_texts()] == [*labels, within]
    for label in [*labels, within]:
        chip = chip_named(page, _, label)
        assert chip.count() == 1, label
        box = chip.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, (label, box)
    # Keyboard: the chip takes focus and Enter follows it.
    gentle = chip_named(page, _, _("Gentle methods only"))
    gentle.focus()
    assert page.evaluate("document.activeElement.classList.contains('chip')")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "gentle" not in url)
    assert_results_page(page, live_server.url)
    assert "technique=physical-therapy" in page.url and "telehealth=" in page.url
    assert "radius=250" in page.url and "page=" not in page.url
    assert chip_named(page, _, _("Gentle methods only")).count() == 0
    assert chip_named(page, _, _("Telehealth")).count() == 1
    assert_still_ticked(page, ["telehealth"])
    assert mismatches(app, shown_cards(page), ["telehealth"]) == []
    # Removing the technique keeps the others; the last technique chip drops the parameter.
    chip_named(page, _, _("Physical therapy")).click()
    page.wait_for_url(lambda url: "technique" not in url)
    assert chip_named(page, _, _("Physical therapy")).count() == 0
    assert page.locator(".filter-chips a.chip").count() == 2


def search_with_ticked(page, base_url, lang, ticks, choose=None):
    """The form already open (techniques ticked): place, More filters, ticks, submit."""
    _ = translator(lang)
    form = page.locator("form.search-form")
    form.get_by_label(_("City, postal code or country")).fill(PLACES[lang])
    more = open_more_filters(page)
    for name in ticks:
        more.get_by_label(_(FILTERS[name]), exact=True).check()
    if choose:
        choose(more, _)
    form.get_by_role("button", name=_("Find practitioners")).click()
    page.wait_for_load_state("domcontentloaded")


@pytest.mark.parametrize("lang", ["ko"])  # one language per journey: README, "Tests"
def test_the_count_names_the_technique_in_the_page_language(page, live_server, lang):
    _ = translator(lang)
    page.goto(f"{live_server.url}/?lang={lang}")
    technique_box(page, _, "Physical therapy").check()
    form = page.locator("form.search-form")
    form.get_by_label(_("City, postal code or country")).fill("Toronto")
    form.get_by_role("button", name=_("Find practitioners")).click()
    page.wait_for_selector("#summary")
    summary = page.locator("#summary").inner_text().strip()
    count = page.locator("#nearby .result-card").count()
    assert count >= 2  # so the plural is the one to check
    assert str(count) in summary and _("physical therapists") in summary
    miles = format_unit(100, "length-mile", length="short", format="#,##0", locale=lang)
    assert miles in summary and "62" not in summary  # CLDR's "100mi" in Korean
    if lang == "en":
        assert summary.startswith(f"{count} physical therapists within 100 mi of Toronto")
    # Two techniques: the count says practitioners and names both.
    page.goto(f"{live_server.url}/?lang={lang}")
    technique_box(page, _, "Physical therapy").check()
    technique_box(page, _, "Chiropractic").check()
    form.get_by_label(_("City, postal code or country")).fill("Toronto")
    form.get_by_role("button", name=_("Find practitioners")).click()
    page.wait_for_selector("#summary")
    summary = page.locator("#summary").inner_text()
    assert _("Physical therapy") in summary and _("Chiropractic") in summary
    assert _("physical therapists") not in summary
    if lang == "en":
        assert re.match(
            r"\d+ practitioners offering Chiropractic or Physical therapy within", summary
        )
