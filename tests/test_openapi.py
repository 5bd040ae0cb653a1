"""The OpenAPI document: valid 3.1, true to the code, and honoured by the running API."""

from __future__ import annotations

import re
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from finder.api import fhir, open_data, openapi
from finder.api.docs import bp as api_docs_bp
from finder.extensions import db
from finder.nearest import MAX_RADIUS_KM
from finder.search_params import MAX_PAGE, MAX_PER_PAGE

from .conftest import make_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def with_docs(app):
    """The app with the root /openapi.json and /api/docs (a no-op once create_app has them)."""
    if "api_docs" not in app.blueprints:
        app.register_blueprint(api_docs_bp)
    return app


@pytest.fixture
def docs_client(app):
    return with_docs(app).test_client()


@pytest.fixture(scope="module")
def fuzz_app(demo_template, tmp_path_factory):
    """One app on its own demo database for every generated request of this module."""
    app = with_docs(make_app(demo_template.copy(tmp_path_factory.mktemp("openapi"))))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/openapi.json", fuzz_app)


def parameter(document: dict, path: str, name: str) -> dict:
    """A parameter of the GET operation at path, by name."""
    found = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    assert found, f"{name} is not documented on {path}"
    return found[0]


# --- the document -------------------------------------------------------------------------------


def test_root_document_is_valid_openapi_3_1(docs_client):
    response = docs_client.get("/openapi.json")
    assert response.status_code == 200 and response.is_json
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_versioned_document_is_the_same(docs_client):
    root = docs_client.get("/openapi.json").get_json()
    assert docs_client.get("/api/v1/openapi.json").get_json() == root


def test_every_api_route_is_documented(app, docs_client):
    documented = set(docs_client.get("/openapi.json").get_json()["paths"])
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("api.", "open_data.")) or rule.rule == "/openapi.json":
            path = re.sub(r"<[^>]+>", "{id}", rule.rule)
            assert path in documented, rule.rule


def test_search_parameters_match_the_checks_in_params(docs_client):
    document = docs_client.get("/openapi.json").get_json()
    search = "/api/v1/search"
    per_page = parameter(document, search, "per_page")["schema"]
    assert (per_page["minimum"], per_page["maximum"], per_page["default"]) == (1, MAX_PER_PAGE, 20)
    page = parameter(document, search, "page")["schema"]
    assert (page["minimum"], page["maximum"]) == (1, MAX_PAGE)
    assert parameter(document, search, "radius")["schema"]["maximum"] == MAX_RADIUS_KM
    assert parameter(document, search, "unit")["schema"]["enum"] == ["km", "mi"]
    lat, lon = (parameter(document, search, name)["schema"] for name in ("lat", "lon"))
    assert (lat["minimum"], lat["maximum"], lon["minimum"], lon["maximum"]) == (-90, 90, -180, 180)
    for name in ("telehealth", "home_visits", "gentle"):
        assert parameter(document, search, name)["schema"]["enum"] == ["true", "false"]
    schemas = document["components"]["schemas"]
    assert schemas["CountryCode"]["pattern"] == "^[A-Z]{2}$"
    assert schemas["LanguageCode"]["pattern"] == "^[a-z]{2}$"
    assert schemas["TechniqueSlug"]["enum"] == [
        "chiropractic",
        "physical-therapy",
        "muscle-energy-technique",
        "si-joint-fusion",
    ]
    technique = parameter(document, search, "technique")
    assert technique["schema"]["type"] == "array" and technique["explode"] is True


@pytest.mark.parametrize(
    ("name", "value", "status"),
    [
        ("per_page", "20", 200),
        ("per_page", str(MAX_PER_PAGE), 200),
        ("per_page", str(MAX_PER_PAGE + 1), 400),
        ("page", str(MAX_PAGE), 200),
        ("page", str(MAX_PAGE + 1), 400),
        ("radius", str(openapi.MIN_RADIUS), 200),
        ("radius", "0.0009", 400),
        ("radius", f"{MAX_RADIUS_KM:g}", 200),
    ],
)
def test_documented_limits_are_the_enforced_ones(client, name, value, status):
    response = client.get("/api/v1/search", query_string={"lat": "37.5", "lon": "127", name: value})
    assert response.status_code == status


def test_default_per_page_is_the_documented_one(client):
    body = client.get("/api/v1/search?lat=37.5&lon=127").get_json()
    assert body["per_page"] == openapi.DEFAULT_PER_PAGE


def test_error_responses_are_documented_for_search(docs_client):
    responses = docs_client.get("/openapi.json").get_json()["paths"]["/api/v1/search"]["get"]
    assert {"200", "304", "400", "422", "429"} <= set(responses["responses"])


