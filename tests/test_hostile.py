"""Hostile text stays text: through the real form, the admin pages, the results and the maps.

Every payload of tests/payloads.py goes into every free-text field of a submission, is
approved, and is then looked at wherever the site shows it. Nothing may run (no dialog, no
console error, no page error), nothing may be evaluated on the server (the payloads'
evaluated forms never appear), and each payload reads exactly as typed.

Every payload goes through the same journey over HTTP, every page read as served: nothing
evaluated, the text in the page and in its maps' data, never inside a script. Payloads
aimed at the browser (markup, scripts, JavaScript strings, Unicode) are also read from the
screen in Chromium on every page that shows many listings at once (the queue, the audit
log, the results with every marker's popup and tooltip, the country page and its map, the
shortlist). The pages of one listing (the form's preview, the review page and its map, the
edit form, the practitioner page, the results titled with it as the place) are drawn by the
same templates and scripts for each payload: the first few payloads of each part are typed
into the real form in Chromium and have those pages opened there, the others are sent
through the same form over HTTP. The payloads are shared out between a few tests (PARTS),
which parallel test runs run side by side.
"""

from __future__ import annotations

import base64
import json
import re
import time
from html import unescape
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import select

from finder.extensions import db
from finder.models import PracticeLocation, Practitioner
from finder.validation import hidden_character
from finder.vetting import CHECKLIST, decide

from .payloads import (
    ALWAYS_FORBIDDEN,
    BROWSER_PAYLOADS,
    CRLF,
    JAVASCRIPT_URLS,
    NUL,
    PAYLOADS,
    SERVER_PAYLOADS,
    TOO_LONG,
    check_corpus,
    normalised,
)

# Payloads a form takes (and must keep as text everywhere); those with hidden characters
# (direction overrides, stray zero-width characters) are refused with a message instead.
STORABLE = [p for p in PAYLOADS if hidden_character(p.text) is None]
HIDDEN = [p for p in PAYLOADS if hidden_character(p.text) is not None]
IN_BROWSER = [p for p in BROWSER_PAYLOADS if p in STORABLE]
ON_SERVER = [p for p in SERVER_PAYLOADS if p in STORABLE]

ADMIN_EMAIL = "vetter@example.org"
ADMIN_PASSWORD = "a long enough password"
PARALLEL = 3  # pages loading side by side
PARTS = 2  # tests the browser payloads are shared out between (each payload in exactly one)
ONE_BY_ONE = 3  # payloads of each part typed into the form and opened one by one in the browser
# Where each payload is checked, in every part.
PAGE_KINDS = {
    "submission preview",
    "admin queue",
    "admin review",
    "admin review map",
    "admin edit form",
    "admin audit log",
    "results list",
    "results map popup",
    "results map tooltip",
    "origin label on results and map",
    "practitioner page",
    "country page",
    "country map popup",
    "countries page",
    "shortlist",
}
# The pages that show one listing (or one searched place): every payload's over HTTP, the
# first ONE_BY_ONE payloads' of each part in the browser too.
OWN_PAGE_KINDS = {
    "submission preview",
    "admin review",
    "admin review map",
    "admin edit form",
    "origin label on results and map",
    "practitioner page",
}
ORIGIN = (64.1, -21.9)  # Reykjavík: every hostile listing is a few km from here
FORBIDDEN = sorted({bad for p in PAYLOADS for bad in p.forbidden} | set(ALWAYS_FORBIDDEN))
BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)

# Free-text fields of the submission form and their longest accepted value.
FIELDS_BEFORE_PREVIEW = {
    "name": 200,
    "credentials": 200,
    "clinic": 200,
    "registry_name": 200,
    "registry_number": 100,
    "address": 300,
    "postal_code": 20,
    "submitter_name": 200,
}
# The preview places the pin from city and region, so a visitor changes these after it.
FIELDS_AFTER_PREVIEW = {"city": 200, "region": 200}
LISTING_FIELDS = {**FIELDS_BEFORE_PREVIEW, **FIELDS_AFTER_PREVIEW}
LISTING_FIELDS.pop("submitter_name")

