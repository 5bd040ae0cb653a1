"""Maps: folium draws the frame from trusted values; everything else travels as data.

branca compiles folium's rendered output as a Jinja template a second time, so any text
handed to folium would be evaluated on the server (`{{ ... }}`). folium therefore sees only
numbers, the operator's tile settings and fixed styles. Names, places, popups, tooltips,
colours by technique and links go into the page as a JSON data island (`MapParts.data`,
rendered with Jinja's `tojson` by templates/_map.html) and finder/static/maps.js draws them
with DOM text nodes, never as HTML.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field, replace

import folium
import xyzservices
from folium.plugins import MarkerCluster
from markupsafe import Markup

FALLBACK_COLOUR = "#555555"
_COLOUR = re.compile(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?")


def safe_colour(value: str | None) -> str:
    """A '#rgb' or '#rrggbb' colour, or a neutral grey for anything else."""
    return value if value and _COLOUR.fullmatch(value) else FALLBACK_COLOUR


@dataclass
class MapMarker:
    """One practitioner on the map."""

    name: str
    lat: float
    lon: float
    color: str
    lines: list[str]  # plain text lines under the name
    url: str
    kind: str = "nearby"  # nearby | travel | remote

    def as_data(self) -> dict:
        colour = safe_colour(self.color)
        nearby = self.kind == "nearby"
        return {
            "name": self.name,
            "lat": float(self.lat),
            "lon": float(self.lon),
            "lines": [str(line) for line in self.lines],
            "url": self.url,
            "style": {
                "radius": 9 if nearby else 7,
                "color": "#ffffff" if nearby else colour,
                "fillColor": colour,
                "fillOpacity": 0.9 if nearby else 0.5,
                "weight": 2,
                "dashed": not nearby,
            },
        }


@dataclass
class MapParts:
    """A map for a Jinja template: folium's frame (element and script) and the page's data.

    folium's own header is not used: it pulls Leaflet from CDNs and sets page-wide styles.
    The page links the local copies instead (templates/_map_assets.html).
    """

    html: Markup
    script: Markup
    name: str
    cluster_name: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Frame:
    """folium's part of a map: its element and script, and the names maps.js looks up."""

    html: Markup
    script: Markup
    name: str
    layer: str
    origin_layer: str | None

    def parts(self, origin_label: str | None, markers: list[dict]) -> MapParts:
        """The map for a page: this frame and the page's own data."""
        origin = None
        if self.origin_layer is not None:
            origin = {"layer": self.origin_layer, "label": origin_label}
        return MapParts(
            html=self.html,
            script=self.script,
            name=self.name,
            cluster_name=self.layer,
            data={"map": self.name, "layer": self.layer, "origin": origin, "markers": markers},
        )


def _frame(fmap: folium.Map, layer, origin_layer) -> Frame:
    root = fmap.get_root()
    root.render()
    return Frame(
        html=Markup(root.html.render()),
        script=Markup(root.script.render()),
        name=fmap.get_name(),
        layer=layer.get_name(),
        origin_layer=origin_layer.get_name() if origin_layer is not None else None,
    )


def _tiles(fmap: folium.Map, tile_url: str, attribution: str) -> None:
    # Operator settings (environment), not visitor text. A URL template goes in as a
    # provider of its own: folium would otherwise search xyzservices' whole catalogue of
    # provider names for it on every map (some 5 ms) before using it as it is.
    tiles = tile_url
    if "{z}" in tile_url:
        tiles = xyzservices.TileProvider(
            name="map", url=tile_url, attribution=attribution, html_attribution=attribution
        )
    folium.TileLayer(tiles=tiles, attr=attribution, name="map").add_to(fmap)


def _build_search_frame(
    origin: tuple[float, float],
    radius_m: float | None,
    bounds: tuple[float, float, float, float] | None,
    tile_url: str,
    attribution: str,
) -> Frame:
    fmap = folium.Map(
        location=origin, zoom_start=9, tiles=None, control_scale=True, prefer_canvas=False
    )
    _tiles(fmap, tile_url, attribution)
    origin_dot = folium.CircleMarker(
        origin,
        radius=8,
        color="#1b1b1b",
        weight=3,
        fill=True,
        fill_color="#ffffff",
        fill_opacity=1,
    ).add_to(fmap)
    if radius_m:
        folium.Circle(origin, radius=radius_m, color="#2a6f97", weight=1, fill=False).add_to(fmap)
    cluster = MarkerCluster(name="practitioners", options={"maxClusterRadius": 40})
    cluster.add_to(fmap)
    if bounds is not None:
        south, west, north, east = bounds
        fmap.fit_bounds([[south, west], [north, east]], padding=(24, 24), max_zoom=13)
    return _frame(fmap, cluster, origin_dot)


