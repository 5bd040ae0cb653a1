"""Real Chromium at 390×844 (a phone): the list before the map, a Map button that shows and
hides it, a header that wraps between items only, and touch targets of at least 24×24 px.

Set FINDER_SCREENSHOTS=DIR to keep a screenshot of every page visited."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from finder.extensions import db
from finder.models import Practitioner

from .conftest import loopback_context

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("FINDER_SCREENSHOTS")
RESULTS = "/search?location=Austin%2C+TX&technique=physical-therapy&per_page=2"

# Every visible control a finger must hit: its box, or its label's when a checkbox sits in one.
SMALL_TARGETS = """() => {
  const picked = document.querySelectorAll(
    '.site-nav a, button, input[type=checkbox], input[type=radio], .pager a, summary, select'
  );
  const small = [];
  for (const el of picked) {
    const style = getComputedStyle(el);
    const own = el.getBoundingClientRect();
    if (own.width === 0 || style.visibility === 'hidden' || el.closest('[hidden]')) continue;
    let box = own;
    const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
    if (label && (own.width < 24 || own.height < 24)) {
      const around = label.getBoundingClientRect();
      box = {width: Math.max(own.width, around.width), height: Math.max(own.height, around.height)};
    }
    if (box.width < 24 || box.height < 24) {
      small.push(`${el.tagName} ${el.id || el.className} '${(el.textContent || '').trim().slice(0, 30)}' `
                 + `${box.width.toFixed(1)}x${box.height.toFixed(1)}`);
    }
  }
  return small;
}"""

# A nav link whose text box is taller than one and a half lines has wrapped inside itself.
WRAPPED_NAV_LINKS = """() => [...document.querySelectorAll('.site-nav a')].flatMap(a => {
  const style = getComputedStyle(a);
  const line = parseFloat(style.lineHeight);
  const text = a.getBoundingClientRect().height
    - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  return text > line * 1.5 ? [`${a.textContent.trim()}: ${text.toFixed(1)}px for ${line}px lines`] : [];
})"""


@pytest.fixture
def phone(browser, live_server):
    def open_page(lang: str):
        context = loopback_context(
            browser, live_server.url, viewport=PHONE, device_scale_factor=1, has_touch=True
        )
        contexts.append(context)
        page = context.new_page()
        page.lang = lang
        return page

    contexts = []
    yield open_page
    for context in contexts:
        context.close()


def visit(page, base_url: str, path: str, name: str):
    joiner = "&" if "?" in path else "?"
    page.goto(f"{base_url}{path}{joiner}lang={page.lang}")
    assert page.locator("html").get_attribute("lang") == page.lang
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}-{page.lang}-390.png", full_page=True)


def open_all_details(page):
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")


def assert_header_and_targets(page):
    assert page.evaluate(WRAPPED_NAV_LINKS) == []
    assert page.evaluate(SMALL_TARGETS) == []
    # Nothing is wider than the screen (no sideways scrolling).
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def first_practitioner_id(app) -> int:
    with app.app_context():
        return db.session.scalars(
            db.select(Practitioner.id).where(Practitioner.status == "approved").limit(1)
        ).one()


@pytest.mark.parametrize("lang", ["ko"])  # one language per journey: README, "Tests"
def test_results_list_first_and_the_map_behind_a_button(phone, live_server, lang):
    page = phone(lang)
    visit(page, live_server.url, RESULTS, "results")
    toggle = page.locator("button.map-toggle")
    section = page.locator(".results-map")
    listing = page.locator(".results-list")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-controls") == section.get_attribute("id")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert section.is_hidden()
    assert toggle.inner_text().strip() == section.get_attribute("aria-label")

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert section.is_visible()
    frame = page.locator(".map-frame").bounding_box()
    assert frame["height"] > 200 and frame["width"] > 300
    assert listing.bounding_box()["y"] + listing.bounding_box()["height"] <= frame["y"]
    # Leaflet drew itself at the size it was given once shown.
    page.wait_for_function("() => document.querySelector('.leaflet-container').clientHeight > 200")
    assert page.locator(".leaflet-control-zoom-in").is_visible()

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert section.is_hidden()

    open_all_details(page)
    assert page.locator(".pager a").count() >= 1
    assert_header_and_targets(page)


@pytest.mark.parametrize("lang", ["es"])  # one language per journey: README, "Tests"
def test_header_and_touch_targets_on_every_public_page(phone, live_server, app, lang):
    page = phone(lang)
    pid = first_practitioner_id(app)
    pages = {
        "home": "/",
        "practitioner": f"/practitioners/{pid}",
        "shortlist": f"/shortlist?id={pid}",
        "submit": "/submit",
    }
    for name, path in pages.items():
        visit(page, live_server.url, path, name)
        open_all_details(page)
        assert_header_and_targets(page)


def test_wide_screen_keeps_the_map_beside_the_list(page, live_server):
    page.goto(live_server.url + RESULTS)
    assert page.locator("button.map-toggle").is_hidden()
    listing = page.locator(".results-list").bounding_box()
    frame = page.locator(".map-frame").bounding_box()
    assert frame["x"] >= listing["x"] + listing["width"]


@pytest.mark.parametrize("lang", ["en", "ko", "es"])
def test_hidden_controls_stay_hidden_and_a_long_place_wraps(phone, live_server, lang):
    """ "Untick all" waits until something is ticked (a class's display once overrode the
    hidden attribute), and a place typed as one long word, quoted back in the error, wraps
    instead of widening the page (it once made it 2,363 px wide)."""
    page = phone(lang)
    visit(page, live_server.url, RESULTS, "results")
    assert page.locator("#clear-shortlist").is_hidden()
    page.locator(".result-card input[type=checkbox]").first.check()
    assert page.locator("#clear-shortlist").is_visible()
    visit(page, live_server.url, "/", "home")
    page.fill("input[name=location]", "A" * 200)
    page.locator("form.search-form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
