"""The OpenAPI document: valid 3.1, true to the code, and honoured by the running API."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from schemathesis.checks import CHECKS, load_all_checks

from finder.api import fhir, open_data, openapi
from finder.api.docs import bp as api_docs_bp
from finder.extensions import db
from finder.nearest import MAX_RADIUS_KM
from finder.search_params import MAX_PAGE, MAX_PER_PAGE
from finder.techniques import technique_items

from .conftest import make_app
from .test_exports import standard

__all__ = ["standard"]  # fixtures used here


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
    """One app on its own demo database for every generated request of this module, without
    the API's rate limit (thousands of requests, every one of them to be answered)."""
    url = demo_template.copy(tmp_path_factory.mktemp("openapi"))
    app = with_docs(make_app(url, RATELIMIT_ENABLED=False))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    demo_template.drop(url)


def parameter(document: dict, path: str, name: str) -> dict:
    """A parameter of the GET operation at path, by name."""
    found = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    assert found, f"{name} is not documented on {path}"
    return found[0]


def search_schema(document: dict, name: str) -> dict:
    """The schema of a /search parameter, on its own or a property of an exploded group."""
    for found in document["paths"]["/api/v1/search"]["get"]["parameters"]:
        if found["name"] == name:
            return found["schema"]
        if found.get("explode") and name in found["schema"].get("properties", {}):
            return found["schema"]["properties"][name]
    raise AssertionError(f"{name} is not documented on /api/v1/search")


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
    per_page = search_schema(document, "per_page")
    assert (per_page["minimum"], per_page["maximum"], per_page["default"]) == (1, MAX_PER_PAGE, 20)
    page = search_schema(document, "page")
    assert (page["minimum"], page["maximum"]) == (1, MAX_PAGE)
    assert search_schema(document, "radius")["maximum"] == MAX_RADIUS_KM
    assert search_schema(document, "unit")["enum"] == ["km", "mi"]
    lat, lon = (search_schema(document, name) for name in ("lat", "lon"))
    assert (lat["minimum"], lat["maximum"], lon["minimum"], lon["maximum"]) == (-90, 90, -180, 180)
    for name in ("telehealth", "home_visits", "gentle"):
        assert search_schema(document, name)["enum"][:2] == ["true", "false"]
    # What only means something together is one group: lat needs lon; miles have their limit.
    origin = parameter(document, search, "origin")
    assert origin["required"] and origin["schema"]["dependentRequired"] == {
        "lat": ["lon"],
        "lon": ["lat"],
    }
    distance = parameter(document, search, "distance")["schema"]
    assert distance["then"]["properties"]["radius"]["maximum"] == pytest.approx(
        MAX_RADIUS_KM / 1.609344
    )
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


def test_hsds_operations_take_the_standards_parameters(docs_client, standard):
    """Each HSDS operation documents the parameters the standard's OpenAPI gives it, but those
    refused with 400 (the standard's minimal, postcode and proximity: nothing here has them)."""
    ours = docs_client.get("/openapi.json").get_json()["paths"]
    theirs = json.loads((standard / "schema" / "openapi.json").read_text(encoding="utf-8"))
    refused = {"minimal", "postcode", "proximity"}
    for path, item in theirs["paths"].items():
        names = set()
        for found in item["get"].get("parameters", []):
            reference = found.get("$ref", "")
            names.add(theirs["components"]["parameters"][reference.rsplit("/", 1)[-1]]["name"]
                      if reference else found["name"])  # fmt: skip
        documented = {p["name"] for p in ours["/api/v1/hsds" + path]["get"]["parameters"]}
        assert documented - {"id"} == names - refused, path
        if documented - {"id"}:
            assert "400" in ours["/api/v1/hsds" + path]["get"]["responses"], path
    for path in ("organizations", "service_at_locations"):
        content = ours[f"/api/v1/hsds/{path}"]["get"]["responses"]["200"]["content"]
        assert list(content) == ["application/json", "application/x-ndjson"]


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