# A search's frame differs from another's only in its numbers (the origin, the radius, the
# bounds). folium builds each kind of frame once, around stand-in numbers no search uses, and
# each page gets that frame with its own numbers written over the stand-ins: folium (about
# 12 ms a map, branca compiling each element's output as a template) no longer runs for each
# new place or practitioner. Every stand-in has the same length and a different first digit,
# so none is part of another.
_STAND_INS = {
    "lat": 10.0123456789,
    "lon": 20.0123456789,
    "radius_m": 30.0123456789,
    "south": 40.0123456789,
    "west": 50.0123456789,
    "north": 60.0123456789,
    "east": 70.0123456789,
}
_STAND_IN = re.compile("|".join(re.escape(json.dumps(v)) for v in _STAND_INS.values()))
_BOUNDS = ("south", "west", "north", "east")


@functools.lru_cache(maxsize=64)
def _frame_kind(with_radius: bool, with_bounds: bool, tile_url: str, attribution: str) -> Frame:
    """The frame of every search with (or without) a radius and bounds, around stand-ins."""
    n = _STAND_INS
    bounds = tuple(n[name] for name in _BOUNDS) if with_bounds else None
    radius_m = n["radius_m"] if with_radius else None
    frame = _build_search_frame((n["lat"], n["lon"]), radius_m, bounds, tile_url, attribution)
    given = {n["lat"], n["lon"], *([radius_m] if radius_m else []), *(bounds or ())}
    found = set(_STAND_IN.findall(str(frame.script)))
    if found != {json.dumps(v) for v in given} or _STAND_IN.search(str(frame.html)):
        raise RuntimeError("folium's frame does not carry its numbers as given")
    return frame


def _search_frame(
    origin: tuple[float, float],
    radius_km: float | None,
    bounds: tuple[float, float, float, float] | None,
    tile_url: str,
    attribution: str,
) -> Frame:
    kind = _frame_kind(bool(radius_km), bounds is not None, tile_url, attribution)
    numbers = {"lat": origin[0], "lon": origin[1]}
    if radius_km:
        numbers["radius_m"] = radius_km * 1000
    if bounds is not None:
        numbers |= dict(zip(_BOUNDS, bounds, strict=True))
    written = {json.dumps(_STAND_INS[name]): json.dumps(float(v)) for name, v in numbers.items()}
    script = _STAND_IN.sub(lambda match: written[match.group(0)], str(kind.script))
    return replace(kind, script=Markup(script))


def build_map(
    origin: tuple[float, float],
    origin_label: str,
    radius_km: float | None,
    markers: list[MapMarker],
    tile_url: str,
    attribution: str,
) -> MapParts:
    """A map of the origin, the search radius and clustered practitioner markers."""
    origin = (float(origin[0]), float(origin[1]))
    # Frame the nearby results; options far away only when nothing is near.
    focus = [m for m in markers if m.kind == "nearby"] or markers
    points = [origin] + [(float(m.lat), float(m.lon)) for m in focus]
    bounds = None
    if len(points) > 1:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        bounds = (min(lats), min(lons), max(lats), max(lons))
    radius = float(radius_km) if radius_km else None
    frame = _search_frame(origin, radius, bounds, tile_url, attribution)
    return frame.parts(origin_label, [m.as_data() for m in markers])


LEVEL_COLOURS = {"none": "#c0392b", "few": "#e08e0b", "served": "#2d8a4e"}


@dataclass
class CountryMarker:
    """One country on the coverage map."""

    code: str
    name: str
    lat: float
    lon: float
    count: int
    level: str  # none | few | served
    lines: list[str]
    url: str

    def as_data(self) -> dict:
        colour = LEVEL_COLOURS[self.level]
        return {
            "name": self.name,
            "tooltip": f"{self.name}: {self.count}",
            "lat": float(self.lat),
            "lon": float(self.lon),
            "lines": [str(line) for line in self.lines],
            "url": self.url,
            "style": {
                "radius": 4 + min(self.count, 40) ** 0.5 * 2,
                "color": colour,
                "fillColor": colour,
                "fillOpacity": 0.75 if self.count else 0.35,
                "weight": 1,
                "dashed": False,
            },
        }


def build_coverage_map(countries: list[CountryMarker], tile_url: str, attribution: str) -> MapParts:
    """A world map with a dot per country, coloured by how well it is served."""
    return _world_frame(tile_url, attribution).parts(None, [c.as_data() for c in countries])


@functools.lru_cache(maxsize=16)
def _world_frame(tile_url: str, attribution: str) -> Frame:
    fmap = folium.Map(
        location=(20, 10), zoom_start=2, tiles=None, control_scale=True, world_copy_jump=True
    )
    _tiles(fmap, tile_url, attribution)
    group = folium.FeatureGroup(name="countries").add_to(fmap)
    return _frame(fmap, group, None)


def practitioner_map(practitioner, tile_url: str, attribution: str) -> MapParts | None:
    """A map of one practitioner's practice locations (None when they have none)."""
    if not practitioner.locations:
        return None
    first = practitioner.locations[0]
    colour = practitioner.techniques[0].color if practitioner.techniques else ""
    markers = [
        MapMarker(practitioner.name, loc.latitude, loc.longitude, colour, [loc.city], "")
        for loc in practitioner.locations
    ]
    return build_map(
        (first.latitude, first.longitude), first.city, None, markers, tile_url, attribution
    )
