"""CSV files a person may open in a spreadsheet never hold a cell that runs as a formula,
and the import undoes the quoting exactly; import-csv checks emails as the form does."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from finder.csv_files import CSV_COLUMNS, spreadsheet_safe, spreadsheet_text
from finder.extensions import db
from finder.models import Practitioner

from .factories import make_practitioner
from .test_cli import GOOD_ROW, count, run, write_rows
from .test_exports import STANDARD, read_package, table_problems
from .test_submit import GOOD, post

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]
NEUTRAL = "'"


@pytest.fixture
def hostile_listings(empty_app):
    """One approved listing per formula character, its text fields all starting with it,
    plus one whose fields start with a quote already; returns the values by ref."""
    stored = {}
    with empty_app.app_context():
        for index, start in enumerate([*FORMULA_STARTS, NEUTRAL]):
            email = f"{start}cmd{index}@example.org" if start in "=+-'" else ""
            p = make_practitioner(
                db.session,
                lat=-33.8688,
                lon=151.2093 - index,
                country="AU",
                city=f"{start}SUM(1+1)",
                name=f'{start}HYPERLINK("http://evil.example","x{index}")',
                credentials=f"{start}cmd|'/Ccalc'!A0",
                clinic=f"{start}1+2",
                email=email,
                registry_name=f"{start}IMPORTXML(A1)",
                registry_number=f"{start}{index}+A1",
                phone="+61293744000",
            )
            p.locations[0].address = f"{start}WEBSERVICE(A1)"
            p.locations[0].region = f"{start}DDE()"
            db.session.commit()
            stored[p.ref] = {
                "name": p.name,
                "credentials": p.credentials,
                "clinic": p.clinic,
                "email": p.email,
                "registry_name": p.registry_name,
                "registry_number": p.registry_number,
                "city": p.locations[0].city,
                "address": p.locations[0].address,
                "region": p.locations[0].region,
            }
        p = make_practitioner(
            db.session,
            lat=51.5072,
            lon=-0.1276,
            country="GB",
            city="London",
            name="Plain Person (demo)",
            email="+cmd|'/Ccalc'!A58@example.org",
            phone="+442079460000",
        )
        stored[p.ref] = {"email": p.email, "phone": p.phone}
    return stored


def formula_cells(rows: list[list[str]]) -> list[str]:
    """Cells that a spreadsheet would run: they start with a formula character and are
    not plain numbers."""
    return [
        cell
        for row in rows
        for cell in row
        if cell[:1] in FORMULA_STARTS and cell != spreadsheet_safe(cell)
    ]


def read_cells(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_the_rule_is_reversible_and_leaves_numbers_alone():
    for value in ["=1+1", "+44 20 7946 0000", "-x", "@SUM(A1)", "\tx", "\rx", "'x", "''=x", "'"]:
        assert spreadsheet_safe(value) == "'" + value
        assert spreadsheet_text(spreadsheet_safe(value)) == value
    for value in ["-33.8688", "+1.5", "-1e-05", "+442079460000", "12", "", "plain", " =x"]:
        assert spreadsheet_safe(value) == value
        assert spreadsheet_text(value) == value
    assert spreadsheet_text("'plain") == "'plain"  # a quote before anything else is kept


def test_export_csv_quotes_every_formula_cell(empty_app, hostile_listings, tmp_path):
    path = tmp_path / "export.csv"
    result = run(empty_app, "export-csv", str(path))
    assert result.exit_code == 0, result.output
    cells = read_cells(path)
    assert formula_cells(cells) == []
    by_ref = {row["ref"]: row for row in csv.DictReader(open(path, encoding="utf-8", newline=""))}
    for ref, values in hostile_listings.items():
        for name, value in values.items():
            if value[:1] in [*FORMULA_STARTS, NEUTRAL] and name != "phone":
                assert by_ref[ref][name] == "'" + value, (ref, name)
    plain = next(row for row in by_ref.values() if row["city"] == "London")
    assert plain["email"] == "'+cmd|'/Ccalc'!A58@example.org"
    assert plain["phone"] == "+442079460000"  # a plain number: left for the spreadsheet
    sydney = [row for row in by_ref.values() if row["country"] == "AU"]
    assert sydney and all(row["latitude"] == "-33.8688" for row in sydney)


def test_export_import_export_is_byte_identical_and_restores_the_values(
    empty_app, hostile_listings, tmp_path
):
    with empty_app.app_context():
        # Addresses starting with a formula character were accepted once and are refused
        # now (test_import_refuses_an_email_the_form_refuses): not part of the round trip.
        for p in db.session.scalars(select(Practitioner)):
            if p.email[:1] in FORMULA_STARTS:
                p.email = hostile_listings[p.ref]["email"] = ""
        db.session.commit()
    first = tmp_path / "first.csv"
    assert run(empty_app, "export-csv", str(first)).exit_code == 0
    with empty_app.app_context():
        db.session.execute(Practitioner.__table__.delete())
        db.session.commit()
    result = run(empty_app, "import-csv", str(first), "--status", "approved")
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        for ref, values in hostile_listings.items():
            p = db.session.scalar(select(Practitioner).where(Practitioner.ref == ref))
            for name, value in values.items():
                holder = p.locations[0] if name in ("city", "address", "region") else p
                assert getattr(holder, name) == value, (ref, name)
    second = tmp_path / "second.csv"
    assert run(empty_app, "export-csv", str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_a_phone_with_spaces_round_trips_through_its_quote(empty_app, tmp_path):
    path = tmp_path / "phone.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        row = {name: GOOD_ROW.get(name, "") for name in CSV_COLUMNS}
        writer.writerow({**row, "country": "GB", "phone": spreadsheet_safe("+44 20 7946 0000")})
    assert "'+44 20 7946 0000" in path.read_text(encoding="utf-8")
    result = run(empty_app, "import-csv", str(path))
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert db.session.scalar(select(Practitioner.phone)) == "+442079460000"


def test_every_hsds_table_quotes_its_formula_cells(empty_app, hostile_listings, tmp_path):
    if not (STANDARD / "datapackage.json").is_file():
        pytest.skip(f"the HSDS 3.0 standard files are missing at {STANDARD}")
    folder = tmp_path / "hsds"
    result = run(empty_app, "export-hsds", str(folder), "--standard", str(STANDARD))
    assert result.exit_code == 0, result.output
    tables = sorted(folder.glob("*.csv"))
    assert tables
    quoted = []
    for table in tables:
        cells = read_cells(table)
        assert formula_cells(cells) == [], table.name
        quoted += [cell for row in cells for cell in row if cell.startswith("'")]
    hostile = [values for values in hostile_listings.values() if "clinic" in values]
    clinics = [values["clinic"].strip() for values in hostile]  # organization names, trimmed
    assert {"'" + clinic for clinic in clinics if clinic[:1] in "=+-@'"} <= set(quoted)
    assert {"'" + values["email"] for values in hostile if values["email"]} <= set(quoted)
    assert {f"'{values['name']}, {values['credentials']}" for values in hostile} <= set(quoted)
    resources, rows, headers = read_package(folder)
    problems = []
    for name, resource in resources.items():
        problems += table_problems(resource, rows[name], headers[name])
    assert problems == []  # quoted emails and text still follow the table schemas
    latitudes = [row["latitude"] for row in rows["location"] if row["latitude"]]
    assert "-33.8688" in latitudes


def test_import_refuses_an_email_the_form_refuses(empty_app, tmp_path):
    rows = [
        GOOD_ROW,
        {**GOOD_ROW, "ref": "imp-2", "email": "not-an-email"},
        {**GOOD_ROW, "ref": "imp-3", "email": "someone@localhost"},
        {**GOOD_ROW, "ref": "imp-4", "email": "fine@example.org"},
        {**GOOD_ROW, "ref": "imp-5", "email": "+cmd|'/Ccalc'!A58@example.org"},
        {**GOOD_ROW, "ref": "imp-6", "email": "=cmd@example.org"},
        {**GOOD_ROW, "ref": "imp-7", "email": "rtl\u202eexample@example.org"},
    ]
    result = run(empty_app, "import-csv", str(write_rows(tmp_path / "mail.csv", rows)))
    assert result.exit_code != 0
    for line in (3, 4, 6, 7, 8):
        assert f"line {line}, email:" in result.output
    assert "line 5, email:" not in result.output and "line 2, email:" not in result.output
    assert "nothing was imported" in result.output
    assert count(empty_app, Practitioner) == 0
    client = empty_app.test_client()  # the submission form refuses the same addresses
    for email in ("not-an-email", "someone@localhost", "+cmd|'/Ccalc'!A58@example.org"):
        assert post(client, {**GOOD, "email": email}).status_code == 400
    assert post(client, {**GOOD, "email": "fine@example.org"}).status_code == 201


def test_a_technique_or_language_listed_twice_is_a_row_error(empty_app, tmp_path):
    rows = [
        {**GOOD_ROW, "languages": "en;EN"},
        {
            **GOOD_ROW,
            "ref": "imp-2",
            "techniques": "muscle-energy-technique;muscle-energy-technique",
        },
    ]
    result = run(empty_app, "import-csv", str(write_rows(tmp_path / "twice.csv", rows)))
    assert result.exit_code != 0
    assert "line 2, languages:" in result.output and "line 3, techniques:" in result.output
    assert count(empty_app, Practitioner) == 0