# What schemathesis found the API accepting against its document, or refusing within it: each
# now answers as the document says (400 naming the field, or the answer asked for).
SEOUL = "location=Seoul"
STRICT = [
    ("/api/v1/search?lat=37.5", 400, "lon"),  # lat needs lon (the origin group says so)
    ("/api/v1/search?lon=127&location=Seoul", 400, "lat"),
    (f"/api/v1/search?{SEOUL}&page=", 400, "page"),  # empty is no whole number
    (f"/api/v1/search?{SEOUL}&page=1&page=2", 400, "page"),
    (f"/api/v1/search?{SEOUL}&telehealth=true%0B", 400, "telehealth"),  # a control character
    (f"/api/v1/search?{SEOUL}&telehealth=%20true", 400, "telehealth"),
    (f"/api/v1/search?{SEOUL}&telehealth=TRUE", 400, "telehealth"),  # one of the enum only
    (f"/api/v1/search?{SEOUL}&telehealth=y", 200, None),
    (f"/api/v1/search?{SEOUL}&country=kr", 400, "country"),
    (f"/api/v1/search?{SEOUL}&country=AA", 400, "country"),  # no such ISO 3166 code
    (f"/api/v1/search?{SEOUL}&language=ko;en", 400, "language"),
    (f"/api/v1/search?{SEOUL}&technique=", 400, "technique"),
    (f"/api/v1/search?{SEOUL}&radius=15000&unit=mi", 400, "radius"),  # over 20,000 km
    (f"/api/v1/search?{SEOUL}&radius=12000&unit=mi", 200, None),
    ("/api/v1/search?location=%20%20", 400, "location"),
    ("/api/v1/search?location=" + "x" * 199 + "%20%20", 400, "location"),  # 201 as sent
    ("/api/v1/hsds/services?page=", 400, "page"),
    ("/api/v1/hsds/services?format=ndjson&page=2", 200, None),  # that page, one a line
    ("/api/v1/hsds/services?search=a%E2%80%AEb", 400, "search"),  # a bidi override
    ("/api/v1/hsds/services?search=%E2%80%8Dx", 200, None),  # a joiner hides nothing searched
    ("/api/v1/hsds/services?taxonomy_id=ABCDEF01-0000-4000-8000-000000000001", 400, "taxonomy_id"),
    ("/api/v1/hsds/taxonomies?search=" + "x" * 201, 400, "search"),
    (
        "/api/v1/hsds/taxonomy_terms?taxonomy_id=" + str(uuid.UUID(int=1)) + "&top_only=2",
        400,
        "top_only",
    ),  # fmt: skip
    ("/api/v1/locations.geojson?bbox=0,91,10,95", 400, "bbox"),
    ("/api/v1/locations.geojson?bbox=0,1e1,10,20", 400, "bbox"),
    ("/api/v1/locations.geojson?bbox=0,50,10,40", 200, None),  # south beyond north: empty
    ("/fhir/Location?near=91|0", 400, None),
    ("/fhir/Location?near=30|-97|12428|[mi_i]", 400, None),  # beyond 20,000 km
    ("/fhir/Location?near=30%20|-97", 400, None),
    ("/fhir/Location?near=30|-97|12427|[mi_i]", 200, None),
    ("/fhir/PractitionerRole?specialty=" + "x" * 201, 400, None),
    ("/fhir/PractitionerRole?location=Location/a%20b", 400, None),
    ("/fhir/PractitionerRole?location=null", 200, None),  # a well-formed id of nothing
    ("/fhir/PractitionerRole?_include=Practitioner:nothing", 200, None),  # dropped, lenient
    ("/fhir/Practitioner?name=a%1Cb", 400, None),
    ("/fhir/Practitioner?name=%E2%80%83", 400, None),  # only a space
]


@pytest.mark.parametrize(("url", "status", "field"), STRICT)
def test_the_api_takes_what_its_document_allows_and_refuses_the_rest(
    docs_client, url, status, field
):
    response = docs_client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    if field is not None:
        assert response.get_json()["error"]["field"] == field
    if url.startswith("/fhir/") and status == 400:
        assert response.get_json()["resourceType"] == "OperationOutcome"


def test_unsupported_include_is_left_out_of_self_unless_strict_handling_is_asked(docs_client):
    url = "/fhir/PractitionerRole?_include=Practitioner:nothing"
    bundle = docs_client.get(url).get_json()
    assert "_include" not in bundle["link"][0]["url"]
    strict = docs_client.get(url, headers={"Prefer": "handling=strict"})
    assert strict.status_code == 400


def test_paths_answer_methods_they_do_not_have_with_405_and_allow(docs_client):
    for path in docs_client.get("/openapi.json").get_json()["paths"]:
        some = "1" if path.startswith("/api/v1/practitioners/") else str(uuid.UUID(int=0))
        url = path.replace("{id}", some)
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = docs_client.open(url, method=method)
            assert response.status_code == 405, (method, url)
            assert "GET" in response.headers["Allow"], (method, url)


def test_docs_page_renders_every_path_from_the_document(docs_client):
    page = docs_client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for path in docs_client.get("/openapi.json").get_json()["paths"]:
        assert f"<code>{path}</code>" in html
    assert "per_page" in html and "1–100" in html
    assert "<code>lat</code>" in html and "<code>radius</code>" in html  # origin, distance
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
# The document fuzzed is the one the demo database serves (its techniques are those of
# data/techniques.json; test_the_fuzzed_document_is_the_served_one holds them equal), read at
# import so that each operation is a test of its own, spread over the workers of pytest -n.
FUZZED_DOCUMENT = openapi.build_document([item["slug"] for item in technique_items()])
schema = schemathesis.openapi.from_dict(FUZZED_DOCUMENT)
schema.config.checks.update(included_check_names=["all"])  # every check schemathesis has
# A place the gazetteer does not know is a well-formed question it cannot answer: 422, as
# documented (only /search answers it), much as an id nobody has is a 404.
schema.config.checks.positive_data_acceptance.expected_statuses = [
    *schema.config.checks.positive_data_acceptance.expected_statuses,
    "422",
]


