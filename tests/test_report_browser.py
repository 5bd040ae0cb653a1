"""Real Chromium, in Korean: a visitor reports a problem with a listing
through the form, and an admin sees it in the queue and marks it resolved."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from finder.extensions import db
from finder.models import AuditEvent, ListingReport, Practitioner

pytestmark = pytest.mark.browser

ADMIN = ("report-flow@example.org", "report flow password 1")


@pytest.mark.parametrize("lang", ["ko"])  # one language per journey: README, "Tests"
def test_report_a_listing_then_resolve_it(page, live_server, app, lang):
    base = live_server.url
    with app.app_context():
        p = db.session.scalar(select(Practitioner).where(Practitioner.status == "approved"))
        pid, name = p.id, p.name
    result = app.test_cli_runner().invoke(args=["create-admin", ADMIN[0], "--password", ADMIN[1]])
    assert result.exit_code == 0, result.output

    # The visitor chooses a language with the switcher's link, then opens the listing.
    page.goto(f"{base}/practitioners/{pid}?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    page.locator(f'a[href="/practitioners/{pid}/report"]').click()
    page.wait_for_selector("form textarea#details")
    assert page.locator("html").get_attribute("lang") == lang

    # "Something else" without details is refused, with the field marked.
    page.locator('input[name="reason"][value="other"]').check()
    page.locator("form button[type=submit]").click()
    page.wait_for_selector(".error-summary")
    assert page.locator("#details").get_attribute("aria-invalid") == "true"
    assert page.locator('input[name="reason"][value="other"]').is_checked()

    page.locator("#details").fill(f"Closed in March ({lang}) — 3월에 폐업, cerrado en marzo.")
    page.locator("#email").fill(f"reporter-{lang}@example.org")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector(".report-sent")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator(".report-sent ol li").count() == 3
    with app.app_context():
        report = db.session.scalar(select(ListingReport))
        assert (report.practitioner_id, report.reason, report.reporter_email) == (
            pid,
            "other",
            f"reporter-{lang}@example.org",
        )

    # The admin signs in, finds it in the queue and marks it resolved with a note.
    page.goto(f"{base}/admin/")
    page.locator("#email").fill(ADMIN[0])
    page.locator("#password").fill(ADMIN[1])
    page.locator("form button[type=submit]").click()
    row = page.locator(f"tr#report-{report.id}")
    row.wait_for()
    assert name in row.inner_text() and f"({lang})" in row.inner_text()
    assert page.locator("html").get_attribute("lang") == lang
    row.locator("textarea").fill("Listing suspended until the new address is checked.")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".flash.ok")
    assert page.locator(f"tr#report-{report.id}").count() == 0
    with app.app_context():
        report = db.session.get(ListingReport, report.id)
        assert report.resolved_by == ADMIN[0]
        assert report.resolution_note == "Listing suspended until the new address is checked."
        assert db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "resolve-report", AuditEvent.entity_id == report.id
            )
        )
