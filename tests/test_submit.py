"""Public submissions: checked field by field, never half-stored, private details kept private."""

from __future__ import annotations

import logging
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from finder.extensions import db
from finder.models import Practitioner, Submission

from .factories import make_practitioner
from .test_admin import ADMIN_EMAIL, ADMIN_PASSWORD, login, token_from

GOOD = {
    "name": "New Person (demo)",
    "credentials": "PT",
    "clinic": "Demo Clinic",
    "techniques": ["muscle-energy-technique"],
    "patterns": ["upslip"],
    "languages": "ko; en",
    "website": "https://example.org/new",
    "phone": "+82 2-312-3456",
    "email": "new@example.org",
    "registry_name": "Demo registry",
    "registry_number": "D-1",
    "registry_url": "https://example.org/r",
    "npi": "",
    "address": "1 Demo-ro",
    "city": "Seoul",
    "region": "",
    "postal_code": "",
    "country": "KR",
    "latitude": "37.56600",
    "longitude": "126.97800",
    "submitter_name": "Private Submitter",
    "submitter_email": "private.submitter@example.org",
    "relation": "patient",
    "send": "1",
}


def post(client, data, **kwargs):
    token = token_from(client.get("/submit").get_data(as_text=True))
    return client.post("/submit", data={**data, "csrf_token": token}, **kwargs)


def stored(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Practitioner)),
            db.session.scalar(select(func.count()).select_from(Submission)),
        )


def test_form_has_the_contract_labels(client):
    html = client.get("/submit").get_data(as_text=True)
    for label in (">Name<", ">Techniques<", ">City<", ">Country<", "erased"):
        assert label in html


def test_a_good_submission_is_stored_pending_with_a_reference(app, client, caplog):
    before = stored(app)
    with caplog.at_level(logging.DEBUG):
        response = post(client, GOOD)
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert "S-" in html and "reference" in html.lower()
    assert stored(app) == (before[0] + 1, before[1] + 1)
    with app.app_context():
        p = db.session.scalar(select(Practitioner).where(Practitioner.name == GOOD["name"]))
        assert p.status == "pending" and p.phone == "+8223123456" and p.languages == ["ko", "en"]
    assert "private.submitter" not in caplog.text and "Private Submitter" not in caplog.text
    api = client.get("/api/v1/search?lat=37.566&lon=126.978&radius=1").get_json()
    assert GOOD["name"] not in [r["name"] for r in api["nearby"]]


def test_without_coordinates_the_address_is_placed_and_previewed_not_stored(app, client):
    before = stored(app)
    response = post(client, {**GOOD, "latitude": "", "longitude": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="pin-map"' in html and "37.5" in html
    assert stored(app) == before


HOSTILE = "<script>alert(1)</script>"
BAD_SUBMISSIONS = [
    ("missing name", {"name": ""}),
    ("missing techniques", {"techniques": []}),
    ("unknown technique", {"techniques": ["reiki"]}),
    ("missing city", {"city": ""}),
    ("missing country", {"country": ""}),
    ("unknown country", {"country": "XX"}),
    ("bad phone", {"phone": "12"}),
    ("phone of another country", {"phone": "+1 202 555 01"}),
    ("bad NPI", {"npi": "1234567890"}),
    ("NPI letters", {"npi": "12345abcde"}),
    ("javascript URL", {"website": "javascript:alert(1)"}),
    ("ftp registry URL", {"registry_url": "ftp://example.org/x"}),
    ("bad email", {"email": "not-an-email"}),
    ("bad submitter email", {"submitter_email": "nobody"}),
    ("missing submitter", {"submitter_name": ""}),
    ("bad relation", {"relation": "cousin"}),
    ("bad language", {"languages": "klingon"}),
    ("latitude out of range", {"latitude": "123"}),
    ("longitude not a number", {"longitude": "east"}),
    ("huge name", {"name": "x" * 5000}),
    ("huge clinic", {"clinic": "y" * 100_000}),
    (
        "script in every field",
        {
            k: HOSTILE
            for k in (
                "name",
                "credentials",
                "clinic",
                "languages",
                "website",
                "phone",
                "email",
                "city",
                "submitter_name",
                "submitter_email",
            )
        },
    ),
    ("honeypot filled", {"nickname": "bot"}),
    ("unknown place", {"city": "Xqzzyv Blorp", "latitude": "", "longitude": ""}),
]


@pytest.mark.parametrize(("label", "change"), BAD_SUBMISSIONS, ids=[b[0] for b in BAD_SUBMISSIONS])
def test_bad_submissions_get_a_4xx_with_a_message_and_store_nothing(app, client, label, change):
    before = stored(app)
    response = post(client, {**GOOD, **change})
    assert 400 <= response.status_code < 500, label
    html = response.get_data(as_text=True)
    assert 'class="error-msg"' in html
    assert "<script>alert(1)</script>" not in html
    assert stored(app) == before


def test_wrong_content_type_and_oversized_bodies_are_refused(app, client):
    before = stored(app)
    assert client.post("/submit", json=GOOD).status_code == 400
    assert (
        client.post(
            "/submit", data=b"x" * (3 * 1024 * 1024), content_type="application/octet-stream"
        ).status_code
        == 413
    )
    assert stored(app) == before


def test_submitter_details_are_never_public_and_purge_erases_them(app, client):
    assert post(client, GOOD).status_code == 201
    with app.app_context():
        submission = db.session.scalar(select(Submission))
        pid = submission.practitioner_id
    for url in (f"/practitioners/{pid}", "/api/v1/search?location=Seoul"):
        assert "private.submitter" not in client.get(url).get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["purge-submitters", "--older-than", "0"])
    assert result.exit_code == 0 and "1 submission" in result.output
    with app.app_context():
        submission = db.session.scalar(select(Submission))
        assert submission.submitter_email is None and submission.erased_at is not None


def test_preview_of_a_village_the_gazetteer_does_not_know_uses_the_given_position(client):
    data = {**GOOD, "city": "Hamlet-that-is-in-no-gazetteer", "preview": "1"}
    data.pop("send")
    response = post(client, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:400]
    assert 'id="pin-map"' in html and 'data-lat="37.56600"' in html
    assert "Send suggestion" in html


def ticked_languages(html: str) -> list[str]:
    return re.findall(
        r'<input checked id="languages-\d+" name="languages" [^>]*value="([^"]+)"', html
    )


def stored_languages(app, name: str) -> list[str]:
    with app.app_context():
        return db.session.scalar(select(Practitioner).where(Practitioner.name == name)).languages


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        ("ko; en", ["ko", "en"]),  # one value, as clients have always sent it
        (["ko", "en"], ["ko", "en"]),  # one value per ticked box, as the form sends it
        (["ko; EN", "es", "ko"], ["ko", "en", "es"]),
        ([], []),
    ],
    ids=["joined", "ticked", "mixed", "none"],
)
def test_languages_are_taken_joined_or_one_per_box(app, client, posted, expected):
    name = f"Languages {expected} (demo)"
    assert post(client, {**GOOD, "name": name, "languages": posted}).status_code == 201
    assert stored_languages(app, name) == expected