def test_technique_slugs_fall_back_to_a_pattern_when_there_are_none():
    document = openapi.build_document([])
    assert document["components"]["schemas"]["TechniqueSlug"]["pattern"] == openapi.SLUG_PATTERN
    validate(document, cls=OpenAPIV31SpecValidator)


def test_other_modules_can_add_paths(docs_client):
    def example_paths():
        things = openapi.ok("Things.", {"type": "object"})
        return {
            "paths": {"/api/v1/things": openapi.operation("listThings", "Things", "", things)},
            "schemas": {"Thing": {"type": "object"}},
        }

    openapi.add_paths(example_paths)
    try:
        document = docs_client.get("/openapi.json").get_json()
    finally:
        openapi.remove_paths(example_paths)
    assert "/api/v1/things" in document["paths"]
    assert "Thing" in document["components"]["schemas"]
    validate(document, cls=OpenAPIV31SpecValidator)
    assert "/api/v1/things" not in docs_client.get("/openapi.json").get_json()["paths"]


# --- the HSDS and FHIR endpoints (finder.api.open_data adds them) ------------------------------


HSDS_PAGE, HSDS_ONE, FHIR_SEARCH = (
    "/api/v1/hsds/services",
    "/api/v1/hsds/services/{id}",
    "/fhir/Location",
)


def test_open_data_paths_are_documented_and_answer_as_documented(docs_client):
    """The document lists the HSDS and FHIR paths, and the live answers use its statuses."""
    paths = docs_client.get("/openapi.json").get_json()["paths"]
    assert {HSDS_PAGE, HSDS_ONE, FHIR_SEARCH} <= set(paths)
    answers = {
        FHIR_SEARCH: [("/fhir/Location?near=30.2672|-97.7431|50|km", 200), ("/fhir/Location", 400)],
        HSDS_PAGE: [("/api/v1/hsds/services", 200), ("/api/v1/hsds/services?page=0", 400)],
        HSDS_ONE: [(f"/api/v1/hsds/services/{uuid.UUID(int=0)}", 404)],
    }
    for path, requests in answers.items():
        documented = set(paths[path]["get"]["responses"])
        for url, status in requests:
            assert docs_client.get(url).status_code == status, url
            assert str(status) in documented, (path, status)


def test_open_data_parameters_match_the_checks_in_open_data(docs_client):
    document = docs_client.get("/openapi.json").get_json()
    page = parameter(document, HSDS_PAGE, "page")["schema"]
    assert (page["minimum"], page["maximum"], page["default"]) == (1, open_data.MAX_PAGE, 1)
    per_page = parameter(document, HSDS_PAGE, "per_page")["schema"]
    assert (per_page["minimum"], per_page["maximum"], per_page["default"]) == (
        1,
        open_data.MAX_PER_PAGE,
        open_data.DEFAULT_PER_PAGE,
    )
    count = parameter(document, FHIR_SEARCH, "_count")["schema"]
    assert (count["minimum"], count["maximum"], count["default"]) == (1, 100, 20)
    near = parameter(document, FHIR_SEARCH, "near")
    assert near["required"] is True and near["schema"]["pattern"] == open_data.NEAR_PATTERN
    service_id = parameter(document, HSDS_ONE, "id")
    assert service_id["in"] == "path" and service_id["required"] is True


def test_open_data_media_types_and_statuses_are_documented(docs_client):
    paths = docs_client.get("/openapi.json").get_json()["paths"]
    answers = {path: paths[path]["get"]["responses"] for path in (HSDS_PAGE, HSDS_ONE, FHIR_SEARCH)}
    assert set(answers[HSDS_PAGE]) == {"200", "304", "400", "429"}
    assert set(answers[HSDS_ONE]) == {"200", "304", "404", "429"}
    assert set(answers[FHIR_SEARCH]) == {"200", "304", "400", "429"}
    for path in (HSDS_PAGE, HSDS_ONE):
        for status in set(answers[path]) - {"304", "429"}:
            ndjson = ["application/x-ndjson"] if (path, status) == (HSDS_PAGE, "200") else []
            assert list(answers[path][status]["content"]) == ["application/json", *ndjson]
    for status in ("200", "400"):
        assert list(answers[FHIR_SEARCH][status]["content"]) == ["application/fhir+json"]
    # 304 is the API's shared response; 429 too, but an OperationOutcome under /fhir.
    for path in (HSDS_PAGE, HSDS_ONE, FHIR_SEARCH):
        assert answers[path]["304"] == {"$ref": "#/components/responses/NotModified"}
    for path in (HSDS_PAGE, HSDS_ONE):
        assert answers[path]["429"] == {"$ref": "#/components/responses/TooManyRequests"}
    assert list(answers[FHIR_SEARCH]["429"]["content"]) == ["application/fhir+json"]
    bundle = answers[FHIR_SEARCH]["200"]["content"]["application/fhir+json"]["schema"]
    assert bundle == {"$ref": "#/components/schemas/FhirBundle"}


