"""/api/v1/search.geojson: the same search as /api/v1/search, as a GeoJSON FeatureCollection
(RFC 7946) that map programs open as-is — a Point per result and option, in [longitude,
latitude] order, its group and fields as properties; errors stay the API's JSON."""

from __future__ import annotations

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
