"""A search's map frame is folium's own frame for its numbers, though folium draws each kind
of frame once (finder.maps._frame_kind) and each page writes its numbers over stand-ins."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finder import maps

TILES = ("https://tiles.example.org/{z}/{x}/{y}.png", "Map data © example contributors")
ELEMENT_ID = re.compile(r"[0-9a-f]{32}")


def drawn(frame: maps.Frame) -> str:
    """The frame's markup and script, element ids numbered in order of appearance (folium
    gives each element a random id)."""
    ids: dict[str, str] = {}
    text = f"{frame.html}\n{frame.script}"
    return ELEMENT_ID.sub(lambda m: ids.setdefault(m.group(0), f"element{len(ids)}"), text)


def folium_draws(origin, radius_km, bounds) -> str:
    radius_m = radius_km * 1000 if radius_km else None
    return drawn(maps._build_search_frame(origin, radius_m, bounds, *TILES))


STAND_INS = maps._STAND_INS


@pytest.mark.parametrize(
    ("origin", "radius_km", "bounds"),
    [
        ((43.65, -79.38), 100.0, (43.1, -80.0, 44.2, -79.0)),  # Toronto, its results framed
        ((47.92, 106.92), 100.0, None),  # nobody near: no bounds
        ((-16.5, 179.99), 160.9344, (-17.0, 179.5, -16.0, 180.0)),  # 100 mi, beside ±180°
        ((89.9, 0.0), None, None),  # a whole country's page: no radius
        ((0.0, 0.0), 5.0, (0.0, 0.0, 0.0, 0.0)),
        # A search whose numbers are the stand-ins themselves, or each other's.
        (
            (STAND_INS["lat"], STAND_INS["lon"]),
            STAND_INS["radius_m"] / 1000,
            (STAND_INS["south"], STAND_INS["west"], STAND_INS["north"], STAND_INS["east"]),
        ),
        ((STAND_INS["south"], STAND_INS["lat"]), STAND_INS["east"], None),
    ],
)
def test_a_search_frame_is_the_frame_folium_draws_for_its_numbers(origin, radius_km, bounds):
    made = maps._search_frame(origin, radius_km, bounds, *TILES)
    assert drawn(made) == folium_draws(origin, radius_km, bounds)


latitudes = st.floats(-90, 90, allow_nan=False)
longitudes = st.floats(-180, 180, allow_nan=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lat=latitudes,
    lon=longitudes,
    radius_km=st.none() | st.floats(0.5, 20_000, allow_nan=False),
    box=st.none() | st.tuples(latitudes, longitudes, latitudes, longitudes),
)
def test_any_search_frame_is_the_frame_folium_draws_for_its_numbers(lat, lon, radius_km, box):
    made = maps._search_frame((lat, lon), radius_km, box, *TILES)
    assert drawn(made) == folium_draws((lat, lon), radius_km, box)


@pytest.mark.browser
def test_each_search_moves_the_shared_frame_to_its_own_place_and_radius(page, live_server):
    """Two searches in a row (one frame, its element names shared): each page's map sits on
    its own origin, with its own radius ring, framing its own results."""
    seen = []
    for place, radius in (("Toronto", "25"), ("Seoul", "100")):
        page.goto(f"{live_server.url}/?lang=en")
        page.locator("input[name=location]").fill(place)
        more = page.locator("form.search-form details.more-filters").first
        if more.get_attribute("open") is None:
            more.locator("summary").click()
        page.locator("select[name=radius]").select_option(radius)
        page.locator("select[name=unit]").select_option("km")
        page.locator("form[role=search] button[type=submit]").first.click()
        page.wait_for_selector("#summary")
        origin = page.request.get(
            f"{live_server.url}/api/v1/search", params={"location": place}
        ).json()["origin"]
        page.wait_for_function("() => document.querySelector('.leaflet-container') !== null")
        shown = page.evaluate(
            """() => {
                const map = window[document.querySelector('[data-map]').dataset.map];
                const data = JSON.parse(document.querySelector('.map-data').textContent);
                const dot = window[data.origin.layer].getLatLng();
                const rings = [];
                map.eachLayer(l => { if (l instanceof L.Circle) rings.push(l.getRadius()); });
                const box = map.getBounds();
                const nearby = data.markers.filter(m => m.style.radius === 9);
                return {dot: [dot.lat, dot.lng], rings, name: data.map,
                        framed: nearby.filter(m => box.contains([m.lat, m.lon])).length,
                        nearby: nearby.length};
            }"""
        )
        assert shown["dot"] == pytest.approx([origin["lat"], origin["lon"]], abs=1e-9), place
        assert shown["rings"] == [pytest.approx(float(radius) * 1000)], place
        assert shown["nearby"] and shown["framed"] == shown["nearby"], place
        seen.append(shown["name"])
    assert seen[0] == seen[1]  # the same frame, moved
