"""A listing's text fields hold what their database columns hold: the submission form and the
CSV import refuse anything longer with a message naming the field, before any INSERT."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from finder.extensions import db
from finder.models import PracticeLocation, Practitioner, Submission

from .test_cli import GOOD_ROW, count, run, write_rows
from .test_submit import GOOD, post

# Every text column of a listing, and a value one character too long for it that would
# otherwise pass the field's own rule (a URL is still a URL, a phone still a phone).
COLUMN = {
    name: column.type.length
    for model in (Practitioner, PracticeLocation)
    for name, column in model.__table__.columns.items()
    if getattr(column.type, "length", None)
}


def too_long(field: str) -> str:
    limit = COLUMN[field]
    if field in ("website", "registry_url"):
        return "https://example.org/" + "a" * (limit + 1 - len("https://example.org/"))
    if field == "phone":
        return "+82" + " " * (limit + 1 - len("+822-312-3456")) + "2-312-3456"
    if field == "email":
        return "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example.org"
    return "x" * (limit + 1)


FORM_FIELDS = ["name", "credentials", "clinic", "website", "phone", "email", "registry_name",
               "registry_number", "registry_url", "address", "city", "region", "postal_code"]  # fmt: skip


@pytest.mark.parametrize("field", FORM_FIELDS)
def test_the_form_refuses_a_value_longer_than_its_column(app, client, field):
    value = too_long(field)
    assert len(value) > COLUMN[field]
    response = post(client, {**GOOD, field: value})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Please correct the fields marked below." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


IMPORT_FIELDS = ["name", "clinic", "website", "phone", "registry_url", "registry_number", "city"]


@pytest.mark.parametrize("field", IMPORT_FIELDS)
def test_the_import_refuses_a_value_longer_than_its_column(empty_app, tmp_path, field):
    path = write_rows(tmp_path / "long.csv", [{**GOOD_ROW, field: too_long(field)}])
    result = run(empty_app, "import-csv", str(path))
    assert result.exit_code != 0
    assert (
        f"{field}" in result.output and f"longer than {COLUMN[field]} characters" in result.output
    )
    assert count(empty_app, Practitioner) == 0


def test_the_same_values_at_their_limit_are_accepted(empty_app, tmp_path):
    row = {**GOOD_ROW, "name": "N" * COLUMN["name"], "website": too_long("website")[:-1]}
    result = run(empty_app, "import-csv", str(write_rows(tmp_path / "ok.csv", [row])))
    assert result.exit_code == 0, result.output
    assert count(empty_app, Practitioner) == 1
