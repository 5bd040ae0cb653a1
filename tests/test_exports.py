"""Open-data exports on the demo database: HSDS 3.0 against the shipped schemas, FHIR R4
parsed with fhir.resources, and nothing but approved listings in any of them."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import func, select

from finder.extensions import db
from finder.geo import KM_PER_MILE, haversine_km
from finder.models import Practitioner, record_id
from finder.open_data import (
    DETAIL_TERMS,
    DISTANCE_EXTENSION,
    NPI_SYSTEM,
    TECHNIQUE_SYSTEM,
    stable_id,
)

from .conftest import ROOT, make_app, skip_or_fail
from .factories import make_practitioner

STANDARD = ROOT.parent / "shared" / "standards" / "hsds-3"
CANONICAL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
SERVICES_PAGE = CANONICAL + "openapi.json#/paths/~1services/get/responses/200/content/application~1json/schema"  # fmt: skip
AUSTIN = (30.2672, -97.7431)
TECHNIQUES = ("chiropractic", "physical-therapy", "muscle-energy-technique", "si-joint-fusion")


# --- helpers ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def standard() -> Path:
    """The shipped HSDS 3.0 standard folder (CI has it; elsewhere the tests skip)."""
    if not (STANDARD / "datapackage.json").is_file():
        skip_or_fail(f"the HSDS 3.0 standard files are missing at {STANDARD}")
    return STANDARD


@pytest.fixture(scope="session")
def registry(standard) -> Registry:
    """Every schema file of the standard, under its canonical URL, for resolving $refs."""
    resources = []
    for path in sorted((standard / "schema").rglob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        name = path.relative_to(standard / "schema").as_posix()
        resources.append((CANONICAL + name, Resource(contents, DRAFT202012)))
    return Registry().with_resources(resources)


def schema_errors(registry: Registry, uri: str, instance) -> list[str]:
    """Every way `instance` breaks the schema at `uri`, formats (uuid, email, date) included."""
    validator = Draft202012Validator(
        {"$ref": uri}, registry=registry, format_checker=FormatChecker()
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def approved_count(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Practitioner).where(Practitioner.status == "approved")
        )


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def all_service_summaries(client) -> list[dict]:
    first = client.get("/api/v1/hsds/services?per_page=100").get_json()
    contents = list(first["contents"])
    for page in range(2, first["total_pages"] + 1):
        contents += client.get(f"/api/v1/hsds/services?per_page=100&page={page}").get_json()[
            "contents"
        ]
    return contents


def distance_of(entry) -> float:
    """The location-distance extension's value (km) of a searchset entry."""
    (extension,) = [e for e in entry.search.extension if e.url == DISTANCE_EXTENSION]
    assert extension.valueDistance.code == "km"
    assert extension.valueDistance.system == "http://unitsofmeasure.org"
    return float(extension.valueDistance.value)


def near(client, text: str, **params):
    return client.get("/fhir/Location", query_string={"near": text, **params})


# --- a small Table Schema validator ----------------------------------------------------

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def _is_uri(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.scheme == "urn")


def _is_number(value: str) -> bool:
    try:
        return not math.isnan(float(value))
    except ValueError:
        return False


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


TYPE_CHECKS = {
    "number": _is_number,
    "integer": lambda v: re.fullmatch(r"-?\d+", v) is not None,
    "boolean": lambda v: v in ("true", "false"),
    "date": _is_date,
    "datetime": lambda v: _DATETIME.match(v) is not None,
    "time": lambda v: _TIME.match(v) is not None,
}
FORMAT_CHECKS = {
    "uuid": _is_uuid,
    "uri": _is_uri,
    "email": lambda v: _EMAIL.match(v) is not None,
}


def cell_problems(field: dict, value: str) -> list[str]:
    """What is wrong with one CSV value under its Table Schema field ('' is a missing value)."""
    rules = field.get("constraints", {})
    if value == "":
        return ["is required"] if rules.get("required") else []
    problems = []
    check = TYPE_CHECKS.get(field["type"])
    if check and not check(value):
        problems.append(f"is not a {field['type']}")
    check = FORMAT_CHECKS.get(field.get("format"))
    if field["type"] == "string" and check and not check(value):
        problems.append(f"is not a {field['format']}")
    if "enum" in rules and value not in rules["enum"]:
        problems.append(f"is not one of {rules['enum']}")
    if "pattern" in rules and not re.fullmatch(rules["pattern"], value):
        problems.append(f"does not match {rules['pattern']}")
    return problems


