"""GET /api/v1/search: the contract's JSON, distances, and 4xx (never 5xx) for bad input."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic

from finder.models import Practitioner

from .factories import make_practitioner

RESULT_KEYS = {
    "id",
    "name",
    "techniques",
    "city",
    "country",
    "lat",
    "lon",
    "distance_km",
    "languages",
    "telehealth",
    "url",
}


def test_austin_physical_therapy_nearest_first_with_geodesic_distances(client):
    response = client.get(
        "/api/v1/search", query_string={"location": "Austin, TX", "technique": "physical-therapy"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= {
        "origin",
        "radius_km",
        "underserved",
        "nearby",
        "travel_worthy",
        "remote",
        "page",
        "per_page",
        "total",
    }
    assert body["origin"]["country"] == "US" and "Austin" in body["origin"]["label"]
    assert body["radius_km"] == 100 and body["underserved"] is False
    nearby = body["nearby"]
    assert len(nearby) >= 3 and body["total"] >= len(nearby)
    origin = (body["origin"]["lat"], body["origin"]["lon"])
    distances = [r["distance_km"] for r in nearby]
    assert distances == sorted(distances)
    for result in nearby:
        assert set(result) >= RESULT_KEYS
        assert "physical-therapy" in result["techniques"]
        assert result["distance_km"] <= 100.5
        expected = geodesic(origin, (result["lat"], result["lon"])).km
        assert result["distance_km"] == pytest.approx(expected, rel=0.005, abs=0.01)
        assert result["url"].endswith(f"/practitioners/{result['id']}")


def test_lat_lon_origin_and_pagination(client):
    first = client.get("/api/v1/search?lat=51.5074&lon=-0.1278&per_page=2&radius=200").get_json()
    second = client.get(
        "/api/v1/search?lat=51.5074&lon=-0.1278&per_page=2&page=2&radius=200"
    ).get_json()
    assert first["total"] == second["total"] >= 4
    assert [r["id"] for r in first["nearby"]] != [r["id"] for r in second["nearby"]]
    assert first["nearby"][-1]["distance_km"] <= second["nearby"][0]["distance_km"]


def test_miles_radius_is_converted(client):
    body = client.get("/api/v1/search?location=London&radius=10&unit=mi").get_json()
    assert body["radius_km"] == pytest.approx(16.09344)
    assert all(r["distance_km"] <= 16.2 for r in body["nearby"])


def test_only_approved_listings_are_returned(app, client):
    with app.app_context():
        from finder.extensions import db

        hidden = make_practitioner(
            db.session, lat=30.2672, lon=-97.7431, status="pending", name="Pending Person (demo)"
        )
        hidden_id = hidden.id
    body = client.get("/api/v1/search?lat=30.2672&lon=-97.7431&per_page=100").get_json()
    assert hidden_id not in [r["id"] for r in body["nearby"]]
    assert client.get(f"/practitioners/{hidden_id}").status_code == 404


def test_suspending_a_listing_removes_it_from_search(app, client):
    body = client.get("/api/v1/search?location=Sydney&per_page=1").get_json()
    listed = body["nearby"][0]["id"]
    with app.app_context():
        from finder.extensions import db

        practitioner = db.session.get(Practitioner, listed)
        practitioner.status = "suspended"
        db.session.flush()  # reindexes it (finder.listings)
        db.session.commit()
    again = client.get("/api/v1/search?location=Sydney&per_page=100").get_json()
    assert listed not in [r["id"] for r in again["nearby"]]


BAD_PARAMETERS = [
    ({}, "location"),
    ({"location": "Austin", "per_page": "0"}, "per_page"),
    ({"location": "Austin", "per_page": "101"}, "per_page"),
    ({"location": "Austin", "per_page": "ten"}, "per_page"),
    ({"location": "Austin", "page": "0"}, "page"),
    ({"location": "Austin", "page": "-1"}, "page"),
    ({"location": "Austin", "radius": "-5"}, "radius"),
    ({"location": "Austin", "radius": "20001"}, "radius"),
    ({"location": "Austin", "radius": "nan"}, "radius"),
    ({"location": "Austin", "radius": "1e999"}, "radius"),
    ({"location": "Austin", "unit": "furlong"}, "unit"),
    ({"lat": "30.2"}, "lon"),
    ({"lat": "91", "lon": "0"}, "lat"),
    ({"lat": "0", "lon": "181"}, "lon"),
    ({"lat": "abc", "lon": "0"}, "lat"),
    ({"location": "Austin", "technique": "reiki"}, "technique"),
    ({"location": "Austin", "country": "XX"}, "country"),
    ({"location": "Austin", "country": "USA1"}, "country"),
    ({"location": "Austin", "language": "zz"}, "language"),
    ({"location": "Austin", "telehealth": "maybe"}, "telehealth"),
    ({"location": "Austin", "gentle": "2"}, "gentle"),
    ({"location": "x" * 300}, "location"),
    ({"location": "Austin", "per_page": "²"}, "per_page"),
    ({"location": "Austin", "page": "9" * 5000}, "page"),
]


@pytest.mark.parametrize(("params", "field"), BAD_PARAMETERS)
def test_bad_parameters_get_400_naming_the_field(client, params, field):
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_parameter" and error["field"] == field and error["message"]


def test_unknown_place_gets_422(client):
    response = client.get("/api/v1/search?location=xqzzyv%20blorp")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == "location" and "xqzzyv" in error["message"]


def test_ambiguous_place_gets_422_with_candidates(client):
    response = client.get("/api/v1/search?location=Springfield")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert len(error["candidates"]) >= 3
    assert all({"lat", "lon", "label"} <= set(c) for c in error["candidates"])


@pytest.mark.parametrize(
    "text", ["<script>alert(1)</script>", "' OR 1=1 --", "%00", "\u202e", "Seoul\x00", "🙂🙂🙂"]
)
def test_hostile_location_text_never_500(client, text):
    response = client.get("/api/v1/search", query_string={"location": text})
    assert 400 <= response.status_code < 500
    assert response.is_json


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_techniques_endpoint_lists_the_data_file(client):
    slugs = [t["slug"] for t in client.get("/api/v1/techniques").get_json()["techniques"]]
    assert slugs == [
        "chiropractic",
        "physical-therapy",
        "muscle-energy-technique",
        "si-joint-fusion",
    ]


# --- open data: detail, coverage, caching, CORS, rate limit -------------------------------------

# The decision details (finder.details; DESIGN.md's practitioner JSON of the second round).
DECISION_KEYS = {
    "vetting_checks", "revet_overdue", "confirmed_on", "confirmed", "accepting_new_patients", "wait_weeks",
    "fees", "self_pay", "insurance", "diagnostics", "surgery", "access",
    "telehealth_countries", "travel_support",
}  # fmt: skip
DETAIL_KEYS = (
    RESULT_KEYS
    | DECISION_KEYS
    | {
        "vetted_on",
        "credentials",
        "clinic",
        "patterns",
        "teaches_self_correction",
        "gentle_only",
        "home_visits",
        "accepts_international",
        "website",
        "phone",
        "email",
        "registry_name",
        "registry_number",
        "registry_url",
        "npi",
        "locations",
        "last_vetted",
        "demo",
    }
)


def test_practitioner_detail_has_what_the_public_page_shows(client):
    listed = client.get("/api/v1/search?location=Seoul&per_page=1").get_json()["nearby"][0]
    response = client.get(f"/api/v1/practitioners/{listed['id']}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == DETAIL_KEYS
    assert body["id"] == listed["id"] and body["name"] == listed["name"]
    assert body["url"] == listed["url"] and body["distance_km"] is None
    assert body["locations"] and body["locations"][0]["country"] == "KR"
    assert (body["city"], body["lat"]) == (
        body["locations"][0]["city"],
        body["locations"][0]["lat"],
    )
    assert body["last_vetted"] is None or len(body["last_vetted"]) == 10  # YYYY-MM-DD
    assert body["email"].endswith("@example.org") and body["demo"] is True


@pytest.mark.parametrize("status", ["pending", "rejected", "needs-changes", "suspended"])
def test_practitioner_detail_is_404_json_unless_approved(app, client, status):
    with app.app_context():
        from finder.extensions import db

        hidden = make_practitioner(db.session, lat=37.5, lon=127.0, country="KR", status=status)
        hidden_id = hidden.id
    response = client.get(f"/api/v1/practitioners/{hidden_id}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("practitioner_id", ["999999", "0", "99999999999999999999999", "abc"])
def test_unknown_practitioner_is_404_json(client, practitioner_id):
    response = client.get(f"/api/v1/practitioners/{practitioner_id}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_countries_counts_approved_practitioners_per_technique(client):
    body = client.get("/api/v1/countries").get_json()
    by_code = {row["country"]: row for row in body["countries"]}
    assert list(by_code) == sorted(by_code)
    korea = by_code["KR"]
    assert korea["name"] == "South Korea"
    assert korea["techniques"]["chiropractic"] > 0
    assert korea["techniques"]["muscle-energy-technique"] == 0
    assert korea["total"] >= max(korea["techniques"].values())
    assert by_code.get("MN", {"total": 0})["total"] == 0
    assert len(by_code) >= 50
    assert max(row["total"] for row in body["countries"]) <= body["total"]


def test_countries_leave_out_listings_that_are_not_approved(app, client):
    with app.app_context():
        from finder.extensions import db

        make_practitioner(db.session, lat=47.92, lon=106.92, country="MN", status="pending")
    assert "MN" not in [
        row["country"] for row in client.get("/api/v1/countries").get_json()["countries"]
    ]


@pytest.mark.parametrize(
    "url", ["/api/v1/techniques", "/api/v1/countries", "/api/v1/search?location=Seoul"]
)
def test_reads_carry_an_etag_and_answer_if_none_match_with_304(client, url):
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=60"
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    changed = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.data == first.data


def test_etag_follows_the_body(client):
    first = client.get("/api/v1/search?location=Seoul&per_page=1")
    second = client.get("/api/v1/search?location=Seoul&per_page=2")
    assert first.headers["ETag"] != second.headers["ETag"]
    assert "Accept-Language" in first.headers["Vary"]


def test_errors_are_not_cached_publicly(client):
    response = client.get("/api/v1/search?per_page=0&location=Seoul")
    assert response.status_code == 400
    assert "ETag" not in response.headers
    assert "public" not in response.headers.get("Cache-Control", "")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_any_origin_may_read_the_api(client):
    response = client.get("/api/v1/techniques", headers={"Origin": "https://other.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("url", ["/api/v1/search", "/api/v1/practitioners/1", "/api/v1/countries"])
def test_cors_preflight_allows_get(client, url):
    response = client.options(
        url,
        headers={
            "Origin": "https://other.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert 200 <= response.status_code < 300
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "if-none-match" in response.headers["Access-Control-Allow-Headers"].lower()
    assert "POST" not in response.headers["Allow"]


def test_rate_limit_answers_429_json_with_retry_after(demo_template, tmp_path):

    from config import TestConfig
    from finder import create_app
    from finder.extensions import db

    from .conftest import GAZETTEER

    url = demo_template.copy(tmp_path, "limited")
    app = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "GAZETTEER_PATH": GAZETTEER,
            "RATELIMIT_ENABLED": True,
            "API_RATE_LIMIT": "3 per minute",
        },
    )
    try:
        client = app.test_client()
        assert [client.get("/api/v1/techniques").status_code for _ in range(3)] == [200] * 3
        limited = client.get("/api/v1/countries")  # one budget for the whole API
        assert limited.status_code == 429
        error = limited.get_json()["error"]
        assert error["code"] == "too_many_requests" and error["message"]
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert limited.headers["Access-Control-Allow-Origin"] == "*"
        assert "public" not in limited.headers.get("Cache-Control", "")
        elsewhere = client.get("/api/v1/techniques", environ_base={"REMOTE_ADDR": "192.0.2.9"})
        assert elsewhere.status_code == 200  # the budget is per client address
        assert client.get("/").status_code == 200  # pages are not counted against the API
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_results_carry_what_a_card_needs_to_decide_and_to_call(client):
    body = client.get("/api/v1/search?location=Toronto").get_json()
    first = body["nearby"][0]
    for key in ("home_visits", "gentle_only", "vetted_on", "phone", "email", "website"):
        assert key in first, key
    assert first["phone"] is None or first["phone"].startswith("+")