# Reads every marker of every map on the page: each popup and tooltip is opened on the map
# and its text read from the screen (falling back to the content node if opening fails).
MAP_TEXTS = """() => {
  const found = [];
  for (const frame of document.querySelectorAll('[data-map]')) {
    const map = window[frame.dataset.map];
    if (!map || !map.eachLayer) { found.push({error: 'no Leaflet map ' + frame.dataset.map}); continue; }
    const layers = new Set();
    map.eachLayer(layer => {
      layers.add(layer);
      if (layer.getLayers) layer.getLayers().forEach(child => layers.add(child));
    });
    for (const layer of layers) {
      if (!layer.getLatLng) continue;
      const at = layer.getLatLng();
      const entry = {lat: at.lat, lon: at.lng, popup: null, tooltip: null};
      const popup = layer.getPopup && layer.getPopup();
      if (popup) {
        try {
          popup.setLatLng(at).openOn(map);
          entry.popup = popup.getElement().querySelector('.leaflet-popup-content').innerText;
          map.closePopup(popup);
        } catch (e) {
          const c = popup.getContent();
          entry.popup = typeof c === 'string' ? 'STRING:' + c : c.textContent;
        }
      }
      const tooltip = layer.getTooltip && layer.getTooltip();
      if (tooltip) {
        try {
          map.openTooltip(tooltip, at);
          entry.tooltip = tooltip.getElement().innerText;
          map.closeTooltip(tooltip);
        } catch (e) {
          const c = tooltip.getContent();
          entry.tooltip = typeof c === 'string' ? 'STRING:' + c : c.textContent;
        }
      }
      if (entry.popup !== null || entry.tooltip !== null) found.push(entry);
    }
  }
  return found;
}"""


def fit(text: str, limit: int, filler: str) -> str:
    """The text if a browser lets it into a field of this maxlength (in UTF-16 units)."""
    return text if len(text.encode("utf-16-le")) // 2 <= limit else filler


def expected(payload_text: str, field: str) -> str:
    """What the listing's field holds for this payload."""
    return fit(payload_text, LISTING_FIELDS.get(field, 200), f"short-{field}")


class Watcher:
    """Dialogs, console errors and page errors of every page in the browser context."""

    def __init__(self):
        self.problems: list[str] = []
        self.checks: set[tuple[int, str]] = set()

    def attach(self, page):
        page.on("dialog", self._dialog)
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda error: self.problems.append(f"pageerror {page.url}: {error}"))

    def _dialog(self, dialog):
        self.problems.append(f"dialog {dialog.type} {dialog.message!r} on {dialog.page.url}")
        dialog.dismiss()

    def _console(self, page, msg):
        if msg.type != "error" and "Content Security Policy" not in msg.text:
            return
        url = (msg.location or {}).get("url", "")
        # A 4xx page is the site's answer to a bad request, not an injected script.
        if msg.text.startswith("Failed to load resource") and url.split("#")[0] == page.url:
            return
        if url.endswith("/favicon.ico"):
            return  # the browser's own request, not the page's
        self.problems.append(f"console {msg.type} on {page.url}: {msg.text} ({url})")

    def record(self, index: int, where: str):
        self.checks.add((index, where))


def context_for(browser, live_server, outside: list[str]):
    """One browser context; any request that leaves the site is written down."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30000)  # a 2-core machine running the suite in parallel
    context.on(
        "request",
        lambda r: None if r.url.startswith((live_server.url, "data:")) else outside.append(r.url),
    )
    return context


# What the checks read from a page, in one round trip: its HTML as page.content() gives it,
# the text of the body, the first h1 and the title as shown, and the values of the fields
# whose ids are given.
SNAPSHOT = """(ids) => {
  const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '';
  const h1 = document.querySelector('h1');
  return {
    html: doctype + document.documentElement.outerHTML,
    text: document.body.innerText,
    h1: h1 ? h1.innerText : null,
    title: document.title,
    values: Object.fromEntries(ids.map(id => [id, document.getElementById(id).value])),
  };
}"""


def snapshot(page, field_ids=()) -> dict:
    return page.evaluate(SNAPSHOT, list(field_ids))


def not_evaluated(seen: dict, where: str):
    """No evaluated payload in the page's HTML or text (seen: a snapshot of the page)."""
    for bad in FORBIDDEN:
        assert bad not in seen["html"] and bad not in seen["text"], (
            f"{bad!r} (an evaluated payload) on {where}"
        )


def shows(actual: str, payload_text: str, where: str):
    assert normalised(payload_text) in normalised(actual), (
        f"{payload_text!r} not shown as typed on {where}: {actual[:400]!r}"
    )


# Every card (or shortlist item): its practitioner id, the text of each of its headings of
# the given kind, and its whole text, as shown.
CARD_TEXTS = """([selector, heading]) => [...document.querySelectorAll(selector)].map(card => ({
  id: card.dataset.practitionerId,
  headings: [...card.querySelectorAll(heading)].map(h => h.innerText),
  text: card.innerText,
}))"""


def cards_by_id(page, selector: str, heading: str) -> dict[str, dict]:
    """The cards on the page by practitioner id, each with exactly one heading (as a strict
    locator would insist)."""
    cards = page.evaluate(CARD_TEXTS, [selector, heading])
    found = {card["id"]: card for card in cards}
    assert len(found) == len(cards), ("a practitioner shown twice", selector)
    for card in cards:
        assert len(card["headings"]) == 1, (f"one {heading} per {selector}", card)
    return found


def map_texts(page) -> list[dict]:
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-map]')].every(f => window[f.dataset.map])"
    )
    texts = page.evaluate(MAP_TEXTS)
    errors = [t["error"] for t in texts if "error" in t]
    assert not errors, errors
    strings = [t for t in texts if str(t.get("popup")).startswith("STRING:")]
    assert not strings, f"map text passed as an HTML string: {strings[:2]}"
    return texts