def table_problems(resource: dict, rows: list[dict], header: list[str]) -> list[str]:
    """Header, cell and uniqueness problems of one CSV table."""
    fields = resource["schema"]["fields"]
    problems = []
    if header != [f["name"] for f in fields]:
        problems.append(f"{resource['path']}: header {header} is not the standard's columns")
    for line, row in enumerate(rows, start=2):
        for f in fields:
            problems += [
                f"{resource['path']} line {line}, {f['name']}={row[f['name']]!r}: {p}"
                for p in cell_problems(f, row[f["name"]])
            ]
    unique = [f["name"] for f in fields if f.get("constraints", {}).get("unique")]
    for name in {resource["schema"].get("primaryKey"), *unique} - {None}:
        values = [row[name] for row in rows if row[name]]
        if len(values) != len(set(values)):
            problems.append(f"{resource['path']}: {name} values are not unique")
    return problems


def foreign_key_problems(resources: dict, tables: dict[str, list[dict]]) -> list[str]:
    """Every foreign key value that points at no row of the table it names."""
    problems = []
    for name, resource in resources.items():
        for key in resource["schema"].get("foreignKeys", []):
            target = key["reference"]
            known = {row[target["fields"]] for row in tables[target["resource"]]}
            for row in tables[name]:
                value = row[key["fields"]]
                if value and value not in known:
                    problems.append(f"{name}.{key['fields']}={value} is not a {target['resource']}")
    return problems


def read_package(folder: Path) -> tuple[dict, dict[str, list[dict]], dict[str, list[str]]]:
    """The exported descriptor (by table name), each table's rows and each header."""
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    tables, headers = {}, {}
    for name, resource in resources.items():
        with open(folder / resource["path"], encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            tables[name] = list(reader)
            headers[name] = list(reader.fieldnames or [])
    return resources, tables, headers


@pytest.fixture(scope="session")
def hsds_package(demo_template, standard, tmp_path_factory) -> Path:
    """What export-hsds writes for the demo database: made once, only read by the tests."""
    folder = tmp_path_factory.mktemp("hsds")
    app = make_app(demo_template.copy(folder))
    result = run(app, "export-hsds", str(folder / "hsds"), "--standard", str(standard))
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
    return folder / "hsds"


@pytest.fixture(scope="session")
def demo_fhir_export(demo_template, tmp_path_factory) -> Path:
    """What export-fhir writes for the demo database: made once, only read by the tests."""
    folder = tmp_path_factory.mktemp("fhir")
    app = make_app(demo_template.copy(folder))
    path = folder / "bundle.json"
    result = run(app, "export-fhir", str(path))
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def fhir_bundle(demo_fhir_export) -> Bundle:
    return Bundle.model_validate_json(demo_fhir_export.read_text(encoding="utf-8"))


def resources_of(bundle: Bundle, resource_type: str) -> list:
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == resource_type]


# --- HSDS JSON -------------------------------------------------------------------------


def test_hsds_service_pages_follow_the_standard_page_schema(app, client, registry):
    total = approved_count(app)
    first = client.get("/api/v1/hsds/services?per_page=50")
    assert first.status_code == 200
    body = first.get_json()
    assert schema_errors(registry, SERVICES_PAGE, body) == []
    broken = body | {"size": "50", "contents": [{"id": "x", "name": "No status"}]}
    assert len(schema_errors(registry, SERVICES_PAGE, broken)) == 3  # the schema really applies
    assert body["total_items"] == total and body["total_pages"] == math.ceil(total / 50)
    assert (body["page_number"], body["size"], body["first_page"], body["empty"]) == (
        1, 50, True, False,
    )  # fmt: skip
    assert body["last_page"] is False
    last = client.get(f"/api/v1/hsds/services?per_page=50&page={body['total_pages']}").get_json()
    assert schema_errors(registry, SERVICES_PAGE, last) == []
    assert last["last_page"] is True and last["size"] == total - 50 * (body["total_pages"] - 1)
    beyond = client.get(f"/api/v1/hsds/services?per_page=50&page={body['total_pages'] + 1}")
    beyond = beyond.get_json()
    assert beyond["empty"] is True and beyond["contents"] == []
    summaries = all_service_summaries(client)
    ids = [s["id"] for s in summaries]
    assert len(ids) == len(set(ids)) == total
    assert all(s["status"] == "active" and s["organization"]["id"] for s in summaries)


