"""A profile with every decision detail and one with almost none, in real Chromium at phone
width in every language: what the listing says, in the page's language, and nothing else —
no empty heading, no "None", nothing wider than the screen."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from finder.extensions import db
from finder.models import VettingRecord

from .conftest import loopback_context
from .factories import make_practitioner
from .test_details import EVERY_DETAIL
from .test_guide import LANGS, OVERFLOWING, PHONE

# Map tiles lie beyond the map's edge by design (the map clips them): not overflow.
OUTSIDE_THE_MAP = OVERFLOWING.replace(
    "if (box.width === 0", "if (el.closest('.leaflet-container') || box.width === 0"
)

SHOTS = os.environ.get("FINDER_SCREENSHOTS")
# What the English page says that the Korean and Spanish pages must say in their own words.
ENGLISH = [
    "Before you book", "New patients join a waiting list", "How they diagnose",
    "If sitting or standing is hard", "For travelling patients", "Telehealth for patients in",
    "licence checked against", "Re-vetting was due",
]  # fmt: skip
GROUP_TITLES = 7  # new patients, costs, diagnosis, fusion, access, telehealth, travel


def listings(app) -> tuple[int, int]:
    """A listing with every detail, vetted a year and a half ago (so overdue), and a bare one."""
    from finder import details

    with app.app_context():
        full = make_practitioner(
            db.session,
            lat=53.35,
            lon=-6.26,
            city="Dublin",
            country="IE",
            techniques=("si-joint-fusion",),
            name="Every Detail (demo)",
            telehealth=True,
            accepts_international=True,
            registry_name="Demo Medical Council",
            registry_number="DEMO-1",
        )
        for name, text in EVERY_DETAIL.items():
            parse = details.parse_date if name.endswith("_confirmed_on") else details.DETAILS[
                name
            ].parse  # fmt: skip
            setattr(full, name, parse(text))
        vetted = dt.datetime(2025, 5, 1)
        full.last_vetted_at, full.revet_due = vetted, dt.date(2026, 5, 1)
        full.vetting_records.append(
            VettingRecord(
                decision="approved",
                decided_by="admin@example.org",
                decided_at=vetted,
                checklist={
                    "licence": True,
                    "experience": True,
                    "techniques": True,
                    "contact": True,
                },
            )  # fmt: skip
        )
        bare = make_practitioner(db.session, lat=53.35, lon=-6.26, city="Dublin", country="IE",
                                 name="Almost Nothing (demo)")  # fmt: skip
        db.session.commit()
        return full.id, bare.id


def test_profiles_full_and_bare_in_every_language_at_phone_width(app, browser, live_server):
    full, bare = listings(app)
    for lang in LANGS:
        context = loopback_context(browser, live_server.url, viewport=PHONE, device_scale_factor=1)
        try:
            page = context.new_page()
            page.goto(f"{live_server.url}/practitioners/{full}?lang={lang}")
            assert page.locator("html").get_attribute("lang") == lang
            details = page.locator("dl.details")
            assert details.locator("dt").count() == GROUP_TITLES
            assert details.locator(".confirmed").count() == GROUP_TITLES
            text = page.locator("main").inner_text()
            assert "2026-04-01" in text and "2025-05-01" in text  # travel confirmed; vetted
            assert page.locator(".overdue").is_visible()
            assert {"en": "€90", "ko": "€90", "es": "90\u00a0€"}[lang] in text
            if lang != "en":
                assert not [sentence for sentence in ENGLISH if sentence in text], lang
            for dd in details.locator("dd").all():
                assert dd.inner_text().strip(), lang
            assert "None" not in text
            assert page.evaluate(OUTSIDE_THE_MAP) == [], lang
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{SHOTS}/profile-full-{lang}.png", full_page=True)

            page.goto(f"{live_server.url}/practitioners/{bare}?lang={lang}")
            assert page.locator("#before-you-book").count() == 0  # no heading over nothing
            text = page.locator("main").inner_text()
            assert "None" not in text
            for dd in page.locator("main dd").all():
                assert dd.inner_text().strip(), lang
            assert page.evaluate(OUTSIDE_THE_MAP) == [], lang
            if SHOTS:
                page.screenshot(path=f"{SHOTS}/profile-bare-{lang}.png", full_page=True)
        finally:
            context.close()
