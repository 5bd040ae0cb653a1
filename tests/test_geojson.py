"""/api/v1/search.geojson: the same search as /api/v1/search, as a GeoJSON FeatureCollection
(RFC 7946) that map programs open as-is — a Point per result and option, in [longitude,
latitude] order, its group and fields as properties; errors stay the API's JSON."""

from __future__ import annotations

import json

import pytest

QUERIES = [
    {"location": "Reykjavik"},  # underserved: options worth travelling for
    {"lat": "30.2672", "lon": "-97.7431", "technique": "chiropractic"},
    {"location": "Seoul", "telehealth": "y"},
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "-".join(q.values()))
def test_the_geojson_holds_every_result_and_option_of_the_json(client, query):
    plain = client.get("/api/v1/search", query_string=query)
    geo = client.get("/api/v1/search.geojson", query_string=query)
    assert plain.status_code == geo.status_code == 200
    assert geo.mimetype == "application/geo+json"
    body, collection = plain.get_json(), geo.get_json()
    assert collection["type"] == "FeatureCollection"
    expected = [
        (group, entry) for group in ("nearby", "travel_worthy", "remote") for entry in body[group]
    ]
    assert expected, "the search found something to map"
    assert len(collection["features"]) == len(expected)
    for feature, (group, entry) in zip(collection["features"], expected, strict=True):
        assert feature["type"] == "Feature" and feature["id"] == entry["id"]
        assert feature["geometry"] == {"type": "Point", "coordinates": [entry["lon"], entry["lat"]]}
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        rest = {k: v for k, v in entry.items() if k not in ("lat", "lon")}
        assert feature["properties"] == {"group": group, **rest}
    for name in ("origin", "radius_km", "underserved", "page", "per_page", "total"):
        assert collection[name] == body[name]


def test_errors_of_the_geojson_search_are_the_apis_json(client):
    bad = client.get("/api/v1/search.geojson?lat=10")
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "lon"
    unknown = client.get("/api/v1/search.geojson?location=Qwxzyv")
    assert unknown.status_code == 422 and unknown.mimetype == "application/json"


def test_every_approved_location_as_geojson_narrowed_by_a_box_across_the_meridian(app, client):
    from sqlalchemy import select

    from finder.extensions import db
    from finder.models import PracticeLocation, Practitioner

    with app.app_context():
        rows = db.session.execute(
            select(PracticeLocation.id, PracticeLocation.latitude, PracticeLocation.longitude)
            .join(Practitioner)
            .where(Practitioner.listed)
        ).all()
    response = client.get("/api/v1/locations.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    collection = json.loads(response.data)
    assert collection["type"] == "FeatureCollection"
    got = {f["id"]: tuple(f["geometry"]["coordinates"]) for f in collection["features"]}
    assert got == {lid: (lon, lat) for lid, lat, lon in rows}
    # A box from 170°E across 180° to 170°W, 50°S to the equator: New Zealand, Fiji...
    boxed = json.loads(client.get("/api/v1/locations.geojson?bbox=170,-50,-170,0").data)
    inside = {lid for lid, lat, lon in rows if -50 <= lat <= 0 and (lon >= 170 or lon <= -170)}
    assert inside and {f["id"] for f in boxed["features"]} == inside
    # A south beyond the north is a box with nothing in it (the document cannot say otherwise).
    empty = json.loads(client.get("/api/v1/locations.geojson?bbox=0,10,5,-10").data)
    assert empty["features"] == []
    for query in ("bbox=1,2,3", "bbox=0,91,5,92", "bbox=0,1e1,5,20", "bbox=a,b,c,d", "colour=1"):
        assert client.get(f"/api/v1/locations.geojson?{query}").status_code == 400, query
