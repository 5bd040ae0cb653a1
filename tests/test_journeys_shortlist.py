"""Real Chromium: a patient ticks practitioners over two pages of results, opens the shortlist,
sees how far each is, removes one, copies the link; each journey in one of the site's
languages (README, "Tests")."""

from __future__ import annotations

import re

import pytest

from finder.extensions import db
from finder.geo import haversine_km
from finder.models import Practitioner

from .conftest import loopback_context
from .test_journeys_filters import translator

pytestmark = pytest.mark.browser

PLACE = "Los Angeles"  # more than one page of results in the demo data


def remove_link_name(_) -> re.Pattern:
    """The accessible name of an item's Remove link, whatever the practitioner's name."""
    pattern = re.escape(_("Remove %(name)s from the shortlist"))
    return re.compile("^" + pattern.replace(re.escape("%(name)s"), ".+") + "$")


ORIGIN = re.compile(r"from=(-?[\d.]+)%2C(-?[\d.]+)")


def new_page(browser, live_server, lang: str, **options):
    """A page in a browser set to `lang`, refusing every request beyond the live server."""
    locale = {"en": "en-US", "ko": "ko-KR", "es": "es-ES"}[lang]
    context = loopback_context(browser, live_server.url, locale=locale, **options)
    return context, context.new_page()


def search(page, base_url: str, lang: str):
    _ = translator(lang)
    page.goto(f"{base_url}/?lang={lang}")
    form = page.locator("form.search-form")
    form.get_by_label(_("City, postal code or country")).fill(PLACE)
    form.get_by_role("button", name=_("Find practitioners")).click()
    page.wait_for_selector("#summary")
    page.wait_for_load_state()  # the results' scripts have run (ticks restored)


def card_ids(page) -> list[str]:
    return page.locator("#nearby .result-card").evaluate_all(
        "cards => cards.map(c => c.dataset.practitionerId)"
    )


def tick(page, pid: str):
    box = page.locator(f'#nearby .result-card[data-practitioner-id="{pid}"] .pick input')
    box.check()
    assert box.is_checked()


def ticked(page) -> list[str]:
    return page.locator("#nearby .pick input:checked").evaluate_all("bs => bs.map(b => b.value)")


def shortlist_ids(page) -> list[str]:
    return page.locator(".shortlist-item").evaluate_all(
        "items => items.map(i => i.dataset.practitionerId)"
    )


