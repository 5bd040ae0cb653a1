"""Real Chromium at 390×844, in every language the site speaks: home, results for an
underserved place, a practitioner, the submission form with its errors and the patient guide
carry the right `lang` and `dir`, show none of the English catalogue's sentences, and nothing
sticks out of the screen or its box.

Set FINDER_SCREENSHOTS=DIR to keep a screenshot of each language's results page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from finder.extensions import db
from finder.i18n import LANGUAGES
from finder.models import Practitioner

from .conftest import loopback_context
from .test_translations import check_page, english_sentences

pytestmark = [pytest.mark.browser, pytest.mark.language_only]

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("FINDER_SCREENSHOTS")

# Boxes that leave the screen sideways, and text wider than its own box, outside the parts
# that scroll or clip on purpose (the map, scrolling lists and tables) and hidden helpers.
STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width + 1) {
    found.push(`the page scrolls sideways: ${document.documentElement.scrollWidth}px`);
  }
  const clipped = el => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const x = getComputedStyle(up).overflowX;
      if (x !== 'visible') return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.honeypot, .skip, .leaflet-container, [hidden], script, style, template')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || style.position === 'fixed') continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || clipped(el)) continue;
    const name = `${el.tagName.toLowerCase()}.${el.className || ''} "${(el.textContent || '').trim().slice(0, 40)}"`;
    if (box.right > width + 1 || box.left < -1) {
      found.push(`${name} at ${box.left.toFixed(0)}..${box.right.toFixed(0)}px`);
    } else if (style.display !== 'inline' && el.clientWidth > 0 && style.overflowX === 'visible'
               && el.scrollWidth > el.clientWidth + 1) {
      found.push(`${name}: ${el.scrollWidth}px of text in ${el.clientWidth}px`);
    }
  }
  return found.slice(0, 12);
}"""


@pytest.mark.slow
@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_each_language_on_a_phone(browser, live_server, app, lang):
    with app.app_context():
        pid = db.session.scalar(
            select(Practitioner.id)
            .where(Practitioner.status == "approved", Practitioner.accepting_new_patients != "")
            .order_by(Practitioner.id)
            .limit(1)
        )
    context = loopback_context(browser, live_server.url, viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    sentences = english_sentences(lang)
    problems: list[str] = []

    def check(label: str):
        check_page(page, lang, label, sentences, problems)
        for found in page.evaluate(STICKING_OUT):
            problems.append(f"{lang} {label}: {found}")

    base = live_server.url
    page.goto(f"{base}/?lang={lang}")
    check("home")
    page.goto(f"{base}/search?location=Ulaanbaatar")
    page.wait_for_selector(".results-title")
    check("results for an underserved place")
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/results-{lang}.png", full_page=True)
    page.goto(f"{base}/practitioners/{pid}")
    check("practitioner")
    page.goto(f"{base}/submit")
    page.locator("button[name=preview]").click()
    page.locator(".error-summary").wait_for()
    check("submission with errors")
    page.goto(f"{base}/guide")
    check("guide")
    context.close()
    assert not problems, "\n".join(problems)