def test_a_code_that_is_no_language_is_named_in_the_message(app, client):
    before = stored(app)
    response = post(client, {**GOOD, "languages": ["ko", "qq"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "“qq” is not an ISO 639-1 language code" in html
    assert sorted(ticked_languages(html)) == ["ko", "qq"]  # what was sent stays ticked
    assert stored(app) == before


@pytest.mark.parametrize("lang", ["en", "ko", "es"])
def test_languages_and_countries_are_offered_by_name_in_the_page_language(client, lang):
    from babel import Locale

    from finder.forms import collation_key

    html = client.get(f"/submit?lang={lang}").get_data(as_text=True)
    names = Locale(lang).languages
    boxes = re.findall(r'name="languages" type="checkbox" value="([a-z]{2})"', html)
    assert len(boxes) >= 150 and {"ko", "en", "es", "ja", "zh", "ar"} <= set(boxes)
    labels = [names[code] for code in boxes]
    assert labels == sorted(labels, key=collation_key)
    assert f">{names['ko']}</label>" in html
    countries = re.findall(r'<option value="([A-Z]{2})">([^<]+)</option>', html)
    assert len(countries) > 200
    country_labels = [unescape(label) for _code, label in countries]
    assert country_labels == sorted(country_labels, key=collation_key)
    assert dict(countries)["KR"] == Locale(lang).territories["KR"]
    prompt = re.search(r'<select[^>]*name="country"[^>]*>\s*<option[^>]*>([^<]+)<', html).group(1)
    assert (
        prompt == {"en": "Choose a country", "ko": "국가를 선택하세요", "es": "Elija un país"}[lang]
    )


def test_exact_position_is_closed_unless_it_holds_a_value_or_an_error(client):
    closed = '<details class="exact-position">'
    assert closed in client.get("/submit").get_data(as_text=True)
    wrong = post(client, {**GOOD, "latitude": "north"}).get_data(as_text=True)
    assert '<details class="exact-position" open>' in wrong and "latitude-error" in wrong
    data = {**GOOD, "preview": "1"}
    data.pop("send")
    preview = post(client, data).get_data(as_text=True)
    assert '<details class="exact-position" open>' in preview


def test_the_admin_edit_page_ticks_the_listing_languages(app, client):
    args = ["create-admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD]
    assert app.test_cli_runner().invoke(args=args).exit_code == 0
    assert login(client).status_code == 302
    with app.app_context():
        pid = make_practitioner(db.session, lat=37.5, lon=127.0, name="Ticked (demo)").id
        p = db.session.get(Practitioner, pid)
        p.languages = ["ko", "es"]
        db.session.commit()
    html = client.get(f"/admin/practitioners/{pid}/edit").get_data(as_text=True)
    assert sorted(ticked_languages(html)) == ["es", "ko"]
    assert re.search(r'class="pick-chosen-names"[^>]*>\s*Korean, Spanish\s*<', html)
