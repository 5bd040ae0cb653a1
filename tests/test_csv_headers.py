"""CSV that never loses a value: header names are matched case- and space-insensitively,
and a column `import-csv` does not know, a column given twice or a required one missing
refuses the whole file, naming it; encoding and delimiter problems are named with their line
and column; what `export-csv` writes geocodes back."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from finder.csv_files import CSV_COLUMNS
from finder.extensions import db
from finder.geo import haversine_km
from finder.models import PracticeLocation, Practitioner

from .test_cli import GOOD_ROW, count, run

NPI = "1234567893"  # passes the NPI check digit


def write(path: Path, header: list[str], rows: list[list[str]], delimiter=",", encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def cells(row: dict, columns: list[str]) -> list[str]:
    return [row.get(name, "") for name in columns]


def test_headers_in_other_case_and_spacing_keep_every_value(empty_app, tmp_path):
    columns = [c for c in CSV_COLUMNS if c not in ("npi", "website", "postal_code")]
    header = [*columns, "NPI", " website ", "Postal Code"]
    row = [*cells(GOOD_ROW, columns), NPI, "https://example.org/kept", "14200"]
    result = run(empty_app, "import-csv", str(write(tmp_path / "mixed.csv", header, [row])))
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        p = db.session.scalar(select(Practitioner))
        assert (p.npi, p.website, p.locations[0].postal_code) == (
            NPI,
            "https://example.org/kept",
            "14200",
        )


def test_an_unknown_column_refuses_the_file_naming_it(empty_app, tmp_path):
    header = [*CSV_COLUMNS, "favourite colour"]
    row = [*cells(GOOD_ROW, CSV_COLUMNS), "green"]
    result = run(empty_app, "import-csv", str(write(tmp_path / "extra.csv", header, [row])))
    assert result.exit_code != 0
    assert "line 1, favourite colour: “favourite colour” is not a column" in result.output
    assert "nothing was imported" in result.output
    assert count(empty_app, Practitioner) == 0


def test_a_column_given_twice_refuses_the_file_naming_both(empty_app, tmp_path):
    header = [*CSV_COLUMNS, "Email"]
    row = [*cells(GOOD_ROW, CSV_COLUMNS), "other@example.org"]
    result = run(empty_app, "import-csv", str(write(tmp_path / "twice.csv", header, [row])))
    assert result.exit_code != 0
    assert "line 1, email: “email” and “Email” are the same column" in result.output
    assert count(empty_app, Practitioner) == 0


def test_a_missing_required_column_refuses_the_file(empty_app, tmp_path):
    columns = [c for c in CSV_COLUMNS if c != "city"]
    path = write(tmp_path / "no-city.csv", columns, [cells(GOOD_ROW, columns)])
    result = run(empty_app, "import-csv", str(path))
    assert result.exit_code != 0
    assert "line 1, city: the header has no such column; it is required." in result.output
    assert count(empty_app, Practitioner) == 0


def test_a_file_not_in_utf8_is_refused_naming_the_line_and_column(empty_app, tmp_path):
    rows = [
        cells(GOOD_ROW, CSV_COLUMNS),
        cells({**GOOD_ROW, "ref": "imp-2", "clinic": "Clinique Hélène (demo)"}, CSV_COLUMNS),
    ]
    path = write(tmp_path / "cp1252.csv", CSV_COLUMNS, rows, encoding="cp1252")
    result = run(empty_app, "import-csv", str(path))
    assert result.exit_code != 0
    assert "line 3, clinic: is not UTF-8 text (byte 0xE9)" in result.output
    assert count(empty_app, Practitioner) == 0


def test_a_semicolon_separated_file_is_read_as_such(empty_app, tmp_path):
    rows = [
        cells(GOOD_ROW, CSV_COLUMNS),
        cells({**GOOD_ROW, "ref": "imp-2", "clinic": "Semicolon; Comma, Clinic"}, CSV_COLUMNS),
    ]
    path = write(tmp_path / "semicolons.csv", CSV_COLUMNS, rows, delimiter=";")
    result = run(empty_app, "import-csv", str(path), "--status", "approved")
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        clinics = set(db.session.scalars(select(Practitioner.clinic)))
    assert clinics == {"", "Semicolon; Comma, Clinic"}


def test_lines_are_counted_as_in_the_file_past_blank_lines_and_quoted_line_breaks(
    empty_app, tmp_path
):
    rows = [
        cells({**GOOD_ROW, "address": "Building 4\nSecond floor"}, CSV_COLUMNS),  # lines 2-3
        [""] * len(CSV_COLUMNS),  # line 4, blank
        cells({**GOOD_ROW, "ref": "imp-2", "country": "XX"}, CSV_COLUMNS),  # line 5
    ]
    result = run(empty_app, "import-csv", str(write(tmp_path / "lines.csv", CSV_COLUMNS, rows)))
    assert result.exit_code != 0
    assert "line 5, country:" in result.output


def test_an_export_without_its_coordinates_geocodes_back_by_city_region_and_country(
    app, empty_app, tmp_path
):
    """The regions an export writes are GeoNames codes ("08" Ontario, "BS" Basel-City, not
    the Bahamas); with the coordinates cleared, every row is placed again near where it was."""
    exported = tmp_path / "export.csv"
    assert run(app, "export-csv", str(exported)).exit_code == 0
    with open(exported, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    where = {(r["ref"], r["city"]): (float(r["latitude"]), float(r["longitude"])) for r in rows}
    assert {(r["country"], r["region"]) for r in rows} >= {("CA", "08"), ("CH", "BS")}
    blank = [{**r, "latitude": "", "longitude": ""} for r in rows]
    path = write(tmp_path / "blank.csv", list(rows[0]), [list(r.values()) for r in blank])
    result = run(empty_app, "import-csv", str(path), "--status", "approved")
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        placed = db.session.execute(
            select(Practitioner.ref, PracticeLocation.city, PracticeLocation.latitude,
                   PracticeLocation.longitude)
            .join(PracticeLocation)
        ).all()  # fmt: skip
    assert len(placed) == len(rows)
    far = [
        (ref, city)
        for ref, city, lat, lon in placed
        if haversine_km(lat, lon, *where[(ref, city)]) > 60
    ]
    assert far == []


def test_the_spreadsheet_export_has_a_byte_order_mark_and_crlf_and_imports_the_same(
    app, empty_app, tmp_path
):
    plain, sheet = tmp_path / "plain.csv", tmp_path / "sheet.csv"
    assert run(app, "export-csv", str(plain)).exit_code == 0
    assert run(app, "export-csv", str(sheet), "--spreadsheet").exit_code == 0
    data = sheet.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and not plain.read_bytes().startswith(b"\xef")
    # The same rows, each ended with CRLF (no demo cell holds a line break of its own).
    assert data == b"\xef\xbb\xbf" + plain.read_bytes().replace(b"\n", b"\r\n")
    with (
        open(plain, encoding="utf-8", newline="") as a,
        open(sheet, encoding="utf-8-sig", newline="") as b,
    ):
        assert list(csv.reader(a)) == list(csv.reader(b))
    assert run(empty_app, "import-csv", str(sheet), "--status", "approved").exit_code == 0
    again = tmp_path / "again.csv"
    assert run(empty_app, "export-csv", str(again)).exit_code == 0
    assert again.read_bytes() == plain.read_bytes()
