"""The patient guide at /guide: in every UI language, linked from results and profiles, and
readable on a phone (390×844) without sideways scrolling.

Set FINDER_SCREENSHOTS=DIR to keep a full-page screenshot of the guide in each language."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from finder.models import PATTERNS
from finder.templating import code_name

from .conftest import loopback_context
from .test_accessibility import Axe, audit

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("en", "ko", "es")
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("FINDER_SCREENSHOTS")
RESULTS = "/search?location=Austin%2C+TX"
SECTIONS = {
    "what-it-is": "What SI-joint dysfunction is",
    "patterns": "The misalignment patterns",
    "treatments": "The treatments and how they differ",
    "questions": "Questions to ask a practitioner",
    "surgery-travel": "Before travelling for surgery",
    "evidence": "What the evidence does and does not show",
    "not-advice": "Information, not medical advice",
    "sources": "Sources",
}
# Elements wider than the screen: their right edge past the page's width.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.body.querySelectorAll('*')].flatMap(el => {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 0.5) return [];
    return [`${el.tagName}.${el.className} '${(el.textContent || '').trim().slice(0, 40)}' `
            + `right ${box.right.toFixed(1)}`];
  });
}"""


def text_of(page_html: str) -> str:
    """What a reader sees: the body without tags, and the page's description for search
    engines, entities decoded, spaces collapsed."""
    description = re.search(r'<meta name="description" content="([^"]*)">', page_html)[1]
    body = page_html.split("<body", 1)[1]
    return " ".join(html.unescape(description + " " + re.sub(r"<[^>]+>", " ", body)).split())


def guide_sentences() -> set[str]:
    """The guide's own English words of three or more (headings, paragraphs, questions)."""
    with open(ROOT / "translations" / "ko" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    return {
        m.id
        for m in catalog
        if isinstance(m.id, str)
        and len(m.id.split()) >= 3
        and any(path == "templates/guide.html" for path, _line in m.locations)
    }


def in_language(app, lang: str, text: str) -> str:
    with app.test_request_context(), force_locale(lang):
        return gettext(text)


def main_of(page_html: str) -> str:
    return page_html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


@pytest.mark.parametrize("lang", LANGS)
def test_the_guide_answers_in_every_language_with_its_sections(app, client, lang):
    response = client.get(f"/guide?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert f'hreflang="{lang}" href="http://localhost/guide?lang={lang}"' in page
    toc = page.split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]
    for anchor, english in SECTIONS.items():
        heading = html.escape(in_language(app, lang, english), quote=False)
        if lang != "en":
            assert heading != english, f"{lang}: {english!r} is not translated"
        assert re.search(rf'<h2 id="{anchor}-heading">{re.escape(heading)}</h2>', page), heading
        assert f'<section id="{anchor}"' in page
        assert f'<a href="#{anchor}">{heading}</a>' in toc
    # Headings in order: one h1, then h2s, h3s only inside a section.
    levels = [int(n) for n in re.findall(r"<h([1-6])[ >]", main_of(page))]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    text = text_of(page)
    with app.test_request_context(), force_locale(lang):
        for pattern in PATTERNS:  # the directory's own words for the patterns
            assert str(code_name(pattern)).lower() in text.lower(), pattern
    for name in ("Laslett M", "Vleeming A", "IPG578"):
        assert name in text
    # Every reference in the text leads to a source in the list.
    cited = set(re.findall(r'href="#(source-\d+)"', page))
    listed = set(re.findall(r'<li id="(source-\d+)">', page))
    assert cited and cited <= listed


@pytest.mark.parametrize("lang", ["ko", "es"])
def test_no_english_sentence_of_the_guide_is_left_in_korean_or_spanish(client, lang):
    sentences = guide_sentences()
    assert len(sentences) > 60
    english = text_of(client.get("/guide?lang=en").get_data(as_text=True))
    assert [s for s in sentences if s not in english] == []  # the check can see them
    text = text_of(client.get(f"/guide?lang={lang}").get_data(as_text=True))
    assert sorted(s for s in sentences if s in text) == []


def test_results_and_practitioner_pages_link_to_the_guide(client):
    results = client.get(f"{RESULTS}&lang=es").get_data(as_text=True)
    link = re.search(r'<p class="no-print guide-link">(.*?)</p>', main_of(results), re.S)
    assert link and 'href="/guide"' in link[1] and "Lea la guía para pacientes" in link[1]

    body = client.get("/api/v1/search?location=Austin%2C+TX").get_json()
    profile = client.get(f"/practitioners/{body['nearby'][0]['id']}").get_data(as_text=True)
    assert 'href="/guide#questions"' in main_of(profile)

    body = client.get("/api/v1/search?location=London&technique=si-joint-fusion").get_json()
    surgeon = (body["nearby"] + body["travel_worthy"])[0]["id"]
    page = client.get(f"/practitioners/{surgeon}").get_data(as_text=True)
    assert 'href="/guide#surgery-travel"' in main_of(page)
    assert 'href="/guide"' in page.split("</header>", 1)[0]  # and the site's navigation


@pytest.mark.browser
def test_the_guide_opens_from_results_and_fits_a_phone_in_every_language(browser, live_server):
    """Each language in a fresh browser (the language is remembered in a cookie): the results
    page's link opens the guide, nothing is wider than the screen, axe finds nothing."""
    for lang in LANGS:
        context = loopback_context(
            browser, live_server.url, viewport=PHONE, device_scale_factor=1, has_touch=True
        )
        try:
            page = context.new_page()
            page.goto(f"{live_server.url}{RESULTS}&lang={lang}")
            page.locator("main .guide-link a").click()
            page.wait_for_url("**/guide")
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("h1").is_visible()
            assert page.evaluate(OVERFLOWING) == [], lang
            assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
            if Axe is not None:  # axe-core, where the dev requirements are installed
                assert audit(page, Axe(), f"guide {lang}", {}) == []
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{SHOTS}/guide-{lang}-390.png", full_page=True)
            # The contents list takes the reader to a section, and the urgent-care link to
            # the warning signs.
            page.locator('.toc a[href="#questions"]').click()
            assert page.locator("#questions-heading").is_visible()
            assert page.evaluate("() => location.hash") == "#questions"
            page.locator('.guide-notice a[href="#urgent"]').click()
            box = page.locator("#urgent").bounding_box()
            assert 0 <= box["y"] < PHONE["height"]
        finally:
            context.close()
