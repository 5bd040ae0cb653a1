"""A write that finds SQLite's lock held longer than it waits (the swap of a large import holds
it for half a minute at a million rows): the visitor is told the directory is busy (503 with
Retry-After, in the page's language), the form keeps what they typed, and sending it again
once the lock is free stores it once. In real Chromium, in every language the site speaks."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from finder.extensions import db
from finder.models import Practitioner, UnmetNeed

from .conftest import LiveServer, loopback_context, make_app
from .test_submit_browser import words

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

SCREENSHOTS = os.environ.get("FINDER_SCREENSHOTS")  # a folder to keep the busy page's pictures in
BUSY_MS = 300  # how long a write waits for the lock here (the site's default: 10 s)
BUSY = (
    "The directory is busy with a large update and could not store this just now. "
    "Nothing was changed: please send it again in a minute."
)


@pytest.fixture
def busy_site(demo_template, tmp_path):
    url = demo_template.copy(tmp_path)
    app = make_app(url, SQLITE_BUSY_TIMEOUT_MS=BUSY_MS)
    server = LiveServer(app)
    yield app, server, Path(url.removeprefix("sqlite:///"))
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class HeldLock:
    """SQLite's write lock taken by another connection, as a long import's swap takes it."""

    def __init__(self, database: Path):
        self.connection = sqlite3.connect(database, isolation_level=None)
        self.connection.execute("BEGIN IMMEDIATE")

    def release(self):
        self.connection.execute("ROLLBACK")
        self.connection.close()


@pytest.mark.parametrize("lang", ["en", "ko", "es"])
def test_a_submission_while_the_lock_is_held_is_kept_and_sent_again(busy_site, browser, lang):
    app, server, database = busy_site
    name = f"Busy Day Practitioner {lang} (demo)"
    city, country, your_email, patient, show, send, busy = words(
        app,
        lang,
        "City",
        "Country",
        "Your email",
        "I am their patient",
        "Show on the map",
        "Send suggestion",
        BUSY,
    )
    assert lang == "en" or busy != BUSY, "the message is translated"
    context = loopback_context(browser, server.url)
    page = context.new_page()
    page.goto(f"{server.url}/submit?lang={lang}")
    page.locator("#name").fill(name)
    page.locator("input[name=techniques][value=muscle-energy-technique]").check()
    page.get_by_label(city, exact=True).fill("Wellington")
    page.get_by_label(country, exact=True).select_option("NZ")
    page.locator("details.exact-position summary").click()
    page.locator("[name=latitude]").fill("-41.28650")
    page.locator("[name=longitude]").fill("174.77620")
    page.locator("#submitter_name").fill("A Patient")
    page.get_by_label(your_email, exact=True).fill("a.patient@example.org")
    page.get_by_label(patient).check()
    page.get_by_role("button", name=show).click()
    page.locator("#pin-map .leaflet-marker-icon").wait_for()

    lock = HeldLock(database)
    try:
        with page.expect_response(lambda r: r.request.method == "POST") as sent:
            page.get_by_role("button", name=send).click()
        assert sent.value.status == 503
        assert sent.value.headers["retry-after"] == "60"
        page.wait_for_load_state()
        assert busy in page.locator("#main").inner_text()
        assert page.locator("html").get_attribute("lang") == lang
        # What they typed is still there, ready to send again.
        assert page.locator("#name").input_value() == name
        assert page.locator("[name=latitude]").input_value() == "-41.28650"
        assert page.get_by_label(patient).is_checked()
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/busy-{lang}.png", full_page=True)
    finally:
        lock.release()

    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name=send).click()
    assert sent.value.status == 201
    assert page.locator(".reference").inner_text().startswith("S-")
    with app.app_context():
        stored = db.session.scalar(
            select(func.count()).select_from(Practitioner).where(Practitioner.name == name)
        )
    assert stored == 1
    context.close()


def test_another_write_answers_503_with_the_message_while_reading_goes_on(busy_site, caplog):
    app, _server, database = busy_site
    client = app.test_client()
    form = client.get("/unmet-need").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    lock = HeldLock(database)
    try:
        search = client.get("/search?lat=-41.2865&lon=174.7762")
        answer = client.post("/unmet-need", data={"csrf_token": token, "place": "Wellington"})
    finally:
        lock.release()
    assert search.status_code == 200, "reading is never held up by a writer"
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "60"
    assert BUSY in answer.get_data(as_text=True)
    assert "Unhandled error" not in caplog.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UnmetNeed)) == 0
