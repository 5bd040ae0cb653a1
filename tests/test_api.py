"""GET /api/v1/search: the contract's JSON, distances, and 4xx (never 5xx) for bad input."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic

from finder import directory
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
        directory.reindex_practitioner(db.session, practitioner)
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
