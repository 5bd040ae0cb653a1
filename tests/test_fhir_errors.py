"""Every error under /fhir is a FHIR OperationOutcome (application/fhir+json) with the issue
type of its status — not found, method not allowed (with Allow), rate limited (with
Retry-After) — while the rest of the API keeps its own JSON errors."""

from __future__ import annotations

from fhir.resources.R4B.operationoutcome import OperationOutcome

from .conftest import make_app
from .fhir_r4 import assert_r4

NEAR = "/fhir/Location?near=30.2672|-97.7431|50|km"


def outcome(response, status: int, code: str) -> OperationOutcome:
    assert response.status_code == status
    assert response.mimetype == "application/fhir+json"
    parsed = OperationOutcome.model_validate_json(response.get_data(as_text=True))
    assert [(i.severity, i.code) for i in parsed.issue] == [("error", code)]
    assert parsed.issue[0].diagnostics
    return parsed


def test_an_unknown_fhir_url_is_a_not_found_outcome(client):
    outcome(client.get("/fhir/Nothing"), 404, "not-found")
    outcome(client.get("/fhir/Location/extra/parts"), 404, "not-found")


def test_a_method_the_fhir_api_does_not_take_is_not_supported_with_allow(client):
    response = client.post(NEAR)
    outcome(response, 405, "not-supported")
    assert "GET" in response.headers["Allow"]


def test_the_fhir_rate_limit_answers_throttled_with_retry_after(demo_template, tmp_path):
    app = make_app(
        demo_template.copy(tmp_path), RATELIMIT_ENABLED=True, API_RATE_LIMIT="1 per minute"
    )
    client = app.test_client()
    assert client.get(NEAR).status_code == 200
    response = client.get(NEAR)
    outcome(response, 429, "throttled")
    assert int(response.headers["Retry-After"]) > 0
    api = client.get("/api/v1/hsds/services")  # the same limit, the API's own error
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "too_many_requests"


def test_the_rest_of_the_api_keeps_its_json_errors(client):
    response = client.get("/api/v1/hsds/services/not-a-uuid")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = client.post("/api/v1/search")
    assert response.status_code == 405 and "error" in response.get_json()


def test_metadata_states_exactly_what_the_fhir_api_supports(client):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    statement = response.get_json()
    assert_r4(statement)
    assert statement["fhirVersion"] == "4.0.1" and statement["kind"] == "instance"
    (rest,) = statement["rest"]
    said = {r["type"]: r for r in rest["resource"]}
    assert {kind: [i["code"] for i in r["interaction"]] for kind, r in said.items()} == {
        "Location": ["read", "search-type"],
        "Organization": ["read"],
        "Practitioner": ["read", "search-type"],
        "PractitionerRole": ["read", "search-type"],
    }
    searched = {kind: {p["name"] for p in r.get("searchParam", [])} for kind, r in said.items()}
    assert searched == {
        "Location": {"near", "_count"},
        "Organization": set(),
        "Practitioner": {"name", "_count"},
        "PractitionerRole": {"specialty", "location", "practitioner", "_count"},
    }
    assert said["PractitionerRole"]["searchInclude"] == [
        "PractitionerRole:practitioner",
        "PractitionerRole:location",
    ]
    # What it says is supported works; what it leaves out is not found.
    assert client.get("/fhir/Location?near=30.2672|-97.7431|50|km&_count=2").status_code == 200
    assert client.get("/fhir/Practitioner?name=a&_count=2").status_code == 200
    outcome(client.get("/fhir/Organization"), 404, "not-found")
    outcome(client.get("/fhir/Patient"), 404, "not-found")