@pytest.mark.parametrize("lang", ["ko"])  # one language per journey: README, "Tests"
def test_ticks_kept_across_pages_make_a_shortlist_with_distances(browser, live_server, app, lang):
    _ = translator(lang)
    context, page = new_page(browser, live_server, lang)
    try:
        search(page, live_server.url, lang)
        first_page = card_ids(page)
        assert len(first_page) == 20
        tick(page, first_page[0])
        tick(page, first_page[3])
        page.locator("a[rel=next]").click()
        page.wait_for_url(re.compile(r"page=2"))
        second_page = card_ids(page)
        assert second_page and not set(second_page) & set(first_page)
        assert ticked(page) == []  # nobody on page 2 was ticked yet
        tick(page, second_page[1])
        assert page.locator("#view-shortlist").inner_text().strip().endswith("(3)")
        # Back to page 1: its two ticks are there again, and page 2's is kept.
        page.go_back()
        page.wait_for_url(lambda url: "page=2" not in url)
        page.wait_for_function(
            "() => document.querySelectorAll('#nearby .pick input:checked').length === 2"
        )
        assert ticked(page) == [first_page[0], first_page[3]]
        # Another search in the same tab keeps them too.
        search(page, live_server.url, lang)
        assert sorted(ticked(page)) == sorted([first_page[0], first_page[3]])
        assert page.locator("#view-shortlist").inner_text().strip().endswith("(3)")
        page.get_by_role("button", name=re.compile(re.escape(_("View shortlist")))).click()
        page.wait_for_url(re.compile(r"/shortlist\?"))
        wanted = [first_page[0], first_page[3], second_page[1]]
        assert shortlist_ids(page) == wanted
        assert page.locator("html").get_attribute("lang") == lang

        # Distances from the searched place, in the browser's unit.
        lat, lon = map(float, ORIGIN.search(page.url).groups())
        unit = "mi" if lang == "en" else "km"
        with app.app_context():
            for pid in wanted:
                p = db.session.get(Practitioner, int(pid))
                km = min(haversine_km(lat, lon, x.latitude, x.longitude) for x in p.locations)
                text = page.locator(f'.shortlist-item[data-practitioner-id="{pid}"] .distance')
                # The number as the page's language writes it ("0,9" in Spanish), then the unit
                # (CLDR's short form: "0.9km" in Korean).
                number = re.search(rf"(\d+(?:[.,]\d+)?)\s?{unit}\b", text.inner_text()).group(1)
                shown = float(number.replace(",", ".") if lang == "es" else number)
                expected = km / 1.609344 if unit == "mi" else km
                assert abs(shown - expected) <= 0.1, (pid, shown, expected)
                # Names lead to profiles; contacts are links.
                item = page.locator(f'.shortlist-item[data-practitioner-id="{pid}"]')
                assert item.locator("h2 a").get_attribute("href") == f"/practitioners/{pid}"
                if p.phone:
                    assert item.locator(f'a[href="tel:{p.phone}"]').count() == 1
                if p.email:
                    assert item.locator(f'a[href="mailto:{p.email}"]').count() == 1
                if p.website:
                    assert item.locator(f'a[href="{p.website}"]').count() == 1

        # Remove the middle one: the list, the address and the link to share all follow.
        share = page.get_by_label(_("Link to this shortlist"))
        assert share.input_value().endswith(
            f"/shortlist?id={wanted[0]}&id={wanted[1]}&id={wanted[2]}"
        )
        middle = page.locator(f'.shortlist-item[data-practitioner-id="{wanted[1]}"]')
        middle.get_by_role("link", name=remove_link_name(_)).click()
        assert shortlist_ids(page) == [wanted[0], wanted[2]]
        assert share.input_value().endswith(f"/shortlist?id={wanted[0]}&id={wanted[2]}")
        assert f"id={wanted[1]}" not in page.url and f"id={wanted[2]}" in page.url
        assert page.evaluate("document.activeElement.hasAttribute('data-shortlist-remove')")
        page.reload()
        assert shortlist_ids(page) == [wanted[0], wanted[2]]
        assert page.locator(".distance").count() == 2  # the reloaded page keeps its origin
        # The results page forgets the removed tick.
        page.go_back()
        page.wait_for_selector("#summary")
        page.reload()
        assert wanted[1] not in ticked(page) and wanted[0] in ticked(page)
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["es"])  # one language per journey: README, "Tests"
def test_copy_link_copies_the_shortlist_or_selects_it(browser, live_server, app, lang):
    _ = translator(lang)
    context, page = new_page(
        browser, live_server, lang, permissions=["clipboard-read", "clipboard-write"]
    )
    try:
        page.goto(f"{live_server.url}/shortlist?id=1&id=2&lang={lang}")
        share = page.get_by_label(_("Link to this shortlist"))
        page.get_by_role("button", name=_("Copy link")).click()
        status = page.locator("#copy-status")
        status.get_by_text(_("Copied"), exact=True).wait_for()
        assert status.is_visible()
        assert page.evaluate("navigator.clipboard.readText()") == share.input_value()
        assert share.input_value().endswith("/shortlist?id=1&id=2")
    finally:
        context.close()
    # A browser without the clipboard API: the link is selected, and the page says so.
    context, page = new_page(browser, live_server, lang)
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    try:
        page.goto(f"{live_server.url}/shortlist?id=1&lang={lang}")
        page.get_by_role("button", name=_("Copy link")).click()
        status = page.locator("#copy-status")
        expected = _("The link is selected: press Ctrl+C (or ⌘C on a Mac) to copy it.")
        status.get_by_text(expected).wait_for()
        selected = page.evaluate(
            "() => { const f = document.activeElement;"
            " return f.value.substring(f.selectionStart, f.selectionEnd); }"
        )
        assert selected.endswith("/shortlist?id=1")
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en"])  # one language per journey: README, "Tests"
def test_an_empty_shortlist_says_what_it_is_and_how_to_fill_it(browser, live_server, lang):
    _ = translator(lang)
    context, page = new_page(browser, live_server, lang)
    try:
        page.goto(f"{live_server.url}/shortlist?id=1&lang={lang}")
        assert page.locator("#shortlist-empty").is_hidden()
        page.get_by_role("link", name=remove_link_name(_)).click()
        empty = page.locator("#shortlist-empty")
        empty.wait_for()
        assert _("Your shortlist is empty.") in empty.inner_text()
        assert page.locator(".shortlist-item").count() == 0
        assert page.locator("#shortlist-share").is_hidden()
        assert "id=" not in page.url
        # Straight to an empty shortlist: the same explanation and a way to search.
        page.goto(f"{live_server.url}/shortlist?lang={lang}")
        text = page.locator("#shortlist-empty").inner_text()
        assert _("Your shortlist is empty.") in text and _("View shortlist") in text
        page.get_by_role("link", name=_("Search for practitioners")).click()
        page.wait_for_selector("form.search-form")
    finally:
        context.close()