@pytest.mark.parametrize(
    ("near", "matches"),
    [
        ("30.2672|-97.7431", True),
        ("30.2672|-97.7431|50", True),
        ("30.2672|-97.7431|50|km", True),
        ("+30|-97|5000|m", True),
        ("30|-97||[mi_i]", True),
        ("30|-97|5|mi", False),
        ("30", False),
        ("30|-97|5|km|x", False),
    ],
)
def test_near_pattern_agrees_with_parse_near(near, matches):
    assert bool(re.search(open_data.NEAR_PATTERN, near)) is matches
    if matches:
        fhir.parse_near(near)  # no BadRequest for anything of this shape in range
    else:
        with pytest.raises(open_data.BadRequest):
            fhir.parse_near(near)


def test_docs_page_renders_every_path_from_the_document(docs_client):
    page = docs_client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for path in docs_client.get("/openapi.json").get_json()["paths"]:
        assert f"<code>{path}</code>" in html
    assert "per_page" in html and "1–100" in html
    loaded = r'<(script|link|img)(?![^>]*rel="(canonical|alternate)")[^>]+(src|href)="(https?:)?//'
    assert not re.search(loaded, html)  # no CDN (canonical and alternate links load nothing)


# --- the live API against the document ----------------------------------------------------------


FUZZ_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same requests on every run, so CI is stable
    database=None,
    suppress_health_check=list(HealthCheck),
)


ORIGINS = [{"location": "Seoul"}, {"lat": 30.2672, "lon": -97.7431}]  # so searches get past 400
NEARS = ["30.2672|-97.7431|50|km", "37.5665|126.978", "30.2672|-97.7431|20000|km"]  # matches
KNOWN_SERVICE = "known"  # stands for the id of a real approved service (see known_service_id)


def fuzz_targets() -> list:
    """Every documented path (this site's and the ones other modules add) with valid requests,
    those with parameters also with invalid ones; searches also from fixed origins, the FHIR
    search near places with listings, and one real HSDS service."""
    targets = []
    for path, item in sorted(openapi.build_document([])["paths"].items()):
        targets.append(pytest.param(path, GenerationMode.POSITIVE, {}, id=f"{path}-valid"))
        if item["get"]["parameters"]:
            targets.append(pytest.param(path, GenerationMode.NEGATIVE, {}, id=f"{path}-invalid"))
    for origin in ORIGINS:
        name = "-".join(map(str, origin.values()))
        fixed = {"query": origin}
        targets.append(
            pytest.param("/api/v1/search", GenerationMode.POSITIVE, fixed, id=f"search-{name}")
        )
    for near in NEARS:
        fixed = {"query": {"near": near}}
        targets.append(pytest.param(FHIR_SEARCH, GenerationMode.POSITIVE, fixed, id=f"fhir-{near}"))
    fixed = {"path_parameters": {"id": KNOWN_SERVICE}}
    targets.append(pytest.param(HSDS_ONE, GenerationMode.POSITIVE, fixed, id="hsds-known-service"))
    return targets


@pytest.fixture(scope="module")
def known_service_id(fuzz_app) -> str:
    """The id of an approved service of the fuzzed database."""
    page = fuzz_app.test_client().get("/api/v1/hsds/services?per_page=1").get_json()
    return page["contents"][0]["id"]


def test_every_route_of_the_api_is_documented_and_fuzzed(fuzz_app):
    """The fuzzed paths are the application's API routes, no more and no fewer."""

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{id}", re.sub(r"<[^>]+>", "{id}", path))

    routes = {
        shape(rule.rule)
        for rule in fuzz_app.url_map.iter_rules()
        if rule.endpoint.startswith(("api.", "open_data.")) or rule.rule == "/openapi.json"
    }
    fuzzed = {shape(param.values[0]) for param in fuzz_targets()}
    assert fuzzed == routes
    assert {HSDS_PAGE, HSDS_ONE, FHIR_SEARCH} <= fuzzed


@pytest.mark.parametrize(("path", "mode", "fixed"), fuzz_targets())
def test_api_honours_its_document(api_schema, known_service_id, path, mode, fixed):
    """Generated requests never get a 5xx and always get what the document says."""
    operation = api_schema[path]["GET"]
    if fixed.get("path_parameters") == {"id": KNOWN_SERVICE}:
        fixed = {"path_parameters": {"id": known_service_id}}

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def call(case):
        case.call_and_validate(checks=CHECKS)

    call()
