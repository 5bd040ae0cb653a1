"""The decision details (finder.details) through the CSV import and export, the API, HSDS and
FHIR: every field kept exactly, bad values refused naming line and column, nothing shown that
the listing does not say."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from finder import details
from finder.csv_files import CSV_COLUMNS
from finder.extensions import db
from finder.models import Practitioner

from .fhir_r4 import assert_r4
from .test_cli import GOOD_ROW, count, run

EVERY_DETAIL = {
    "accepting_new_patients": "waitlist",
    "wait_weeks": "6",
    "availability_confirmed_on": "2026-10-01",
    "fee_min": "90",
    "fee_max": "150",
    "fee_currency": "EUR",
    "self_pay": "true",
    "insurance": "Most private plans (demo)",
    "fees_confirmed_on": "2026-09-15",
    "diagnostics": "provocation-cluster;diagnostic-injection",
    "diagnostics_confirmed_on": "2026-08-01",
    "surgery_approach": "lateral",
    "surgery_implants": "Demo triangular titanium implants",
    "surgery_volume": "25-49",
    "industry_ties": "Paid instructor for a demo implant maker",
    "surgery_confirmed_on": "2026-07-01",
    "access": "lying-down;carer-welcome",
    "access_confirmed_on": "2026-06-01",
    "telehealth_countries": "IE;GB",
    "telehealth_countries_confirmed_on": "2026-05-01",
    "international_office": "true",
    "interpreter_languages": "ar;ko",
    "visa_letter": "false",
    "stay_days": "14",
    "travel_confirmed_on": "2026-04-01",
}


def write(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows({name: row.get(name, "") for name in CSV_COLUMNS} for row in rows)
    return path


def imported(app, tmp_path, **cells) -> Practitioner:
    row = GOOD_ROW | {"techniques": "si-joint-fusion", "telehealth": "true"} | cells
    result = run(app, "import-csv", str(write(tmp_path / "one.csv", [row])), "--status",
                 "approved")  # fmt: skip
    assert result.exit_code == 0, result.output
    return db.session.scalar(select(Practitioner))


def test_every_detail_survives_import_and_export_byte_for_byte(empty_app, tmp_path):
    with empty_app.app_context():
        p = imported(empty_app, tmp_path, **EVERY_DETAIL)
        assert (p.wait_weeks, p.fee_min, p.self_pay, p.visa_letter) == (6, 90, True, False)
        assert p.travel_confirmed_on.isoformat() == "2026-04-01"
    first, again = tmp_path / "first.csv", tmp_path / "again.csv"
    assert run(empty_app, "export-csv", str(first)).exit_code == 0
    exported = next(csv.DictReader(first.open(encoding="utf-8")))
    assert {name: exported[name] for name in EVERY_DETAIL} == EVERY_DETAIL
    with empty_app.app_context():
        db.session.execute(db.delete(Practitioner))
        db.session.commit()
    assert run(empty_app, "import-csv", str(first), "--status", "approved").exit_code == 0
    assert run(empty_app, "export-csv", str(again)).exit_code == 0
    assert again.read_bytes() == first.read_bytes()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("accepting_new_patients", "maybe", "is not one of yes, waitlist, no"),
        ("wait_weeks", "-1", "is not a whole number from 0 to 104"),
        ("wait_weeks", "three", "is not a whole number"),
        ("fee_currency", "EURO", "is not an ISO 4217 currency code"),
        ("fee_min", "1.5", "is not a whole number"),
        ("self_pay", "perhaps", "is not true, false or empty"),
        ("diagnostics", "palpation", "is not one of the codes"),
        ("access", "lift", "is not one of the codes"),
        ("telehealth_countries", "XX", "is not one of the codes this takes (KR, US)"),
        ("interpreter_languages", "klingon", "is not one of the codes"),
        ("surgery_approach", "anterior", "is not one of posterior, lateral, both"),
        ("stay_days", "400", "is not a whole number from 0 to 365"),
        ("fees_confirmed_on", "01/02/2026", "is not a date (YYYY-MM-DD)"),
        ("insurance", "x" * 501, "is longer than 500 characters"),
    ],
)
def test_a_bad_detail_refuses_the_file_naming_line_and_column(
    empty_app, tmp_path, column, value, message
):
    row = GOOD_ROW | {column: value}
    result = run(empty_app, "import-csv", str(write(tmp_path / "bad.csv", [row])))
    assert result.exit_code != 0
    assert f"line 2, {column}: " in result.output and message in result.output
    assert count(empty_app, Practitioner) == 0


def test_fees_must_be_a_range_with_a_currency(empty_app, tmp_path):
    rows = [
        GOOD_ROW | {"ref": "a", "fee_min": "200", "fee_max": "100", "fee_currency": "USD"},
        GOOD_ROW | {"ref": "b", "fee_min": "100"},
    ]
    result = run(empty_app, "import-csv", str(write(tmp_path / "fees.csv", rows)))
    assert "line 2, fee_max: is less than fee_min." in result.output
    assert "line 3, fee_currency: is required with a fee" in result.output


def test_the_api_gives_every_detail_in_the_contracts_shape(empty_app, tmp_path):
    with empty_app.app_context():
        pid = imported(empty_app, tmp_path, **EVERY_DETAIL).id
    body = empty_app.test_client().get(f"/api/v1/practitioners/{pid}").get_json()
    assert body["accepting_new_patients"] == "waitlist" and body["wait_weeks"] == 6
    assert body["fees"] == {"min": 90, "max": 150, "currency": "EUR"}
    assert (body["self_pay"], body["insurance"]) == (True, "Most private plans (demo)")
    assert body["diagnostics"] == ["provocation-cluster", "diagnostic-injection"]
    assert body["surgery"] == {
        "approach": "lateral",
        "implants": "Demo triangular titanium implants",
        "yearly_volume": "25-49",
        "industry_ties": "Paid instructor for a demo implant maker",
    }
    assert body["access"] == ["lying-down", "carer-welcome"]
    assert body["telehealth_countries"] == ["IE", "GB"]
    assert body["travel_support"] == {
        "international_office": True,
        "interpreter_languages": ["ar", "ko"],
        "visa_letter": False,
        "stay_days": 14,
    }
    assert body["confirmed_on"] == "2026-10-01"
    assert body["confirmed"]["travel"] == "2026-04-01"


def test_a_listing_that_says_nothing_has_nulls_and_empty_lists(empty_app, tmp_path):
    with empty_app.app_context():
        pid = imported(empty_app, tmp_path).id
    body = empty_app.test_client().get(f"/api/v1/practitioners/{pid}").get_json()
    for name in ("accepting_new_patients", "wait_weeks", "fees", "self_pay", "insurance",
                 "surgery", "travel_support", "confirmed_on"):  # fmt: skip
        assert body[name] is None, name
    assert body["diagnostics"] == body["access"] == body["telehealth_countries"] == []
    assert body["confirmed"] == {}


def test_hsds_and_fhir_carry_the_details(empty_app, tmp_path):
    with empty_app.app_context():
        p = imported(empty_app, tmp_path, **EVERY_DETAIL)
        service_id = p.service_id
    client = empty_app.test_client()
    service = client.get(f"/api/v1/hsds/services/{service_id}").get_json()
    assert service["wait_time"] == "New patients join a waiting list; typical wait 6 weeks."
    assert service["fees_description"].startswith("Fees 90–150 EUR. Self-pay accepted.")
    (cost,) = service["cost_options"]
    assert (cost["currency"], cost["amount"], cost["option"]) == ("EUR", 90, "Surgery")
    assert service["interpretation_services"] == "Interpreters: Arabic, Korean."
    location = service["service_at_locations"][0]["location"]
    assert [a["description"] for a in location["accessibility"]] == [
        "Treatment lying down",
        "A carer is welcome in the room",
    ]
    assert "image-guided diagnostic injection" in service["description"]
    assert "lateral approach" in service["description"]
    roles = client.get("/fhir/PractitionerRole").get_json()
    (entry,) = roles["entry"]
    role = entry["resource"]
    by_url = {e["url"]: e for e in role["extension"]}
    travel = by_url["urn:si-joint-finder:extension:travel"]["extension"]
    assert {"url": "stay_days", "valueInteger": 14} in travel
    assert {"url": "confirmed", "valueDate": "2026-04-01"} in travel
    assert [e["valueCode"] for e in travel if e["url"] == "interpreter_languages"] == ["ar", "ko"]
    assert_r4(roles)


def test_every_column_is_described_once():
    assert len(set(details.COLUMNS)) == len(details.COLUMNS)
    assert set(EVERY_DETAIL) == set(details.COLUMNS)
    assert set(details.COLUMNS) <= set(CSV_COLUMNS)


def test_a_listing_past_its_revetting_date_ranks_after_a_fresh_equal_one(empty_app):
    import datetime as dt

    from .factories import make_practitioner

    with empty_app.app_context():
        # The stale one is made first: it has the lower id, which breaks ties otherwise.
        stale = make_practitioner(db.session, lat=10.0, lon=10.0, name="Stale One (demo)")
        stale.revet_due = dt.date.today() - dt.timedelta(days=1)
        fresh = make_practitioner(db.session, lat=10.0, lon=10.0, name="Fresh One (demo)")
        fresh.revet_due = dt.date.today() + dt.timedelta(days=100)
        farther = make_practitioner(db.session, lat=10.5, lon=10.0, name="Farther (demo)")
        db.session.commit()
        ids = [fresh.id, stale.id, farther.id]
    body = empty_app.test_client().get("/api/v1/search?lat=10&lon=10").get_json()
    assert [r["id"] for r in body["nearby"]] == ids  # a stale one still before a farther one


FORM_DETAILS = {
    "accepting_new_patients": "yes",
    "wait_weeks": "2",
    "fee_min": "60000",
    "fee_max": "90000",
    "fee_currency": "krw",
    "self_pay": "true",
    "insurance": "National insurance accepted (demo)",
    "diagnostics": ["provocation-cluster", "imaging"],
    "access": ["lying-down"],
    "telehealth_countries": "KR; us",
    "international_office": "",
    "interpreter_languages": "en",
    "visa_letter": "true",
    "stay_days": "3",
}


def test_the_submission_form_takes_every_detail_and_confirms_it_today(app, client):
    import datetime as dt

    from .test_submit import GOOD, post

    response = post(client, GOOD | FORM_DETAILS)
    assert response.status_code == 201, response.get_data(as_text=True)[:2000]
    with app.app_context():
        p = db.session.scalar(select(Practitioner).where(Practitioner.name == GOOD["name"]))
        assert (p.accepting_new_patients, p.wait_weeks, p.fee_currency) == ("yes", 2, "KRW")
        assert (p.diagnostics, p.access, p.telehealth_countries) == (
            "provocation-cluster;imaging",
            "lying-down",
            "KR;US",
        )
        assert (p.international_office, p.visa_letter, p.stay_days) == (None, True, 3)
        today = dt.date.today()
        assert p.availability_confirmed_on == p.fees_confirmed_on == p.travel_confirmed_on == today
        assert p.surgery_confirmed_on is None  # it says nothing about surgery


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("wait_weeks", "soon", "is not a whole number"),
        ("fee_currency", "XYZ", "is not an ISO 4217 currency code"),
        ("telehealth_countries", "Korea", "is not one of the codes"),
        ("fee_max", "10", "is less than fee_min"),
    ],
)
def test_a_bad_detail_in_the_form_is_refused_with_its_message(client, field, value, message):
    from .test_submit import GOOD, post

    response = post(client, GOOD | FORM_DETAILS | {field: value})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html.replace("&#34;", '"').replace("&#39;", "'")


def test_telehealth_is_offered_only_to_patients_in_the_countries_a_practitioner_lists(empty_app):
    with empty_app.app_context():
        from .factories import make_practitioner

        for n in range(3):  # enough nearby in each city that no remote one is worth a trip
            for city, lat, lon, cc in (("Seoul", 37.57, 126.98, "KR"),
                                       ("Boston", 42.36, -71.06, "US")):  # fmt: skip
                make_practitioner(db.session, lat=lat, lon=lon, city=city, country=cc,
                                  name=f"In person {city} {n} (demo)")  # fmt: skip
        made = {}
        for key, countries in (("serves-kr", "KR;JP"), ("serves-us", "US"), ("unknown", "")):
            # Farther from Seoul and from Boston than the other city: never worth the trip.
            p = make_practitioner(db.session, lat=-33.92, lon=18.42, city="Cape Town",
                                  country="ZA", name=f"Remote {key} (demo)",
                                  telehealth=True)  # fmt: skip
            p.telehealth_countries = countries
            made[key] = p.id
        db.session.commit()
    body = empty_app.test_client().get("/api/v1/search?location=Seoul&lang=en").get_json()
    remote = {r["id"]: r["reason"] for r in body["remote"]}
    assert made["serves-kr"] in remote and made["unknown"] in remote
    assert made["serves-us"] not in remote
    assert "Ask whether they can see patients in South Korea." in remote[made["unknown"]]
    assert "Ask whether" not in remote[made["serves-kr"]]
    # From the United States the other one is offered instead.
    body = empty_app.test_client().get("/api/v1/search?location=Boston&lang=en").get_json()
    remote = {r["id"] for r in body["remote"]}
    assert made["serves-us"] in remote and made["serves-kr"] not in remote


FILTERED = {  # each listing near Lisbon, and the filters it answers yes to
    "accepting-yes": ({"accepting_new_patients": "yes"}, {"accepting"}),
    "waitlist": ({"accepting_new_patients": "waitlist"}, {"accepting"}),
    "closed": ({"accepting_new_patients": "no"}, set()),
    "injection": (
        {"diagnostics": "provocation-cluster;diagnostic-injection"},
        {"diagnostic_injection"},
    ),  # fmt: skip
    "lying": ({"access": "step-free;lying-down"}, {"lying_down"}),
    "lateral": ({"surgery_approach": "lateral"}, {"approach=lateral"}),
    "posterior": ({"surgery_approach": "posterior"}, {"approach=posterior"}),
    "both": ({"surgery_approach": "both"}, {"approach=lateral", "approach=posterior"}),
    "silent": ({}, set()),
}


@pytest.fixture
def filtered_ids(empty_app) -> dict[str, int]:
    from .factories import make_practitioner

    with empty_app.app_context():
        ids = {}
        for n, (key, (values, _)) in enumerate(FILTERED.items()):
            p = make_practitioner(db.session, lat=38.72 + n / 1000, lon=-9.14, city="Lisbon",
                                  country="PT", name=f"Filter {key} (demo)")  # fmt: skip
            for name, value in values.items():
                setattr(p, name, value)
            ids[key] = p.id
        db.session.commit()
    return ids


@pytest.mark.parametrize(
    "query",
    [
        "accepting=true",
        "diagnostic_injection=true",
        "lying_down=true",
        "approach=lateral",
        "approach=posterior",
    ],  # fmt: skip
)
def test_each_detail_filter_keeps_exactly_the_listings_that_say_so(empty_app, filtered_ids, query):
    body = empty_app.test_client().get(f"/api/v1/search?lat=38.72&lon=-9.14&{query}").get_json()
    name = query.split("=")[0] if query.endswith("=true") else query
    wanted = {filtered_ids[key] for key, (_, says) in FILTERED.items() if name in says}
    assert {r["id"] for r in body["nearby"]} == wanted and wanted


def test_accepting_false_keeps_those_who_say_they_are_not(empty_app, filtered_ids):
    body = empty_app.test_client().get("/api/v1/search?lat=38.72&lon=-9.14&accepting=false")
    assert {r["id"] for r in body.get_json()["nearby"]} == {filtered_ids["closed"]} | {
        filtered_ids[k] for k in ("injection", "lying", "lateral", "posterior", "both", "silent")
    }  # false: not known to take new patients (they say no, or do not say)


def test_cards_say_how_a_listing_was_vetted_and_when_vetting_is_overdue(empty_app):
    import datetime as dt

    from finder.models import VettingRecord

    from .factories import make_practitioner

    with empty_app.app_context():
        checked = make_practitioner(db.session, lat=-1.29, lon=36.82, city="Nairobi",
                                    country="KE", name="Checked Card (demo)")  # fmt: skip
        checked.last_vetted_at = dt.datetime(2026, 6, 1)
        checked.revet_due = dt.date.today() + dt.timedelta(days=30)
        checked.vetting_records.append(VettingRecord(
            decision="approved", decided_by="admin@example.org",
            checklist={"licence": True, "experience": True, "techniques": True, "contact": True},
        ))  # fmt: skip
        stale = make_practitioner(db.session, lat=-1.30, lon=36.82, city="Nairobi",
                                  country="KE", name="Stale Card (demo)")  # fmt: skip
        stale.last_vetted_at = dt.datetime(2024, 6, 1)
        stale.revet_due = dt.date(2025, 6, 1)
        db.session.commit()
    client = empty_app.test_client()
    html = client.get("/search?lat=-1.29&lon=36.82&lang=en").get_data(as_text=True)
    cards = dict(
        (name, html.split(name, 1)[1].split("</li>\n</li>", 1)[0][:2000])
        for name in ("Checked Card (demo)", "Stale Card (demo)")
    )
    assert (
        "Checked: licence, SI-joint experience, techniques, contact details"
        in cards["Checked Card (demo)"]
    )
    assert "Re-vetting overdue" not in cards["Checked Card (demo)"].split("Stale Card")[0]
    assert "Re-vetting overdue" in cards["Stale Card (demo)"]
    assert "Imported from a vetted list" in cards["Stale Card (demo)"]
    ko = client.get("/search?lat=-1.29&lon=36.82&lang=ko").get_data(as_text=True)
    assert "재검증 기한 지남" in ko and "확인: 면허" in ko