def test_hsds_service_validates_against_the_compiled_schema_and_nests_everything(
    app, client, registry
):
    with app.app_context():
        p = db.session.scalar(
            select(Practitioner)
            .where(Practitioner.status == "approved", Practitioner.telehealth.is_(True))
            .order_by(Practitioner.ref)
        )
        expected = {
            "id": stable_id("service", p.ref),
            "name": f"{p.name}, {p.credentials}",
            "date": p.last_vetted_at.date().isoformat(),
            "techniques": p.technique_slugs,
            "languages": p.languages,
            "points": [(loc.latitude, loc.longitude) for loc in p.locations],
            "phone": p.phone,
        }
    response = client.get(f"/api/v1/hsds/services/{expected['id']}")
    assert response.status_code == 200
    service = response.get_json()
    assert schema_errors(registry, CANONICAL + "compiled/service.json", service) == []
    broken = service | {"status": "open", "service_at_locations": [{"location": {}}]}
    assert len(schema_errors(registry, CANONICAL + "compiled/service.json", broken)) == 4
    assert service["name"] == expected["name"] and service["assured_date"] == expected["date"]
    assert service["organization"]["id"] == service["organization_id"]
    techniques = [a for a in service["attributes"] if a["taxonomy_term"]["code"] in TECHNIQUES]
    assert [a["taxonomy_term"]["code"] for a in techniques] == expected["techniques"]
    assert {a["taxonomy_term"]["taxonomy_detail"]["name"] for a in techniques} == {
        "SI-Joint Practitioner Finder techniques"
    }
    assert [lang["code"] for lang in service["languages"]] == expected["languages"]
    assert all(lang["name"] and lang["name"] != lang["code"] for lang in service["languages"])
    assert [phone["number"] for phone in service["phones"]] == [expected["phone"]]
    places = [s["location"] for s in service["service_at_locations"]]
    physical = [(loc["latitude"], loc["longitude"]) for loc in places if "latitude" in loc]
    assert physical == expected["points"]
    assert [loc["location_type"] for loc in places].count("virtual") == 1  # telehealth
    again = client.get(f"/api/v1/hsds/services/{expected['id']}").get_json()
    assert again == service


@pytest.mark.parametrize(
    "service_id", [pytest.param(str(uuid.uuid4()), id="random-uuid"), "not-a-uuid"]
)
def test_an_unknown_hsds_service_is_a_json_404(client, service_id):
    response = client.get(f"/api/v1/hsds/services/{service_id}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "query, field",
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=-1", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=2.5", "per_page"),
        ("page=\u00b2", "page"),
        ("page=" + "9" * 5000, "page"),
    ],
)
def test_bad_hsds_page_parameters_are_refused(client, query, field):
    response = client.get(f"/api/v1/hsds/services?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


# --- HSDS CSV datapackage --------------------------------------------------------------


def test_export_hsds_csvs_follow_their_table_schemas_and_keys(app, hsds_package, standard):
    resources, tables, headers = read_package(hsds_package)
    standard_names = [r["name"] for r in json.loads((standard / "datapackage.json").read_text())[
        "resources"
    ]]  # fmt: skip
    assert list(resources) == standard_names  # every table of the standard is written
    problems = []
    for name, resource in resources.items():
        problems += table_problems(resource, tables[name], headers[name])
    problems += foreign_key_problems(resources, tables)
    assert problems == []
    total = approved_count(app)
    assert len(tables["service"]) == len(tables["organization"]) == total
    assert {row["code"] for row in tables["taxonomy_term"]} == set(TECHNIQUES) | set(DETAIL_TERMS)
    assert len(tables["taxonomy"]) == 2  # the techniques, the decision details
    physical = [row for row in tables["location"] if row["location_type"] == "physical"]
    assert all(-90 <= float(r["latitude"]) <= 90 for r in physical)
    assert len(tables["service_at_location"]) == len(tables["location"])
    assert {row["link_entity"] for row in tables["attribute"]} == {"service"}


def test_export_hsds_is_reproducible_and_agrees_with_the_api(
    app, client, standard, tmp_path, hsds_package
):
    """Another export of the same data (a copy of the demo database) is the same, byte for
    byte, and lists the services the API lists."""
    folder = tmp_path / "again"
    assert run(app, "export-hsds", str(folder), "--standard", str(standard)).exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in hsds_package.iterdir()
    )
    for path in sorted(folder.iterdir()):
        assert path.read_bytes() == (hsds_package / path.name).read_bytes(), path.name
    _, tables, _ = read_package(folder)
    assert [row["id"] for row in tables["service"]] == [
        s["id"] for s in all_service_summaries(client)
    ]


