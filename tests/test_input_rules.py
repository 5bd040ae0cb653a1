"""Text that hides something and numbers in other scripts' digits are refused, with a message."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from finder.models import Practitioner

from .test_cli import GOOD_ROW, count, run, write_rows
from .test_submit import GOOD, post, stored

HIDDEN = {
    "NUL": "\x00",
    "right-to-left override": "\u202e",
    "left-to-right isolate": "\u2066",
    "zero-width space": "\u200b",
    "byte-order mark": "\ufeff",
    "stray zero-width joiner": "\u200d ",
}


@pytest.mark.parametrize("character", HIDDEN.values(), ids=HIDDEN.keys())
@pytest.mark.parametrize("field", ["name", "clinic", "city", "website", "email"])
def test_hidden_characters_are_refused_with_a_message(app, client, field, character):
    before = stored(app)
    value = GOOD[field]
    response = post(client, {**GOOD, field: value[:3] + character + value[3:]})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error-msg"' in html
    assert stored(app) == before


def test_joiners_inside_words_of_scripts_that_need_them_are_kept(app, client):
    persian = "سارا\u200cی نمونه (demo)"  # ZWNJ between two letters: ordinary Persian writing
    hindi = "क्\u200dष नमूना (demo)"  # ZWJ after a virama (a mark): ordinary Devanagari
    for name in (persian, hindi):
        response = post(client, {**GOOD, "name": name})
        assert response.status_code == 201, response.get_data(as_text=True)


def test_the_error_is_in_the_page_language(client):
    response = post(client, {**GOOD, "name": "Kim\u202e"}, headers={"Accept-Language": "es"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Remove the invisible control characters" not in html  # Spanish, not English


@pytest.mark.parametrize(
    "path",
    [
        "/practitioners/\uff11",  # fullwidth 1
        "/practitioners/\u0661",  # Arabic-Indic 1
        "/api/v1/practitioners/\u0967",  # Devanagari 1
        "/admin/practitioners/\uff11",
    ],
)
def test_ids_in_other_digits_are_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/search?lat=\uff13\uff17&lon=127", "lat"),
        ("/api/v1/search?lat=37&lon=1_27", "lon"),
        ("/api/v1/search?lat=nan&lon=127", "lat"),
        ("/api/v1/search?lat=37&lon=inf", "lon"),
    ],
)
def test_numbers_in_other_digits_or_python_spellings_are_refused(client, path, name):
    response = client.get(path)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == name


def test_search_page_refuses_other_digits_with_a_message(client):
    response = client.get("/search?lat=\uff13\uff17&lon=127&technique=physical-therapy")
    assert response.status_code == 400
    assert "lat must be a number." in response.get_data(as_text=True)


def test_fhir_near_refuses_other_digits(client):
    response = client.get("/fhir/Location?near=\uff14\uff13|-79.38|100|km")
    assert response.status_code == 400
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_submitted_coordinates_in_other_digits_are_refused(app, client):
    before = stored(app)
    response = post(client, {**GOOD, "latitude": "\uff13\uff17.5"})
    assert response.status_code == 400 and stored(app) == before


@pytest.mark.parametrize("character", HIDDEN.values(), ids=HIDDEN.keys())
def test_import_csv_names_the_line_and_column_of_a_hidden_character(empty_app, tmp_path, character):
    rows = [GOOD_ROW, {**GOOD_ROW, "ref": "imp-2", "name": f"Dr{character}x (demo)"}]
    result = run(empty_app, "import-csv", str(write_rows(tmp_path / "hidden.csv", rows)))
    assert result.exit_code != 0
    assert (
        f"line 3, name: holds an invisible character (U+{ord(character[0]):04X})" in result.output
    )
    assert count(empty_app, Practitioner) == 0


def test_emoji_joined_by_a_zero_width_joiner_are_kept(app, client):
    response = post(client, {**GOOD, "clinic": "Spine care 👩\u200d⚕️ (demo)"})
    assert response.status_code == 201, response.get_data(as_text=True)


_ATOM = "abcXYZ019_!#$%&'*+-/=?^`{|}~"
_EMAIL_PARTS = st.text(alphabet=_ATOM + '.@"<> é\\[]:', min_size=0, max_size=70)
_DOMAINS = st.sampled_from(
    ["example.org", "EXAMPLE.org", "example", "exa_mple.org", "-x.org", "x-.org", "a..b.org",
     "example.org.", "localhost", "example.invalid", "[127.0.0.1]", "xn--bcher-kva.example",
     "bücher.example", "a" * 64 + ".org", ".".join(["abcdefghij"] * 25) + ".org", ""]
)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(local=_EMAIL_PARTS, domain=_DOMAINS)
@example(local="jane.doe", domain="example.org")
@example(local="jane..doe", domain="example.org")
@example(local="x" * 65, domain="example.org")
def test_an_email_address_is_judged_as_email_validator_judges_it(local, domain):
    """Import checks most addresses without asking email-validator again (a plain part before
    the @, a domain it accepted): the verdict is the library's, always."""
    from email_validator import EmailNotValidError, validate_email

    from finder import validation as v

    address = f"{local}@{domain}"
    try:
        validate_email(address, check_deliverability=False)
        library = True
    except EmailNotValidError:
        library = False
    if v.hidden_character(address) or address.strip() != address or not address:
        return  # refused (or trimmed) before the library is asked
    if address.startswith(v.FORMULA_STARTS):
        return
    try:
        v.email_address(address)
        ours = True
    except v.FieldError:
        ours = False
    assert ours == library, address
    if v._plain_email(address):
        assert library, address
