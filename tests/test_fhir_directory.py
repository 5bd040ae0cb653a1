"""The FHIR directory as a client uses it: search PractitionerRole near a point by technique,
follow `next`, read the Practitioner, the Location and the Organization the references name,
find a practitioner by name — every resource valid FHIR R4 4.0.1 (tests/fhir_r4.py)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from finder.extensions import db
from finder.geo import haversine_km
from finder.open_data import DISTANCE_EXTENSION, TECHNIQUE_SYSTEM

from .conftest import make_app
from .factories import make_practitioner
from .fhir_r4 import assert_r4, r4_errors

AUSTIN = (30.2672, -97.7431)
NEAR_AUSTIN = "30.2672|-97.7431|300|km"
MET = "muscle-energy-technique"


def get(client, url: str, **headers):
    """A GET of a URL the API gave (absolute) or a path; the FHIR JSON it answers."""
    parts = urlsplit(url)
    response = client.get(parts.path, query_string=parts.query, headers=headers)
    assert response.mimetype == "application/fhir+json", (url, response.status_code)
    return response


def fhir(client, url: str, status: int = 200, **headers) -> dict:
    response = get(client, url, **headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def link(bundle: dict, relation: str) -> str | None:
    return next((x["url"] for x in bundle["link"] if x["relation"] == relation), None)


def matches(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def distance(entry: dict) -> float:
    (extension,) = entry["search"]["extension"]
    assert extension["url"] == DISTANCE_EXTENSION
    return extension["valueDistance"]["value"]


def test_a_client_finds_met_near_austin_pages_through_and_reads_what_it_found(client):
    first = fhir(
        client, f"/fhir/PractitionerRole?specialty={MET}&location.near={NEAR_AUSTIN}&_count=2"
    )
    assert first["type"] == "searchset" and first["total"] > 4
    pages, url = [], link(first, "self")
    while url:
        page = fhir(client, url)
        assert page["total"] == first["total"]
        pages.append(page)
        url = link(page, "next")
    roles = [e for page in pages for e in page["entry"]]
    assert len(roles) == first["total"]  # every match once, in pages of two
    assert len({e["resource"]["id"] for e in roles}) == len(roles)
    distances = [distance(e) for e in roles]
    assert distances == sorted(distances) and distances[-1] <= 300
    # previous goes back exactly one page
    second = pages[1]
    assert fhir(client, link(second, "previous"))["entry"] == pages[0]["entry"]
    assert link(pages[0], "previous") is None and link(pages[-1], "next") is None

    for entry in roles:
        role = entry["resource"]
        codes = {c["coding"][0]["code"] for c in role["specialty"]}
        assert MET in codes
        assert entry["fullUrl"].endswith(f"/fhir/PractitionerRole/{role['id']}")
        assert fhir(client, entry["fullUrl"]) == role  # a read gives the same resource
        person = fhir(client, "/fhir/" + role["practitioner"]["reference"])
        assert person["resourceType"] == "Practitioner"
        assert role["practitioner"]["display"].startswith(person["name"][0]["text"])
        locations = [fhir(client, "/fhir/" + r["reference"]) for r in role["location"]]
        nearest = min(
            haversine_km(*AUSTIN, loc["position"]["latitude"], loc["position"]["longitude"])
            for loc in locations
        )
        assert nearest == pytest.approx(distance(entry), abs=0.01)
        organization = fhir(client, "/fhir/" + role["organization"]["reference"])
        for loc in locations:
            assert loc["managingOrganization"]["reference"] == f"Organization/{organization['id']}"
        assert_r4(role, person, organization, *locations)
    assert_r4(*pages)


def test_include_brings_each_roles_practitioner_and_locations_once(client):
    url = (
        f"/fhir/PractitionerRole?location.near={NEAR_AUSTIN}&_count=5"
        "&_include=PractitionerRole:practitioner&_include=PractitionerRole:location"
    )
    bundle = fhir(client, url)
    roles = matches(bundle)
    included = [e for e in bundle["entry"] if e["search"]["mode"] == "include"]
    wanted = {r["practitioner"]["reference"] for r in roles}
    wanted |= {loc["reference"] for r in roles for loc in r["location"]}
    got = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in included]
    assert sorted(got) == sorted(wanted)  # each once, nothing else
    assert "_include=PractitionerRole%3Apractitioner" in link(bundle, "self")
    assert_r4(bundle)


def test_specialty_takes_the_system_and_any_of_several_codes(client):
    def total(specialty: str) -> int:
        return fhir(client, f"/fhir/PractitionerRole?specialty={specialty}&_count=1")["total"]

    met, fusion = total(MET), total("si-joint-fusion")
    assert met > 0 and fusion > 0
    assert total(f"{TECHNIQUE_SYSTEM}|{MET}") == met
    assert total(f"http://example.org/other|{MET}") == 0
    assert total("no-such-technique") == 0
    both = total(f"{MET},si-joint-fusion")
    assert max(met, fusion) <= both <= met + fusion
    everyone = fhir(client, "/fhir/PractitionerRole?_count=1")["total"]
    assert both < everyone


def test_a_role_is_found_by_its_location_and_by_its_practitioner(client):
    bundle = fhir(client, f"/fhir/PractitionerRole?location.near={NEAR_AUSTIN}&_count=1")
    (role,) = matches(bundle)
    for query in (
        f"location={role['location'][0]['reference']}",
        f"practitioner={role['practitioner']['reference']}",
    ):
        found = fhir(client, f"/fhir/PractitionerRole?{query}")
        assert found["total"] == 1 and matches(found)[0]["id"] == role["id"]
    unknown = "Location/00000000-0000-5000-8000-000000000000"
    assert fhir(client, f"/fhir/PractitionerRole?location={unknown}")["total"] == 0


def test_practitioner_search_by_name(app, client):
    with app.app_context():
        make_practitioner(db.session, lat=1.0, lon=1.0, name="Zora Quillfeather (demo)")
        make_practitioner(db.session, lat=1.0, lon=1.0, name="Quill Anders (demo)")
        db.session.commit()

    def names(query: str) -> list[str]:
        bundle = fhir(client, f"/fhir/Practitioner?{query}")
        assert bundle["total"] == len(matches(bundle))
        return [p["name"][0]["text"] for p in matches(bundle)]

    # Each word begins a word of the name, in any case; sorted by name.
    assert names("name=quill") == ["Quill Anders (demo)", "Zora Quillfeather (demo)"]
    assert names("name=QUILLF") == ["Zora Quillfeather (demo)"]
    assert names("name=zora quill") == ["Zora Quillfeather (demo)"]
    assert names("name=uillf") == []
    assert names("name:contains=uillf") == ["Zora Quillfeather (demo)"]
    assert names("name:exact=Quill Anders (demo)") == ["Quill Anders (demo)"]
    assert names("name:exact=quill anders (demo)") == []
    (person,) = matches(fhir(client, "/fhir/Practitioner?name=zora"))
    assert person["name"][0] | {} == {
        "use": "official",
        "text": "Zora Quillfeather (demo)",
        "family": "Quillfeather",
        "given": ["Zora"],
    }
    assert_r4(person)


def test_family_names_first_where_the_language_says_so_and_long_names_stay_text(app, client):
    with app.app_context():
        korean = make_practitioner(db.session, lat=1.0, lon=1.0, name="Kim Minjun (demo)")
        korean.languages = ["ko", "en"]
        make_practitioner(db.session, lat=1.0, lon=1.0, name="María José García López (demo)")
        db.session.commit()
    (kim,) = matches(fhir(client, "/fhir/Practitioner?name=minjun"))
    assert (kim["name"][0]["family"], kim["name"][0]["given"]) == ("Kim", ["Minjun"])
    (maria,) = matches(fhir(client, "/fhir/Practitioner?name=garcía lópez"))
    assert maria["name"][0] == {"use": "official", "text": "María José García López (demo)"}


def test_unsupported_parameters_leave_the_self_link_unless_strict_refuses_them(client):
    url = f"/fhir/Location?near={NEAR_AUSTIN}&_sort=name&_summary=count&_total=none&_count=3"
    bundle = fhir(client, url)
    self_query = dict(parse_qsl(urlsplit(link(bundle, "self")).query))
    assert self_query == {"near": NEAR_AUSTIN, "_count": "3"}
    assert len(bundle["entry"]) == 3  # the search ran without them
    strict = fhir(client, url, 400, Prefer="handling=strict")
    assert strict["resourceType"] == "OperationOutcome"
    assert strict["issue"][0]["code"] == "not-supported"
    assert "_sort" in strict["issue"][0]["diagnostics"]
    lenient = (
        f"/fhir/PractitionerRole?_include=PractitionerRole:organization&location.near={NEAR_AUSTIN}"
    )
    bundle = fhir(client, lenient)
    assert "_include" not in link(bundle, "self")
    assert all(e["search"]["mode"] == "match" for e in bundle["entry"])


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("/fhir/PractitionerRole?location.near=91|0|5|km", "invalid"),
        ("/fhir/PractitionerRole?location.near=austin", "invalid"),
        ("/fhir/PractitionerRole?location=Practitioner/x/y", "invalid"),
        ("/fhir/PractitionerRole?specialty=", "invalid"),
        ("/fhir/Practitioner?name=%01x", "invalid"),
        ("/fhir/Practitioner?name=" + "x" * 201, "invalid"),
        ("/fhir/Practitioner?_offset=-1", "invalid"),
        ("/fhir/Practitioner?_count=0", "invalid"),
        ("/fhir/Location", "required"),
    ],
)
def test_a_search_it_cannot_run_is_a_400_operation_outcome(client, url, code):
    outcome = fhir(client, url, 400)
    assert outcome["issue"][0]["code"] == code and outcome["issue"][0]["diagnostics"]
    assert not r4_errors([outcome])


@pytest.mark.parametrize("kind", ["Practitioner", "PractitionerRole", "Location", "Organization"])
def test_reading_an_id_nobody_has_is_a_404_outcome(client, kind):
    for unknown in ("00000000-0000-5000-8000-000000000000", "not-an-id"):
        outcome = fhir(client, f"/fhir/{kind}/{unknown}", 404)
        assert outcome["issue"][0]["code"] == "not-found"


def test_a_listing_that_is_suspended_cannot_be_read_any_more(demo_template, tmp_path):
    app = make_app(demo_template.copy(tmp_path))
    client = app.test_client()
    with app.app_context():
        p = make_practitioner(db.session, lat=AUSTIN[0], lon=AUSTIN[1], name="Gone Soon (demo)")
        db.session.commit()
        pid = p.id
    (person,) = matches(fhir(client, "/fhir/Practitioner?name=gone soon"))
    fhir(client, f"/fhir/Practitioner/{person['id']}")
    with app.app_context():
        db.session.get(type(p), pid).status = "suspended"
        db.session.commit()
    fhir(client, f"/fhir/Practitioner/{person['id']}", 404)
    assert fhir(client, "/fhir/Practitioner?name=gone soon")["total"] == 0
