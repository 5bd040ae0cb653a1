"""Real Chromium and a real SMTP server: a practitioner asks for a link, opens it from the
mail, proposes changes; an admin sees them as a diff and approves; the public page shows
them. In each UI language."""

from __future__ import annotations

import phonenumbers
import pytest
from sqlalchemy import select

from finder.extensions import db
from finder.models import ListingChange, Practitioner

from .smtp import links_in

pytestmark = pytest.mark.browser

ADMIN = ("claim-flow@example.org", "claim flow password 1")


@pytest.mark.parametrize("lang", ["en", "ko", "es"])
def test_practitioner_proposes_a_change_that_goes_live_once_approved(
    page, live_server, app, smtp, lang
):
    app.config["MAIL_URL"] = smtp.url
    base = live_server.url
    with app.app_context():
        p = db.session.scalars(
            select(Practitioner)
            .where(Practitioner.status == "approved", Practitioner.email != "")
            .order_by(Practitioner.id)
            .offset(20)
            .limit(1)
        ).one()
        pid, email, country = p.id, p.email, p.locations[0].country
        old_phone = p.phone
    example = phonenumbers.example_number(country)
    if phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164) == old_phone:
        example.national_number += 1  # the demo data uses example numbers too
    phone = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    # The practitioner finds the way from their public listing.
    page.goto(f"{base}/practitioners/{pid}?lang={lang}")
    page.locator('a[href="/listing/claim"]').click()
    page.wait_for_selector("#email")
    assert page.locator("html").get_attribute("lang") == lang
    page.locator("#email").fill("not-an-email")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector(".error-summary")
    page.locator("#email").fill(email)
    page.locator("form button[type=submit]").click()
    page.wait_for_selector(".claim-sent")

    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "Sent 1 message(s)" in result.output, result.output
    (message,) = smtp.to(email)
    assert message["Content-Language"] == lang
    (url,) = links_in(message)
    page.goto(url.replace("http://localhost", base))
    assert page.locator("html").get_attribute("lang") == lang
    page.locator("#phone").fill("")
    page.locator("#phone").fill(phone)
    if not page.locator("#accepting_new_patients").is_visible():
        page.locator("fieldset.decision-details summary").click()
    page.locator("#accepting_new_patients").select_option("waitlist")
    page.locator("#wait_weeks").fill("6")
    page.locator('button[name="propose"]').click()
    page.wait_for_selector(".claim-done")
    assert page.locator("html").get_attribute("lang") == lang
    # Nothing is public yet.
    page.goto(f"{base}/practitioners/{pid}?lang={lang}")
    assert old_phone == "" or "tel:" + old_phone in page.content()
    with app.app_context():
        change = db.session.scalar(select(ListingChange))
        assert change.practitioner_id == pid and change.decided_at is None

    # The admin sees the proposal as a diff and approves it.
    app.test_cli_runner().invoke(args=["create-admin", ADMIN[0], "--password", ADMIN[1]])
    page.goto(f"{base}/admin/?lang={lang}")
    page.locator("#email").fill(ADMIN[0])
    page.locator("#password").fill(ADMIN[1])
    page.locator("form button[type=submit]").click()
    page.locator(f'.proposed-changes a[href="/admin/changes/{change.id}"]').click()
    text = page.locator("table.diff").inner_text()
    assert page.locator("tr.diff-row").count() >= 3, text  # phone, new patients, wait
    page.locator('button[name="decision"][value="approve"]').click()
    page.wait_for_selector(".flash.ok")

    page.goto(f"{base}/practitioners/{pid}?lang={lang}")
    with app.app_context():
        live = db.session.get(Practitioner, pid)
        assert live.accepting_new_patients == "waitlist" and live.wait_weeks == 6
        stored_phone = live.phone
    assert f'href="tel:{stored_phone}"' in page.content()
    assert stored_phone != old_phone
    assert page.locator("#before-you-book").count() == 1