VALID_FIELDS = """([lat, lon, typed]) => {
  const values = {
    ...typed,
    languages: 'en; is', website: 'https://example.org/clinic', phone: '+354 551 2345',
    email: 'clinic@example.org', registry_url: 'https://example.org/registry',
    city: 'Reykjavík', latitude: lat, longitude: lon, submitter_email: 'someone@example.org',
    country: 'IS',
  };
  for (const [id, value] of Object.entries(values)) {
    const field = document.getElementById(id);
    field.value = value;
    field.dispatchEvent(new Event('input', {bubbles: true}));
    field.dispatchEvent(new Event('change', {bubbles: true}));
  }
  document.getElementById('relation-1').checked = true;
  const met = document.querySelector('input[name=techniques][value=muscle-energy-technique]');
  met.checked = true;
}"""


def fill_submission(page, payload_text: str, lat: float, lon: float):
    """The payload in every free-text field, valid values in the others: each field's value
    set and its input and change events sent, as typing ends (one round trip for all)."""
    typed = {
        name: fit(payload_text, limit, f"short-{name}")
        for name, limit in FIELDS_BEFORE_PREVIEW.items()
    }
    page.locator("#submitter_email").wait_for(state="attached")  # the form has loaded
    page.evaluate(VALID_FIELDS, [f"{lat:.5f}", f"{lon:.5f}", typed])


def in_batches(pages, items, *stages):
    """Run each stage on a batch of items, one item per page, before the next stage: the
    browser loads the batch's pages side by side while the test reads the others."""
    for start in range(0, len(items), len(pages)):
        batch = list(zip(pages, items[start : start + len(pages)], strict=False))
        for stage in stages:
            for page, item in batch:
                stage(page, item)


def visit_all(pages, base: str, urls: list[tuple[str, int]], check):
    """Load each (url, payload index) and call check(page, url, index)."""

    def load(page, item):
        page.goto(base + item[0], wait_until="commit")

    def read(page, item):
        page.wait_for_load_state()
        check(page, *item)

    in_batches(pages, urls, load, read)


def log_in(page, base: str):
    page.goto(base + "/admin/login")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.wait_for_url(re.compile(r"/admin/?(\?.*)?$"))


def check_listing_texts(body: str, payload_text: str, where: str):
    for field in LISTING_FIELDS:
        shows(body, expected(payload_text, field), f"{where} ({field})")


