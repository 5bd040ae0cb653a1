"""A profile with every decision detail and one with almost none, in real Chromium at phone
width in every language: what the listing says, in the page's language, and nothing else —
no empty heading, no "None", nothing wider than the screen."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from babel.dates import format_date

from finder.extensions import db
from finder.models import Practitioner, VettingRecord

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
            # travel confirmed; vetted: as the language writes dates, ISO kept for machines
            for day in (dt.date(2026, 4, 1), dt.date(2025, 5, 1)):
                assert format_date(day, "long", locale=lang) in text
                assert page.locator(f'time[datetime="{day.isoformat()}"]').count() >= 1
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


def test_details_sent_through_the_form_show_on_the_approved_profile(app, browser, live_server):
    """In each language: the folded part of the submission form filled in Chromium, the
    suggestion approved, and its profile says what was sent, in that language."""
    from flask_babel import force_locale, gettext
    from sqlalchemy import select

    from finder.vetting import CHECKLIST, decide

    for lang in LANGS:
        with app.test_request_context(), force_locale(lang):
            say = {text: gettext(text) for text in (
                "Availability, costs, diagnosis, surgery, access and travel", "Send suggestion",
                "an image-guided diagnostic injection", "treatment lying down",
                "New patients join a waiting list", "I am their patient", "Show on the map",
            )}  # fmt: skip
        name = f"Form Details {lang} (demo)"
        context = loopback_context(browser, live_server.url, viewport=PHONE, device_scale_factor=1)
        try:
            page = context.new_page()
            page.goto(f"{live_server.url}/submit?lang={lang}")
            page.locator("#name").fill(name)
            page.locator("input[name=techniques][value=physical-therapy]").check()
            page.locator("select[name=country]").select_option("ES")
            page.locator("#city").fill("Madrid")
            page.locator("#submitter_name").fill("Browser Submitter")
            page.locator("#submitter_email").fill("browser.submitter@example.org")
            page.get_by_label(say["I am their patient"]).check()
            page.get_by_text(
                say["Availability, costs, diagnosis, surgery, access and travel"]
            ).click()
            page.locator("select[name=accepting_new_patients]").select_option("waitlist")
            page.locator("#wait_weeks").fill("5")
            page.locator("#fee_min").fill("40")
            page.locator("#fee_max").fill("70")
            page.locator("#fee_currency").fill("eur")
            page.get_by_label(say["an image-guided diagnostic injection"], exact=True).check()
            page.get_by_label(say["treatment lying down"], exact=True).check()
            page.locator("#telehealth_countries").fill("es; pt")
            page.get_by_role("button", name=say["Show on the map"]).click()  # the preview first
            page.locator("#pin-map .leaflet-marker-icon").wait_for()
            assert page.locator("#wait_weeks").input_value() == "5"  # the details kept
            page.get_by_role("button", name=say["Send suggestion"]).click()
            page.locator(".reference").wait_for()
            with app.app_context():
                p = db.session.scalar(select(Practitioner).where(Practitioner.name == name))
                assert (p.accepting_new_patients, p.wait_weeks, p.fee_currency) == (
                    "waitlist", 5, "EUR",
                )  # fmt: skip
                decide(db.session, p, "approve", "admin@example.org", "ok",
                       dict.fromkeys(CHECKLIST, True))  # fmt: skip
                db.session.commit()
                pid = p.id
            page.goto(f"{live_server.url}/practitioners/{pid}?lang={lang}")
            text = page.locator("dl.details").inner_text()
            for sentence in ("New patients join a waiting list", "an image-guided diagnostic "
                             "injection", "treatment lying down"):  # fmt: skip
                with app.test_request_context(), force_locale(lang):
                    assert gettext(sentence) in text, (lang, sentence)
            assert {"en": "€40", "ko": "€40", "es": "40\u00a0€"}[lang] in text
            if SHOTS:
                page.screenshot(path=f"{SHOTS}/profile-from-form-{lang}.png", full_page=True)
        finally:
            context.close()


def test_ticking_a_detail_filter_on_the_search_form_narrows_the_results(app, browser, live_server):
    """In each language: 'More filters', tick 'treat me lying down' and choose the lateral
    approach on the real form; the results are exactly the listings that say so, and the
    chips name the filters in the page's language."""
    from flask_babel import force_locale, gettext

    with app.app_context():
        made = {}
        for key, access, approach in (("lying", "lying-down", ""), ("both", "lying-down",
                                      "lateral"), ("neither", "step-free", "posterior")):  # fmt: skip
            p = make_practitioner(db.session, lat=-41.29, lon=174.78, city="Wellington",
                                  country="NZ", techniques=("si-joint-fusion",),
                                  name=f"Filter Browser {key} (demo)")  # fmt: skip
            p.access, p.surgery_approach = access, approach
            made[key] = p.id
        db.session.commit()
    for lang in LANGS:
        with app.test_request_context(), force_locale(lang):
            say = {t: gettext(t) for t in ("More filters", "Can treat me lying down",
                                           "SI-joint fusion approach", "Find practitioners",
                                           "Treats lying down", "Lateral fusion")}  # fmt: skip
        context = loopback_context(browser, live_server.url, viewport=PHONE, device_scale_factor=1)
        try:
            page = context.new_page()
            page.goto(f"{live_server.url}/?lang={lang}")
            page.locator("#location").fill("Wellington, New Zealand")
            page.get_by_text(say["More filters"]).click()
            page.get_by_label(say["Can treat me lying down"]).check()
            page.get_by_label(say["SI-joint fusion approach"]).select_option("lateral")
            page.get_by_role("button", name=say["Find practitioners"]).click()
            page.wait_for_url("**/search?**")
            cards = page.locator(
                "#nearby [data-practitioner-id], ol.cards > li[data-practitioner-id]"
            )
            shown = {int(x) for x in cards.evaluate_all(
                "cards => cards.map(c => c.dataset.practitionerId)")}  # fmt: skip
            assert made["both"] in shown and not {made["lying"], made["neither"]} & shown, lang
            chips = page.locator("main").inner_text()
            assert say["Treats lying down"] in chips and say["Lateral fusion"] in chips
        finally:
            context.close()