def test_export_hsds_without_the_standard_says_where_to_point_it(app, tmp_path):
    result = run(app, "export-hsds", str(tmp_path / "out"), "--standard", str(tmp_path))
    assert result.exit_code != 0 and "HSDS_STANDARD_DIR" in result.output


# --- FHIR ------------------------------------------------------------------------------


def test_export_fhir_bundle_parses_with_one_practitioner_per_approved_listing(app, fhir_bundle):
    assert fhir_bundle.type == "collection"
    with app.app_context():
        approved = {
            p.ref: p.npi
            for p in db.session.scalars(
                select(Practitioner).where(Practitioner.status == "approved")
            )
        }
    practitioners = resources_of(fhir_bundle, "Practitioner")
    assert len(practitioners) == len(approved) == len(resources_of(fhir_bundle, "PractitionerRole"))
    with_npi = 0
    for practitioner in practitioners:
        systems = {i.system: i.value for i in practitioner.identifier}
        ref = systems["urn:si-joint-finder:practitioner-ref"]
        if approved[ref]:
            assert systems[NPI_SYSTEM] == approved[ref]
            with_npi += 1
        else:
            assert NPI_SYSTEM not in systems
        assert practitioner.communication and practitioner.qualification
    assert with_npi == sum(1 for npi in approved.values() if npi) > 0


def test_export_fhir_references_resolve_inside_the_bundle(fhir_bundle):
    full_urls = {e.fullUrl for e in fhir_bundle.entry}
    assert len(full_urls) == len(fhir_bundle.entry)
    for role in resources_of(fhir_bundle, "PractitionerRole"):
        targets = [role.practitioner, role.organization, *role.location]
        assert all(t.reference in full_urls for t in targets)
        assert role.specialty and all(
            c.coding[0].system == TECHNIQUE_SYSTEM for c in role.specialty
        )
        assert {e.url.rsplit(":", 1)[1] for e in role.extension} >= {"telehealth"}
    for location in resources_of(fhir_bundle, "Location"):
        assert location.managingOrganization.reference in full_urls
        assert -90 <= float(location.position.latitude) <= 90


def test_export_fhir_is_valid_fhir_r4(demo_fhir_export):
    from .fhir_r4 import assert_r4

    bundle = json.loads(demo_fhir_export.read_text(encoding="utf-8"))
    assert len(bundle["entry"]) > 2000
    assert_r4(bundle)


def test_export_fhir_is_reproducible(app, tmp_path, demo_fhir_export):
    """Another export of the same data (a copy of the demo database) is the same, byte for byte."""
    path = tmp_path / "again.json"
    assert run(app, "export-fhir", str(path)).exit_code == 0
    assert path.read_bytes() == demo_fhir_export.read_bytes()


def test_fhir_location_near_austin_is_sorted_within_the_distance(client):
    response = near(client, "30.2672|-97.7431|50|km", _count=100)
    assert response.status_code == 200
    assert response.content_type.startswith("application/fhir+json")
    bundle = Bundle.model_validate_json(response.get_data(as_text=True))
    assert bundle.type == "searchset" and bundle.entry
    assert bundle.total == len(bundle.entry)
    distances = [distance_of(e) for e in bundle.entry]
    assert distances == sorted(distances) and distances[-1] <= 50
    for entry, distance in zip(bundle.entry, distances, strict=True):
        assert entry.search.mode == "match"
        position = entry.resource.position
        expected = haversine_km(*AUSTIN, float(position.latitude), float(position.longitude))
        assert distance == pytest.approx(expected, abs=0.01)


