"""Search results -> a folium map (element and script) that runs on local Leaflet files.

folium does not escape popup or tooltip text, and it places that text inside JavaScript
template literals; `map_text` escapes for both contexts so that names from submissions
stay text, whatever characters they hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
from folium.plugins import MarkerCluster
from markupsafe import Markup, escape

# Characters that mean something in a JavaScript template literal, as HTML entities: the
# browser shows them as text, and the literal never sees a backtick, "${" or a backslash.
_JS_LITERAL_ENTITIES = {"`": "&#96;", "$": "&#36;", "\\": "&#92;"}


def map_text(text: str) -> str:
    """Text made safe for folium's popups and tooltips: HTML-escaped, then JS-literal-safe."""
    escaped = str(escape(text))
    for char, entity in _JS_LITERAL_ENTITIES.items():
        escaped = escaped.replace(char, entity)
    return escaped


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


@dataclass
class MapParts:
    """The rendered map's element and script, for a Jinja template.

    folium's own header is not used: it pulls Leaflet from CDNs and sets page-wide styles.
    The page links the local copies instead (templates/_map_assets.html).
    """

    html: Markup
    script: Markup
    name: str
    cluster_name: str


def _popup(marker: MapMarker) -> folium.Popup:
    lines = "".join(f"<div>{map_text(line)}</div>" for line in marker.lines)
    html = (
        f'<div class="map-popup"><a href="{map_text(marker.url)}"><strong>'
        f"{map_text(marker.name)}</strong></a>{lines}</div>"
    )
    return folium.Popup(html, max_width=280)


def build_map(
    origin: tuple[float, float],
    origin_label: str,
    radius_km: float | None,
    markers: list[MapMarker],
    tile_url: str,
    attribution: str,
) -> MapParts:
    """A map of the origin, the search radius and clustered practitioner markers."""
    fmap = folium.Map(
        location=origin, zoom_start=9, tiles=None, control_scale=True, prefer_canvas=False
    )
    folium.TileLayer(tiles=tile_url, attr=attribution, name="map").add_to(fmap)
    folium.CircleMarker(
        origin,
        radius=8,
        color="#1b1b1b",
        weight=3,
        fill=True,
        fill_color="#ffffff",
        fill_opacity=1,
        tooltip=folium.Tooltip(map_text(f"You searched: {origin_label}")),
    ).add_to(fmap)
    if radius_km:
        folium.Circle(
            origin, radius=radius_km * 1000, color="#2a6f97", weight=1, fill=False
        ).add_to(fmap)
    cluster = MarkerCluster(name="practitioners", options={"maxClusterRadius": 40})
    cluster.add_to(fmap)
    for marker in markers:
        folium.CircleMarker(
            (marker.lat, marker.lon),
            radius=9 if marker.kind == "nearby" else 7,
            color="#ffffff" if marker.kind == "nearby" else marker.color,
            weight=2,
            dash_array=None if marker.kind == "nearby" else "3",
            fill=True,
            fill_color=marker.color,
            fill_opacity=0.9 if marker.kind == "nearby" else 0.5,
            popup=_popup(marker),
            tooltip=folium.Tooltip(map_text(marker.name)),
        ).add_to(cluster)
    # Frame the nearby results; options far away only when nothing is near.
    focus = [m for m in markers if m.kind == "nearby"] or markers
    points = [origin] + [(m.lat, m.lon) for m in focus]
    if len(points) > 1:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        fmap.fit_bounds(
            [[min(lats), min(lons)], [max(lats), max(lons)]], padding=(24, 24), max_zoom=13
        )
    root = fmap.get_root()
    root.render()
    return MapParts(
        html=Markup(root.html.render()),
        script=Markup(root.script.render()),
        name=fmap.get_name(),
        cluster_name=cluster.get_name(),
    )


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


def build_coverage_map(countries: list[CountryMarker], tile_url: str, attribution: str) -> MapParts:
    """A world map with a dot per country, coloured by how well it is served."""
    fmap = folium.Map(
        location=(20, 10), zoom_start=2, tiles=None, control_scale=True, world_copy_jump=True
    )
    folium.TileLayer(tiles=tile_url, attr=attribution, name="map").add_to(fmap)
    group = folium.FeatureGroup(name="countries").add_to(fmap)
    for c in countries:
        lines = "".join(f"<div>{map_text(line)}</div>" for line in c.lines)
        html = (
            f'<div class="map-popup"><a href="{map_text(c.url)}"><strong>{map_text(c.name)}'
            f"</strong></a>{lines}</div>"
        )
        folium.CircleMarker(
            (c.lat, c.lon),
            radius=4 + min(c.count, 40) ** 0.5 * 2,
            color=LEVEL_COLOURS[c.level],
            weight=1,
            fill=True,
            fill_color=LEVEL_COLOURS[c.level],
            fill_opacity=0.75 if c.count else 0.35,
            popup=folium.Popup(html, max_width=260),
            tooltip=folium.Tooltip(map_text(f"{c.name}: {c.count}")),
        ).add_to(group)
    root = fmap.get_root()
    root.render()
    return MapParts(
        html=Markup(root.html.render()),
        script=Markup(root.script.render()),
        name=fmap.get_name(),
        cluster_name=group.get_name(),
    )
