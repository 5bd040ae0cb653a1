"""Every command, run as a user runs it, through Flask's CLI runner."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import func, select

from finder.csv_files import CSV_COLUMNS, DEMO_FILE
from finder.extensions import db
from finder.models import (
    Admin,
    PracticeLocation,
    Practitioner,
    SearchPoint,
    Submission,
    UnmetNeed,
    utcnow,
)

from .import_files import generated_row

DAYS_40 = dt.timedelta(days=40)


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def write_rows(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({name: row.get(name, "") for name in CSV_COLUMNS})
    return path


GOOD_ROW = {
    "ref": "imp-1",
    "name": "Imported Person (demo)",
    "techniques": "muscle-energy-technique",
    "languages": "mn;en",
    "city": "Ulaanbaatar",
    "country": "MN",
    "latitude": "47.9077",
    "longitude": "106.8832",
    "phone": "",
    "website": "https://example.org/imp-1",
}


def test_init_db_is_idempotent(empty_app):
    result = run(empty_app, "init-db")
    assert result.exit_code == 0, result.output
    assert "4 techniques" in result.output


def test_seed_demo_loads_a_worldwide_demo_once(app):
    with app.app_context():
        practitioners = db.session.scalar(select(func.count()).select_from(Practitioner))
        countries = db.session.scalar(select(func.count(func.distinct(PracticeLocation.country))))
        not_demo = db.session.scalar(select(func.count()).where(Practitioner.demo.is_(False)))
    assert practitioners >= 500 and countries >= 50 and not_demo == 0
    again = run(app, "seed-demo")
    assert again.exit_code == 0 and "already loaded" in again.output
    assert count(app, Practitioner) == practitioners


def test_import_pending_is_not_searchable_until_approved(empty_app, tmp_path):
    path = write_rows(tmp_path / "one.csv", [GOOD_ROW])
    result = run(empty_app, "import-csv", str(path))
    assert result.exit_code == 0, result.output
    assert "Imported 1 practitioners as pending" in result.output
    assert count(empty_app, Practitioner) == 1 and count(empty_app, SearchPoint) == 0
    client = empty_app.test_client()
    body = client.get("/api/v1/search?location=Ulaanbaatar").get_json()
    assert body["nearby"] == []


def test_import_approved_is_searchable_and_geocodes_empty_coordinates(empty_app, tmp_path):
    rows = [
        GOOD_ROW,
        {
            **GOOD_ROW,
            "ref": "imp-2",
            "name": "Second (demo)",
            "city": "Seoul",
            "country": "KR",
            "latitude": "",
            "longitude": "",
        },
    ]
    result = run(
        empty_app, "import-csv", str(write_rows(tmp_path / "two.csv", rows)), "--status", "approved"
    )
    assert result.exit_code == 0, result.output
    body = empty_app.test_client().get("/api/v1/search?location=Seoul").get_json()
    assert [r["name"] for r in body["nearby"]] == ["Second (demo)"]
    assert body["nearby"][0]["distance_km"] < 15


def test_two_rows_with_one_ref_make_one_practitioner_with_two_locations(empty_app, tmp_path):
    rows = [
        GOOD_ROW,
        {**GOOD_ROW, "city": "Darkhan", "latitude": "49.4867", "longitude": "105.9228"},
    ]
    result = run(empty_app, "import-csv", str(write_rows(tmp_path / "two.csv", rows)))
    assert result.exit_code == 0, result.output
    assert count(empty_app, Practitioner) == 1 and count(empty_app, PracticeLocation) == 2


def test_a_bad_file_is_rejected_whole_naming_each_line_and_field(empty_app, tmp_path):
    rows = [
        GOOD_ROW,
        {**GOOD_ROW, "ref": "imp-2", "country": "XX"},
        {**GOOD_ROW, "ref": "imp-3", "techniques": "reiki"},
        {**GOOD_ROW, "ref": "imp-4", "latitude": "123"},
        {**GOOD_ROW, "ref": "imp-5", "name": ""},
        {**GOOD_ROW, "ref": "imp-6", "npi": "1234567890"},
        {**GOOD_ROW, "ref": "imp-7", "website": "javascript:alert(1)"},
        {**GOOD_ROW, "ref": "imp-8", "languages": "klingon"},
        {**GOOD_ROW, "ref": "imp-9", "telehealth": "perhaps"},
    ]
    result = run(empty_app, "import-csv", str(write_rows(tmp_path / "bad.csv", rows)))
    assert result.exit_code != 0
    for line, field in [
        (3, "country"),
        (4, "techniques"),
        (5, "latitude"),
        (6, "name"),
        (7, "npi"),
        (8, "website"),
        (9, "languages"),
        (10, "telehealth"),
    ]:
        assert f"line {line}, {field}:" in result.output
    assert "nothing was imported" in result.output
    assert count(empty_app, Practitioner) == 0


def test_an_existing_ref_is_refused_and_nothing_is_half_imported(empty_app, tmp_path):
    assert (
        run(empty_app, "import-csv", str(write_rows(tmp_path / "a.csv", [GOOD_ROW]))).exit_code == 0
    )
    rows = [{**GOOD_ROW, "ref": "imp-new"}, GOOD_ROW]
    result = run(empty_app, "import-csv", str(write_rows(tmp_path / "b.csv", rows)))
    assert result.exit_code != 0 and "already in the directory" in result.output
    assert count(empty_app, Practitioner) == 1


def test_a_bad_row_after_many_stored_ones_refuses_the_file_and_keeps_nothing(empty_app, tmp_path):
    """Rows are stored while the rest of the file is checked (in batches of IMPORT_BATCH at
    first): a bad last row still refuses the whole file, and what was stored is removed."""
    rows = [generated_row(n, "tail") for n in range(1200)]
    rows[-1]["country"] = "XX"
    result = run(empty_app, "import-csv", str(write_rows(tmp_path / "tail.csv", rows)))
    assert result.exit_code != 0
    assert "line 1201, country:" in result.output
    assert "1 problem(s) in tail.csv; nothing was imported." in result.output
    for model in (Practitioner, PracticeLocation, SearchPoint):
        assert count(empty_app, model) == 0, model
    assert (
        run(empty_app, "import-csv", str(write_rows(tmp_path / "head.csv", rows[:3]))).exit_code
        == 0
    )
    assert count(empty_app, Practitioner) == 3


def test_a_file_that_is_not_csv_is_refused(empty_app, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    result = run(empty_app, "import-csv", str(path))
    assert result.exit_code != 0 and count(empty_app, Practitioner) == 0


def test_export_then_import_into_empty_database_gives_the_same_file(app, empty_app, tmp_path):
    first = tmp_path / "first.csv"
    assert run(app, "export-csv", str(first)).exit_code == 0
    assert run(empty_app, "import-csv", str(first), "--status", "approved").exit_code == 0
    second = tmp_path / "second.csv"
    assert run(empty_app, "export-csv", str(second)).exit_code == 0
    assert first.read_text(encoding="utf-8") == second.read_text(encoding="utf-8")
    with open(first, encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == CSV_COLUMNS
    demo_refs = {row["ref"] for row in csv.DictReader(open(DEMO_FILE, encoding="utf-8"))}
    exported_refs = {row["ref"] for row in csv.DictReader(open(first, encoding="utf-8"))}
    assert exported_refs == demo_refs


def test_create_admin_hashes_with_argon2id_and_checks_input(empty_app):
    assert run(empty_app, "create-admin", "a@example.org", "--password", "short").exit_code != 0
    assert run(empty_app, "create-admin", "not-an-email", "--password", "x" * 12).exit_code != 0
    result = run(
        empty_app, "create-admin", "Admin@Example.org", "--password", "correct horse battery"
    )
    assert result.exit_code == 0, result.output
    again = run(empty_app, "create-admin", "admin@example.org", "--password", "another long one")
    assert again.exit_code != 0 and "already exists" in again.output
    with empty_app.app_context():
        admin = db.session.scalar(select(Admin))
        assert admin.email == "admin@example.org"
        assert admin.password_hash.startswith("$argon2id$")
        assert PasswordHasher().verify(admin.password_hash, "correct horse battery")


def test_purge_submitters_also_erases_old_unmet_need_emails(empty_app):
    now = utcnow()
    with empty_app.app_context():
        db.session.add_all(
            [
                UnmetNeed(place="Ulaanbaatar", email="old@example.org", created_at=now - DAYS_40),
                UnmetNeed(place="Darkhan", email="new@example.org", created_at=now),
                UnmetNeed(place="Erdenet", email=None, created_at=now - DAYS_40),
                Submission(
                    reference="S-OLD00001",
                    submitter_name="Old Submitter",
                    submitter_email="old.submitter@example.org",
                    relation="patient",
                    created_at=now - DAYS_40,
                ),
            ]
        )
        db.session.commit()
    result = run(empty_app, "purge-submitters", "--days", "30")
    assert result.exit_code == 0, result.output
    assert "1 submission(s)" in result.output and "emails of 1 unmet-need" in result.output
    with empty_app.app_context():
        emails = dict(db.session.execute(select(UnmetNeed.place, UnmetNeed.email)).all())
        assert emails == {"Ulaanbaatar": None, "Darkhan": "new@example.org", "Erdenet": None}
        assert db.session.scalar(select(Submission.submitter_email)) is None
    again = run(empty_app, "purge-submitters", "--older-than", "0")
    assert "0 submission(s)" in again.output and "emails of 1 unmet-need" in again.output


def test_values_shared_by_every_row_of_a_batch_are_stored_exactly(empty_app, tmp_path):
    """A value that every row of a batch shares is written into the INSERT once (on SQLite)
    instead of bound row by row: quotes, SQL and any script stay the very text given."""
    shared = {
        "clinic": "O'Brien's ''Clinic''; DROP TABLE practitioner; --",
        "credentials": 'PT? :name %s \\ "q"',
        "insurance": "Münchner Verein – 保険 – تأمين",
        "wait_weeks": "3",
        "accepting_new_patients": "yes",
    }
    rows = [
        {**GOOD_ROW, **shared, "ref": f"same-{n}", "email": f"same{n}@example.org"}
        for n in range(3)
    ]
    result = run(empty_app, "import-csv", str(write_rows(tmp_path / "same.csv", rows)))
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        stored = db.session.execute(
            select(
                Practitioner.clinic,
                Practitioner.credentials,
                Practitioner.insurance,
                Practitioner.wait_weeks,
                Practitioner.accepting_new_patients,
                Practitioner.status,
            ).order_by(Practitioner.ref)
        ).all()
    assert (
        stored
        == [(shared["clinic"], shared["credentials"], shared["insurance"], 3, "yes", "pending")] * 3
    )