def test_fhir_location_near_in_miles_matches_the_same_distance_in_km(client):
    miles = 50 / KM_PER_MILE
    by_km = Bundle.model_validate_json(near(client, "30.2672|-97.7431|50|km").data)
    by_miles = Bundle.model_validate_json(near(client, f"30.2672|-97.7431|{miles}|[mi_i]").data)
    assert [e.resource.id for e in by_miles.entry] == [e.resource.id for e in by_km.entry]
    small = Bundle.model_validate_json(near(client, "30.2672|-97.7431|5|[mi_i]").data)
    assert all(distance_of(e) <= 5 * KM_PER_MILE for e in small.entry or [])
    assert (small.total or 0) < by_km.total


def test_fhir_count_limits_the_entries_not_the_total(client):
    bundle = Bundle.model_validate_json(near(client, "30.2672|-97.7431|100", _count=3).data)
    assert len(bundle.entry) == 3 and bundle.total > 3


@pytest.mark.parametrize(
    "params",
    [
        {"near": "austin"},
        {"near": "30.2672"},
        {"near": "30.2672|-97.7431|50|furlongs"},
        {"near": "91|-97.7431|50|km"},
        {"near": "30.2672|-197|50|km"},
        {"near": "30.2672|-97.7431|-5|km"},
        {"near": "30.2672|-97.7431|nan|km"},
        {"near": "30.2672|-97.7431|50000|km"},
        {"near": "30.2672|-97.7431|50|km|extra"},
        {},
        {"near": "30.2672|-97.7431|50|km", "_count": "0"},
        {"near": "30.2672|-97.7431|50|km", "_count": "101"},
    ],
)
def test_a_malformed_fhir_search_gives_a_400_operation_outcome(client, params):
    response = client.get("/fhir/Location", query_string=params)
    assert response.status_code == 400
    assert response.content_type.startswith("application/fhir+json")
    outcome = OperationOutcome.model_validate_json(response.get_data(as_text=True))
    assert outcome.issue[0].severity == "error" and outcome.issue[0].diagnostics


# --- only approved listings ------------------------------------------------------------


def test_a_pending_practitioner_is_in_no_export(app, client, standard, tmp_path):
    with app.app_context():
        shown, hidden = (
            make_practitioner(
                db.session, lat=AUSTIN[0], lon=AUSTIN[1], status=status, npi="", name=name
            )
            for status, name in (("approved", "Shown Person (demo)"), ("pending", "Hidden (demo)"))
        )
        refs = {"shown": shown.ref, "hidden": hidden.ref}
    ids = {key: stable_id("service", ref) for key, ref in refs.items()}
    locations = {key: record_id("location", ids[key], 0) for key in refs}

    assert client.get(f"/api/v1/hsds/services/{ids['shown']}").status_code == 200
    assert client.get(f"/api/v1/hsds/services/{ids['hidden']}").status_code == 404
    listed = {s["id"] for s in all_service_summaries(client)}
    assert ids["shown"] in listed and ids["hidden"] not in listed

    folder = tmp_path / "hsds"
    assert run(app, "export-hsds", str(folder), "--standard", str(standard)).exit_code == 0
    _, tables, _ = read_package(folder)
    exported = {row["id"] for row in tables["service"]}
    assert ids["shown"] in exported and ids["hidden"] not in exported
    assert "Hidden (demo)" not in "".join(p.read_text("utf-8") for p in folder.iterdir())

    path = tmp_path / "bundle.json"
    assert run(app, "export-fhir", str(path)).exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert "Shown Person (demo)" in text and "Hidden (demo)" not in text
    assert refs["hidden"] not in text and locations["hidden"] not in text

    bundle = Bundle.model_validate_json(near(client, "30.2672|-97.7431|1|km").data)
    found = {e.resource.id for e in bundle.entry}
    assert locations["shown"] in found and locations["hidden"] not in found


def test_interop_reads_are_cors_open_and_cached_like_the_rest_of_the_api(client):
    first = client.get("/fhir/Location?near=30.2672|-97.7431|50|km")
    assert first.headers["Access-Control-Allow-Origin"] == "*" and first.headers.get("ETag")
    again = client.get(
        "/fhir/Location?near=30.2672|-97.7431|50|km",
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304
    assert client.get("/api/v1/hsds/services").headers["Access-Control-Allow-Origin"] == "*"