def coordinates(index: int) -> tuple[float, float]:
    """Distinct points a few km from Reykjavík, so every marker is its own."""
    return ORIGIN[0] + 0.004 * (index % 10), ORIGIN[1] + 0.006 * (index // 10)


def payloads_of(part: int) -> list[tuple[int, object]]:
    """The (index, payload) pairs of IN_BROWSER that this part checks."""
    return list(enumerate(IN_BROWSER))[part::PARTS]


def map_shows(texts: list[dict], kind: str, *wanted: str) -> bool:
    """Some marker's popup or tooltip shows every wanted text."""
    return any(t[kind] and all(normalised(w) in normalised(t[kind]) for w in wanted) for t in texts)


# What Chromium makes of the pages is engine_free: the same journey over HTTP (below) runs on
# PostgreSQL too and requires each page, and its maps' data, to hold each payload exactly as
# on SQLite; the browser reads those same bytes.
@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.engine_free
@pytest.mark.parametrize("part", range(PARTS), ids=lambda part: f"part{part + 1}of{PARTS}")
def test_every_payload_in_every_field_stays_text_everywhere(browser, live_server, app, part):
    check_corpus()
    assert len(IN_BROWSER) >= 20
    shared_out = sorted(index for each in range(PARTS) for index, _ in payloads_of(each))
    assert shared_out == list(range(len(IN_BROWSER))), "every payload in exactly one part"
    started = time.monotonic()
    base = live_server.url
    result = app.test_cli_runner().invoke(
        args=["create-admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    # Blank tiles from a data: URL: the maps draw without any tile server.
    blank = base64.b64encode(BLANK_PNG).decode()
    app.config["TILE_URL"] = f"data:image/png;base64,{blank}#{{z}}/{{x}}/{{y}}"
    outside: list[str] = []
    context = context_for(browser, live_server, outside)
    watcher = Watcher()
    context.on("page", watcher.attach)
    pages = [context.new_page() for _ in range(PARALLEL)]
    page = pages[0]
    posted: dict = {each: [] for each in pages}
    for each in pages:
        each.on(
            "response",
            lambda r, each=each: (
                posted[each].append(r.status) if r.request.method == "POST" else None
            ),
        )
    indexed = payloads_of(part)
    phases: dict[str, float] = {}

    def phase(name: str):
        phases[name] = time.monotonic()
        print(f"{name} at {phases[name] - started:.1f} s", flush=True)

    # 1. A visitor submits each payload through the real form: fill, preview the pin, put
    # the payload into city and region too (the preview places the pin from them), send. The
    # first few are typed in the browser, the others are sent over HTTP (as the HTTP journey
    # below sends every payload).
    phase("submit")
    own = [index for index, _ in indexed[:ONE_BY_ONE]]

    def open_form(page, item):
        index, payload = item
        posted[page].clear()
        page.goto(base + "/submit", wait_until="commit")
        fill_submission(page, payload.text, *coordinates(index))
        page.get_by_role("button", name="Show on the map").click(force=True, no_wait_after=True)

    def check_preview_and_send(page, item):
        index, payload = item
        page.locator("#pin-map").wait_for()
        where = f"submission preview for {payload.text!r}"
        assert posted[page] == [200], (where, posted[page])
        seen = snapshot(page, FIELDS_BEFORE_PREVIEW)
        not_evaluated(seen, where)
        for name, limit in FIELDS_BEFORE_PREVIEW.items():
            value = seen["values"][name]
            assert value == fit(payload.text, limit, f"short-{name}"), (where, name, value)
        watcher.record(index, "submission preview")
        for name, limit in FIELDS_AFTER_PREVIEW.items():
            page.locator(f"#{name}").fill(fit(payload.text, limit, f"short-{name}"), force=True)
        page.get_by_role("button", name="Send suggestion").click(force=True, no_wait_after=True)

    def check_sent(page, item):
        page.locator(".reference").wait_for()
        assert posted[page] == [200, 201], (item[1].text, posted[page])

    in_batches(pages, indexed[:ONE_BY_ONE], open_form, check_preview_and_send, check_sent)
    assert not watcher.problems, watcher.problems
    visitor = app.test_client()
    for index, payload in indexed[ONE_BY_ONE:]:
        submitted_over_http(visitor, index, payload.text)
    with app.app_context():
        rows = db.session.execute(
            select(Practitioner.id, PracticeLocation.latitude, PracticeLocation.longitude)
            .join(PracticeLocation)
            .where(Practitioner.status == "pending", Practitioner.ref.like("sub-%"))
        ).all()
        by_point = {(round(la, 5), round(lo, 5)): pid for pid, la, lo in rows}
        ids = {}
        for index, payload in indexed:
            lat, lon = coordinates(index)
            ids[index] = by_point[(round(lat, 5), round(lon, 5))]
            stored = db.session.get(Practitioner, ids[index])
            assert stored.name == payload.text, ("stored name differs", payload.text, stored.name)
            assert stored.locations[0].city == expected(payload.text, "city")

    # 2. An admin looks at the queue, each review page with its map, and each edit form.
    phase("admin")
    log_in(page, base)
    queue_text = ""
    for number in range(1, 10):
        page.goto(f"{base}/admin/?status=pending&country=IS&page={number}")
        not_evaluated(snapshot(page), "admin queue")
        queue_text += page.inner_text("table.admin")
        if page.get_by_role("link", name=re.compile("Next")).count() == 0:
            break
    for index, payload in indexed:
        shows(queue_text, payload.text, "admin queue")
        shows(queue_text, expected(payload.text, "city"), "admin queue (city)")
        watcher.record(index, "admin queue")

    def check_review(page, url, index):
        text = IN_BROWSER[index].text
        seen = snapshot(page)
        not_evaluated(seen, url)
        shows(seen["h1"], text, url)
        check_listing_texts(seen["text"], text, url)
        shows(seen["text"], expected(text, "submitter_name"), f"{url} (submitter)")
        watcher.record(index, "admin review")
        texts = map_texts(page)
        assert map_shows(texts, "tooltip", text), ("review map tooltip", url, texts)
        assert map_shows(texts, "popup", text), ("review map popup", url, texts)
        watcher.record(index, "admin review map")

    def check_edit(page, url, index):
        seen = snapshot(page, LISTING_FIELDS)
        not_evaluated(seen, url)
        for field in LISTING_FIELDS:
            value = seen["values"][field]
            assert value == expected(IN_BROWSER[index].text, field), (url, field, value)
        watcher.record(index, "admin edit form")

    # The pages of one listing each: the first few payloads' (every payload's over HTTP).
    visit_all(pages, base, [(f"/admin/practitioners/{ids[i]}", i) for i in own], check_review)
    visit_all(pages, base, [(f"/admin/practitioners/{ids[i]}/edit", i) for i in own], check_edit)

    # 3. One is approved through the admin UI (the note is hostile too), the rest by the
    # project's own vetting function.
    phase("approve")
    first = ids[indexed[0][0]]
    page.goto(f"{base}/admin/practitioners/{first}")
    for label in CHECKLIST.values():
        page.get_by_label(label).check()
    page.get_by_label("Note").fill(IN_BROWSER[1].text)
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    seen = snapshot(page)
    not_evaluated(seen, f"review after approval {first}")
    assert "approved" in seen["h1"]
    shows(seen["text"], IN_BROWSER[1].text, "vetting decision note")
    with app.app_context():
        for index, pid in ids.items():
            if pid != first:
                decide(
                    db.session,
                    db.session.get(Practitioner, pid),
                    "approve",
                    ADMIN_EMAIL,
                    IN_BROWSER[index].text,
                    {key: True for key in CHECKLIST},
                )
        db.session.commit()
        # The audit log shows before/after as readable JSON: every script as itself, only
        # quotes, backslashes and control characters escaped.
        audit_forms = {
            i: normalised(json.dumps(p.text, ensure_ascii=False)[1:-1]) for i, p in indexed
        }

    audit_text = ""
    for number in range(1, 20):
        page.goto(f"{base}/admin/audit?page={number}")
        seen = snapshot(page)
        not_evaluated(seen, f"/admin/audit?page={number}")
        audit_text += seen["text"]
        if page.get_by_role("link", name=re.compile("Older")).count() == 0:
            break
    for index in ids:
        assert audit_forms[index] in normalised(audit_text), ("audit", IN_BROWSER[index].text)
        watcher.record(index, "admin audit log")

    # 4. A patient searches near Reykjavík: cards and every marker's popup and tooltip.
    phase("results")
    page.goto(f"{base}/search?lat={ORIGIN[0]}&lon={ORIGIN[1]}&radius=50&per_page=100")
    not_evaluated(snapshot(page), "results near Reykjavík")
    texts = map_texts(page)
    cards = cards_by_id(page, ".result-card", "h3")
    for index, payload in indexed:
        card = cards[str(ids[index])]
        assert normalised(card["headings"][0]) == normalised(payload.text)
        shows(card["text"], expected(payload.text, "city"), "result card (city)")
        watcher.record(index, "results list")
        city = expected(payload.text, "city")
        assert map_shows(texts, "popup", payload.text, city), ("popup", payload.text, texts)
        watcher.record(index, "results map popup")
        assert map_shows(texts, "tooltip", payload.text), ("tooltip", payload.text, texts)
        watcher.record(index, "results map tooltip")

    # 5. Each payload as the origin's label: the results title and the origin's tooltip.
    phase("origin")

    def check_origin(page, url, index):
        text = IN_BROWSER[index].text
        seen = snapshot(page)
        not_evaluated(seen, url)
        shows(seen["h1"], text, url)
        shows(seen["title"], text, f"title of {url}")
        texts = map_texts(page)
        assert map_shows(texts, "tooltip", text), ("origin tooltip", url, texts)
        watcher.record(index, "origin label on results and map")

    origin = {"lat": ORIGIN[0], "lon": ORIGIN[1], "radius": 1}
    urls = [(f"/search?{urlencode({**origin, 'location': IN_BROWSER[i].text})}", i) for i in own]
    visit_all(pages, base, urls, check_origin)

    # 6. The practitioner pages, the country page, the coverage page, shortlists.
    phase("public")

    def check_practitioner(page, url, index):
        seen = snapshot(page)
        not_evaluated(seen, url)
        assert normalised(seen["h1"]) == normalised(IN_BROWSER[index].text), url
        check_listing_texts(seen["text"], IN_BROWSER[index].text, url)
        watcher.record(index, "practitioner page")

    visit_all(pages, base, [(f"/practitioners/{ids[i]}", i) for i in own], check_practitioner)
    page.goto(f"{base}/countries/IS")
    seen = snapshot(page)
    not_evaluated(seen, "/countries/IS")
    body = seen["text"]
    texts = map_texts(page)
    for index, payload in indexed:
        shows(body, payload.text, "/countries/IS")
        watcher.record(index, "country page")
        assert map_shows(texts, "popup", payload.text), ("country map", payload.text)
        watcher.record(index, "country map popup")
    page.goto(f"{base}/countries")
    not_evaluated(snapshot(page), "/countries")
    map_texts(page)
    for index in ids:
        watcher.record(index, "countries page")
    order = list(ids.items())
    for start in range(0, len(order), 50):
        chunk = order[start : start + 50]
        page.goto(f"{base}/shortlist?" + "&".join(f"id={pid}" for _, pid in chunk))
        not_evaluated(snapshot(page), "/shortlist")
        items = cards_by_id(page, ".shortlist-item", "h2")
        for index, pid in chunk:
            heading = items[str(pid)]["headings"][0]
            assert normalised(heading) == normalised(IN_BROWSER[index].text)
            watcher.record(index, "shortlist")

    phase("end")
    assert not watcher.problems, "\n".join(watcher.problems)
    assert not outside, f"requests that left the site: {outside[:5]}"
    context.close()
    marks = list(phases.items())
    where = sorted({where for _, where in watcher.checks})
    count = len(watcher.checks)
    print(
        f"\nhostile text in the browser, part {part + 1} of {PARTS}: "
        f"{len(indexed)} of {len(IN_BROWSER)} payloads × {len(where)} pages "
        f"({len(OWN_PAGE_KINDS)} of them for {len(own)} payloads) = "
        f"{count} checks in {time.monotonic() - started:.0f} s ("
        + ", ".join(f"{a[0]} {b[1] - a[1]:.0f} s" for a, b in zip(marks, marks[1:], strict=False))
        + ")\n  pages: "
        + ", ".join(where)
    )
    assert set(where) == PAGE_KINDS, set(where) ^ PAGE_KINDS
    assert OWN_PAGE_KINDS <= PAGE_KINDS
    assert count == len(indexed) * len(PAGE_KINDS - OWN_PAGE_KINDS) + len(own) * len(OWN_PAGE_KINDS)


# --- Every payload, over HTTP ----------------------------------------------------------

DATA_ISLAND = re.compile(r'<script type="application/json" class="map-data">(.*?)</script>', re.S)
INLINE_SCRIPT = re.compile(r"<script nonce=[^>]*>(.*?)</script>", re.S)


def strings_in(value) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


def served(response, where: str, status: int = 200) -> dict:
    """A page as served: its status, nothing evaluated, and what a reader gets from it (the
    text with markup removed and entities read, and every string of its maps' data)."""
    body = response.get_data(as_text=True)
    assert response.status_code == status, (where, response.status_code, body[:300])
    for bad in FORBIDDEN:
        assert bad not in body, f"{bad!r} (an evaluated payload) on {where}"
    islands = [json.loads(unescape(found)) for found in DATA_ISLAND.findall(body)]
    return {
        "html": body,
        "text": normalised(unescape(re.sub(r"<[^>]*>", " ", body))),
        "map": [normalised(text) for island in islands for text in strings_in(island)],
        "scripts": INLINE_SCRIPT.findall(body),
    }


def field_value(html: str, field_id: str) -> str | None:
    """The value of the form field with this id, as the browser reads it."""
    tag = re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', html)
    if not tag:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else ""


def reads(seen: dict, text: str, where: str, on_map: bool = False):
    """The text reads as typed on the page (and in its map's data, if on_map), and no inline
    script carries it: maps are drawn from data, never from outside text in code."""
    assert normalised(text) in seen["text"], f"{text!r} not shown as typed on {where}"
    if on_map:
        assert any(normalised(text) in each for each in seen["map"]), (where, text, seen["map"])
    for script in seen["scripts"]:
        assert text not in script and json.dumps(text)[1:-1] not in script, (where, text)


def submitted_over_http(client, index: int, text: str) -> None:
    """The text in every free-text field of the real form, sent over HTTP as a browser would:
    the preview (its fields hold the text exactly), then the suggestion itself."""
    lat, lon = coordinates(index)
    typed = {name: fit(text, n, f"short-{name}") for name, n in LISTING_FIELDS.items()}
    typed["submitter_name"] = fit(text, 200, "short-submitter_name")
    data = submission(client, **typed, latitude=f"{lat:.5f}", longitude=f"{lon:.5f}")
    del data["send"]
    where = f"submission preview for {text!r}"
    seen = served(client.post("/submit", data={**data, "preview": ""}), where)
    for name, value in typed.items():
        assert field_value(seen["html"], name) == value, (where, name)
    served(client.post("/submit", data={**data, "send": ""}), f"submission of {text!r}", 201)


@pytest.mark.slow
@pytest.mark.parametrize("part", range(PARTS), ids=lambda part: f"part{part + 1}of{PARTS}")
def test_every_payload_in_every_field_is_never_evaluated_on_any_page_as_served(
    app, hostile_admin, part
):
    """The browser test's journey over HTTP, for every payload: template syntax, format
    strings and SQL (which a server would evaluate before any browser sees the page) and the
    browser's payloads on the pages of one listing each."""
    check_corpus()
    assert len(ON_SERVER) >= 20 and len(IN_BROWSER) >= 20
    assert set(ON_SERVER) | set(IN_BROWSER) == set(STORABLE)
    payloads = STORABLE[part::PARTS]
    admin, visitor = hostile_admin, app.test_client()
    checks: set[tuple[int, str]] = set()
    ids: dict[int, int] = {}
    for index, payload in enumerate(payloads):
        submitted_over_http(visitor, index, payload.text)
        checks.add((index, "submission preview"))
        with app.app_context():
            ids[index] = db.session.scalar(
                select(Practitioner.id).order_by(Practitioner.id.desc()).limit(1)
            )
            stored = db.session.get(Practitioner, ids[index])
            assert stored.name == payload.text and stored.status == "pending"

    queue = ""
    for number in range(1, 10):
        response = admin.get(f"/admin/?status=pending&country=IS&page={number}")
        queue += served(response, "admin queue")["text"]
        if "Next" not in response.get_data(as_text=True):
            break
    for index, payload in enumerate(payloads):
        url = f"/admin/practitioners/{ids[index]}"
        assert normalised(payload.text) in queue, ("admin queue", payload.text)
        reads(served(admin.get(url), url), payload.text, url, on_map=True)
        seen = served(admin.get(url + "/edit"), url + "/edit")
        for field in LISTING_FIELDS:
            assert field_value(seen["html"], field) == expected(payload.text, field), (url, field)
        checks |= {(index, "admin queue"), (index, "admin review"), (index, "admin edit form")}

    with app.app_context():
        for index, payload in enumerate(payloads):
            practitioner = db.session.get(Practitioner, ids[index])
            decide(
                db.session,
                practitioner,
                "approve",
                ADMIN_EMAIL,
                payload.text,
                {key: True for key in CHECKLIST},
            )
        db.session.commit()
    audit = ""
    for number in range(1, 30):
        response = admin.get(f"/admin/audit?page={number}")
        audit += served(response, f"/admin/audit?page={number}")["text"]
        if "Older" not in response.get_data(as_text=True):
            break

    near = f"/search?lat={ORIGIN[0]}&lon={ORIGIN[1]}&radius=50&per_page=100"
    results = served(visitor.get(near), near)
    country = served(visitor.get("/countries/IS"), "/countries/IS")
    served(visitor.get("/countries"), "/countries")
    shortlist_url = "/shortlist?" + "&".join(f"id={pid}" for pid in ids.values())
    shortlist = served(visitor.get(shortlist_url), "/shortlist")
    for index, payload in enumerate(payloads):
        text = payload.text
        assert normalised(json.dumps(text, ensure_ascii=False)[1:-1]) in audit, ("audit", text)
        reads(results, text, "results", on_map=True)
        reads(country, text, "/countries/IS", on_map=True)
        reads(shortlist, text, "/shortlist")
        query = urlencode({"lat": ORIGIN[0], "lon": ORIGIN[1], "radius": 1, "location": text})
        reads(served(visitor.get(f"/search?{query}"), f"origin {text!r}"), text, "origin", True)
        url = f"/practitioners/{ids[index]}"
        reads(served(visitor.get(url), url), text, url, on_map=True)
        checks |= {
            (index, kind)
            for kind in (
                "admin audit log",
                "results",
                "origin label",
                "practitioner page",
                "country page",
                "shortlist",
            )
        }
    assert len(checks) == len(payloads) * 10


# --- Query parameters and form refusals, over HTTP -------------------------------------

SEARCH_KEYS = [
    "location",
    "lat",
    "lon",
    "technique",
    "country",
    "language",
    "radius",
    "unit",
    "telehealth",
    "home_visits",
    "gentle",
    "page",
    "per_page",
]
# Flask's url_for options and the link builders' inputs, all at once.
TRAPS = ["_method", "_scheme", "_external", "_anchor", "endpoint", "lang"]
GET_PAGES = {
    # path: (a query that works, the parameters the page reads, one request per parameter?)
    # Pages that check their parameters in turn get one request per parameter, so that an
    # early refusal does not hide a later one; the others get every parameter at once.
    "/": ({}, SEARCH_KEYS, False),
    "/search": ({"lat": "64.1", "lon": "-21.9", "radius": "5"}, SEARCH_KEYS, True),
    # The API reads its parameters through the same parse as /search (parse_search_args),
    # which each of them goes through on its own above; here they come all at once.
    "/api/v1/search": ({"lat": "64.1", "lon": "-21.9", "radius": "5"}, SEARCH_KEYS, False),
    "/countries": ({}, ["technique"], False),
    "/countries/IS": ({}, ["technique", "code"], False),
    "/shortlist": ({"id": "1"}, ["id"], True),
    "/practitioners/{approved}": ({}, ["practitioner_id"], False),
    "/unmet-need": ({}, ["place", "technique"], False),
    "/fhir/Location": ({"near": "64.1|-21.9|50|km"}, ["near", "_count"], True),
    "/api/v1/hsds/services": ({}, ["page", "per_page"], True),
    "/admin/": ({}, ["status", "country", "technique", "page"], False),
    "/admin/audit": ({}, ["page"], False),
}


def hostile_check(response, url: str, text: str):
    """No 5xx, nothing evaluated, no raw markup from the payload in an HTML page."""
    assert response.status_code < 500, f"{response.status_code} for GET {url}"
    body = response.get_data(as_text=True)
    for bad in FORBIDDEN:
        assert bad not in body, f"{bad!r} (an evaluated payload) in GET {url}"
    if response.mimetype == "text/html" and "<" in text:
        # Markup from the query never reaches the page as markup (JSON in a data island
        # escapes "<" as \u003c, HTML as &lt;).
        assert text not in body, f"the payload is in GET {url} unescaped"
    if url.startswith(("/api/", "/fhir/")):
        assert "json" in response.mimetype, (url, response.mimetype)
    return body


@pytest.fixture
def hostile_admin(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    return client


@pytest.mark.slow
def test_every_payload_in_every_query_parameter_of_every_get_page(app, hostile_admin):
    client = hostile_admin
    with app.app_context():
        approved = db.session.scalar(
            select(Practitioner.id).where(Practitioner.status == "approved").limit(1)
        )
    texts = [p.text for p in PAYLOADS] + [NUL, TOO_LONG, CRLF]
    checks = 0
    started = time.monotonic()
    for path_template, (base_query, keys, separately) in GET_PAGES.items():
        path = path_template.format(approved=approved)
        for text in texts:
            traps = {key: text for key in TRAPS}
            if separately:
                queries = [{**base_query, key: text} for key in keys]
                queries.append({**base_query, **traps})
            else:
                queries = [{**base_query, **{key: text for key in keys}, **traps}]
            for query in queries:
                url = f"{path}?{urlencode(query)}"
                body = hostile_check(client.get(url), url, text)
                if path in ("/", "/search") and "location" in query and text.strip():
                    if len(text) <= 200 and "\x00" not in text:
                        # The visitor's text comes back in the search box, exactly.
                        shown = field_value(body, "location")
                        assert shown in (text, text.strip()), (url, shown)
                checks += 1
    # Path segments too.
    for text in texts:
        for template in ("/countries/{}", "/practitioners/{}", "/api/v1/hsds/services/{}"):
            url = template.format(quote(text, safe=""))
            hostile_check(client.get(url), url, text)
            checks += 1
    print(
        f"\nhostile query parameters: {len(texts)} payloads × {len(GET_PAGES)} pages "
        f"(every parameter, and the url_for options together) = {checks} requests "
        f"in {time.monotonic() - started:.0f} s"
    )
    assert checks >= 40 * len(GET_PAGES)


def submission(client, **changes) -> dict:
    page = client.get("/submit").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = {
        "csrf_token": token,
        "name": "Plain Name",
        "techniques": "physical-therapy",
        "city": "Reykjavík",
        "country": "IS",
        "latitude": "64.1",
        "longitude": "-21.9",
        "submitter_name": "Someone",
        "submitter_email": "someone@example.org",
        "relation": "patient",
        "send": "",
    }
    data.update(changes)
    return data


TEXT_FIELD_LIMITS = {**FIELDS_BEFORE_PREVIEW, **FIELDS_AFTER_PREVIEW}


def test_text_too_long_for_a_field_gets_a_clear_message(client):
    for field, limit in TEXT_FIELD_LIMITS.items():
        text = ("{{ 1337*1009 }}" + "x" * limit)[: limit + 1]
        response = client.post("/submit", data=submission(client, **{field: text}))
        body = response.get_data(as_text=True)
        assert response.status_code == 400, (field, response.status_code)
        assert f"longer than {limit} characters" in body, (field, body[:300])
        assert "1349033" not in body


def test_nul_in_a_form_field_is_refused_or_removed(app, client):
    kept = []
    for field in TEXT_FIELD_LIMITS:
        name = f"Nul {field} (demo)"
        data = submission(client, **{field: "Dr\x00Null"})
        data["name"] = name if field != "name" else "Dr\x00Null"
        response = client.post("/submit", data=data)
        body = response.get_data(as_text=True)
        assert response.status_code in (201, 400, 422), (field, response.status_code)
        if response.status_code != 201:
            assert 'class="error-msg"' in body, (field, "refused without a message")
            continue
        with app.app_context():
            stored = db.session.scalars(
                select(Practitioner).order_by(Practitioner.id.desc()).limit(1)
            ).one()
            location = stored.locations[0]
            values = {
                "name": stored.name,
                "credentials": stored.credentials,
                "clinic": stored.clinic,
                "registry_name": stored.registry_name,
                "registry_number": stored.registry_number,
                **{f: getattr(location, f) for f in ("address", "city", "region", "postal_code")},
            }
            kept += [f"{key}={value!r}" for key, value in values.items() if "\x00" in (value or "")]
    assert not kept, f"NUL stored as sent: {kept}"


def test_javascript_urls_are_refused_as_links(client):
    for field in ("website", "registry_url"):
        for url in JAVASCRIPT_URLS:
            response = client.post("/submit", data=submission(client, **{field: url}))
            body = response.get_data(as_text=True)
            assert response.status_code == 400, (field, url, response.status_code)
            assert "http:// or https://" in body, (field, url)


@pytest.mark.parametrize("payload", HIDDEN, ids=[p.why for p in HIDDEN])
def test_text_that_hides_something_is_refused_in_every_field_and_shown_as_typed(
    app, client, payload
):
    assert len(HIDDEN) >= 3 and len(STORABLE) >= 40
    for field in TEXT_FIELD_LIMITS:
        response = client.post("/submit", data=submission(client, **{field: payload.text}))
        body = response.get_data(as_text=True)
        assert response.status_code == 400, (field, response.status_code)
        assert "Remove the invisible control characters from this field." in body, field
        for forbidden in payload.forbidden:
            assert forbidden not in body, (field, forbidden)