def test_every_check_schemathesis_has_is_on():
    """Its own "all" (the CLI's --checks all): whichever checks this schemathesis has."""
    load_all_checks()
    enabled = {
        name
        for name in CHECKS.get_all_names()
        if schema.config.checks.get_by_name(name=name).enabled
    }
    assert enabled == set(CHECKS.get_all_names())
    assert {"unsupported_method", "negative_data_rejection", "positive_data_acceptance",
            "missing_required_header", "ignored_auth"} <= enabled  # fmt: skip


def test_the_fuzzed_document_is_the_served_one(fuzz_app):
    assert fuzz_app.test_client().get("/openapi.json").get_json() == FUZZED_DOCUMENT


def test_every_route_of_the_api_is_documented_and_fuzzed(fuzz_app):
    """The fuzzed paths are the application's API routes, no more and no fewer."""

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{id}", re.sub(r"<[^>]+>", "{id}", path))

    routes = {
        shape(rule.rule)
        for rule in fuzz_app.url_map.iter_rules()
        if rule.endpoint.startswith(("api.", "open_data.")) or rule.rule == "/openapi.json"
    }
    fuzzed = {shape(result.ok().path) for result in schema.get_all_operations()}
    assert fuzzed == routes
    assert {HSDS_PAGE, HSDS_ONE, FHIR_SEARCH} <= fuzzed


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_honours_its_document(case, fuzz_app):
    """Every operation: the examples, the coverage cases (each parameter at and beyond its
    limits, missing, of the wrong type; methods the path does not have) and generated valid
    and invalid requests, each answered as the document says by every check."""
    case.call_and_validate(app=fuzz_app)


ORIGINS = [{"location": "Seoul"}, {"lat": 30.2672, "lon": -97.7431}]  # so searches get past 400
NEARS = ["30.2672|-97.7431|50|km", "37.5665|126.978", "30.2672|-97.7431|20000|km"]  # matches
# Reads of one record, each fed an id the API gave out (see known_ids).
READS = [
    "/api/v1/practitioners/{id}",
    HSDS_ONE,
    "/api/v1/hsds/organizations/{id}",
    "/api/v1/hsds/service_at_locations/{id}",
    "/fhir/Location/{id}",
    "/fhir/Organization/{id}",
    "/fhir/Practitioner/{id}",
    "/fhir/PractitionerRole/{id}",
]


def fixed_targets() -> list:
    """Generated valid requests around fixed values that find something: searches from real
    places, the FHIR search near places with listings, reads of real records."""
    targets = []
    for origin in ORIGINS:
        name = "-".join(map(str, origin.values()))
        targets.append(pytest.param("/api/v1/search", {"query": origin}, id=f"search-{name}"))
    for near in NEARS:
        targets.append(pytest.param(FHIR_SEARCH, {"query": {"near": near}}, id=f"fhir-{near}"))
    targets += [pytest.param(path, {}, id=f"known-{path}") for path in READS]
    return targets


@pytest.fixture(scope="module")
def known_ids(fuzz_app) -> dict[str, str]:
    """For each of READS, the id of a record the fuzzed database has, as the lists give it."""
    client = fuzz_app.test_client()

    def first(url: str) -> dict:
        """The first item of a list: an HSDS page's, a FHIR Bundle's."""
        body = client.get(url).get_json()
        return body["contents"][0] if "contents" in body else body["entry"][0]["resource"]

    role = first("/fhir/PractitionerRole")
    nearby = client.get("/api/v1/search?location=Seoul").get_json()["nearby"]
    return {
        "/api/v1/practitioners/{id}": str(nearby[0]["id"]),
        HSDS_ONE: first("/api/v1/hsds/services")["id"],
        "/api/v1/hsds/organizations/{id}": first("/api/v1/hsds/organizations")["id"],
        "/api/v1/hsds/service_at_locations/{id}": first("/api/v1/hsds/service_at_locations")["id"],
        "/fhir/Location/{id}": first(f"/fhir/Location?near={NEARS[0]}")["id"],
        "/fhir/Organization/{id}": role["organization"]["reference"].split("/")[-1],
        "/fhir/Practitioner/{id}": role["practitioner"]["reference"].split("/")[-1],
        "/fhir/PractitionerRole/{id}": role["id"],
    }


@pytest.mark.parametrize(("path", "fixed"), fixed_targets())
def test_api_honours_its_document_from_fixed_values(fuzz_app, known_ids, path, fixed):
    """Generated valid requests around values that find listings get what the document says."""
    if path in known_ids:
        assert fuzz_app.test_client().get(path.replace("{id}", known_ids[path])).status_code == 200
        fixed = {"path_parameters": {"id": known_ids[path]}}

    @FUZZ_SETTINGS
    @given(case=schema[path]["GET"].as_strategy(**fixed))
    def call(case):
        case.call_and_validate(app=fuzz_app)

    call()
