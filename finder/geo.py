"""Great-circle distances and latitude/longitude boxes that contain a circle on the sphere."""

from __future__ import annotations

import math
from typing import NamedTuple

from pyproj import Geod

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
HALF_CIRCUMFERENCE_KM = math.pi * EARTH_RADIUS_KM  # no two points are farther apart
KM_PER_MILE = 1.609344


class Box(NamedTuple):
    """A latitude/longitude rectangle in degrees that never crosses ±180°."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


# Karney's geodesic algorithm in PROJ's C (the one geopy's geodesic runs in pure Python,
# through geographiclib): 1.5 µs a distance instead of 95, the same to a few nanometres.
WGS84 = Geod(ellps="WGS84")


def geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in km on the WGS84 ellipsoid (what geopy's geodesic gives)."""
    return WGS84.inv(lon1, lat1, lon2, lat2)[2] / 1000


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    """The point on the unit sphere (x toward 0°N 0°E, z toward the North Pole); the squared
    straight line between two of them grows with the great-circle distance."""
    phi, lam = math.radians(lat), math.radians(lon)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def boxes_around(lat: float, lon: float, radius_km: float) -> list[Box]:
    """Boxes that together contain every point within radius_km of (lat, lon).

    The box is split in two where it crosses the ±180° meridian, and covers every
    longitude when the circle reaches a pole or is a quarter of the globe or more.
    """
    angle = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angle)
    lat_min, lat_max = lat - dlat, lat + dlat
    if lat_min <= -90 or lat_max >= 90 or angle >= math.pi / 2:
        return [Box(max(lat_min, -90.0), min(lat_max, 90.0), -180.0, 180.0)]
    ratio = math.sin(angle) / math.cos(math.radians(lat))
    if ratio >= 1:
        return [Box(lat_min, lat_max, -180.0, 180.0)]
    dlon = math.degrees(math.asin(ratio))
    lon_min, lon_max = lon - dlon, lon + dlon
    if lon_min < -180:
        return [Box(lat_min, lat_max, lon_min + 360, 180.0), Box(lat_min, lat_max, -180.0, lon_max)]
    if lon_max > 180:
        return [Box(lat_min, lat_max, lon_min, 180.0), Box(lat_min, lat_max, -180.0, lon_max - 360)]
    return [Box(lat_min, lat_max, lon_min, lon_max)]


class BandRange(NamedTuple):
    """The part of a circle in one latitude band (the rows whose floor(lat) is `band`): from
    lat_min to lat_max, lon_min to lon_max (never across ±180°)."""

    band: int
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float


def band_ranges(lat: float, lon: float, radius_km: float, hole_km: float = 0.0) -> list[BandRange]:
    """For each one-degree latitude band the radius_km circle around (lat, lon) reaches, the
    longitudes it spans within that band: together they hold every point of the circle, and
    no point twice (a row is read once). Split in two across ±180°; every longitude where
    the band holds a pole's surroundings or the circle is a hemisphere or more.

    With a hole (a scan for rows beyond hole_km, a circle read before), each band leaves out
    the longitudes that lie within the hole over the whole band, a hair short of its edge
    (HOLE_MARGIN): a ring around a city of thousands reads the ring, not the city again.

    An index ordered by (band, lon) reads each range in one seek, so a scan reads little more
    than the circle: a box around it is far wider where the circle is far from the equator
    or large (from Beijing, a 3,600 km circle's box holds 11,715 of Pakistan's rows, 42 of
    them inside the circle; its ranges 71)."""
    angle = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angle)
    lat_min, lat_max = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    p0 = math.radians(lat)

    def half_width(phi: float, cos_d: float) -> float:
        """How far in longitude (degrees) a circle of angular radius acos(cos_d) reaches at
        latitude phi (0 beyond its latitudes)."""
        p = math.radians(phi)
        across = math.cos(p) * math.cos(p0)
        if across <= 1e-12:
            return 180.0
        c = (cos_d - math.sin(p) * math.sin(p0)) / across
        return 180.0 if c <= -1 else 0.0 if c >= 1 else math.degrees(math.acos(c))

    # Where the circle is widest, unless it holds a pole (then it widens all the way); a
    # hemisphere or more reaches every longitude of every band.
    cos_d = math.cos(angle)
    whole = angle >= math.pi / 2
    ratio = 1.0 if whole else math.sin(p0) / cos_d
    widest = math.degrees(math.asin(ratio)) if abs(ratio) < 1 else None
    first, last = math.floor(lat_min), math.floor(lat_max)
    # The bands' edges, each band from one to the next; the circle's half-width at each edge
    # is measured once (it bounds the band below and the band above).
    edges = [lat_min, *map(float, range(first + 1, last + 1)), lat_max]
    widths = [180.0] * len(edges) if whole else [half_width(phi, cos_d) for phi in edges]
    # The hole's half-width at each edge: over a band it is least at one of its edges (a
    # circle widens towards one latitude and narrows away from it).
    inner_km = hole_km * (1 - HOLE_MARGIN) - HOLE_MARGIN_KM
    holes = None
    if 0 < inner_km < HALF_CIRCUMFERENCE_KM / 2:
        cos_hole = math.cos(inner_km / EARTH_RADIUS_KM)
        reach_hole = math.degrees(inner_km / EARTH_RADIUS_KM)  # none of it beyond these
        holes = [half_width(phi, cos_hole) if abs(phi - lat) < reach_hole else 0.0 for phi in edges]
    at_widest = None
    found: list[BandRange] = []
    for i, band in enumerate(range(first, last + 1)):
        low, high = edges[i], edges[i + 1]
        # A margin for rounding: 1e-7 degrees of longitude at the equator (1 cm), as many
        # centimetres nearer the poles, where a degree of longitude is shorter.
        margin = 1e-7 / max(math.cos(math.radians(max(abs(low), abs(high)))), 1e-9)
        if whole:
            reach = 180.0
        else:
            reach = max(widths[i], widths[i + 1])
            if widest is not None and low < widest < high:
                if at_widest is None:
                    at_widest = half_width(widest, cos_d)
                reach = max(reach, at_widest)
            reach += margin
        core = min(holes[i], holes[i + 1]) - margin if holes else 0.0
        if core > 0:  # the hole spans the band's middle: its two sides, east and west
            if core >= min(reach, 180.0):
                continue  # the hole is as wide as the circle here (or holds the whole band)
            if reach >= 180:  # around the globe from one side of the hole to the other
                found += _wrapped(band, low, high, lon + core, lon - core + 360)
            else:
                found += _wrapped(band, low, high, lon - reach, lon - core)
                found += _wrapped(band, low, high, lon + core, lon + reach)
        elif reach >= 180:
            found.append(BandRange(band, low, high, -180.0, 180.0))
        elif lon - reach < -180:
            found += [
                BandRange(band, low, high, lon - reach + 360, 180.0),
                BandRange(band, low, high, -180.0, lon + reach),
            ]
        elif lon + reach > 180:
            found += [
                BandRange(band, low, high, lon - reach, 180.0),
                BandRange(band, low, high, -180.0, lon + reach - 360),
            ]
        else:
            found.append(BandRange(band, low, high, lon - reach, lon + reach))
    return found


# How far inside its edge a hole begins for band_ranges: a scan's SQL keeps the rows beyond
# a hair inside the hole (nearest._inner_bound: 1e-9 of it), so the ranges never leave out
# a row it keeps.
HOLE_MARGIN = 1e-6
HOLE_MARGIN_KM = 1e-3


def _wrapped(band: int, low: float, high: float, west: float, east: float) -> list[BandRange]:
    """The longitudes from west to east (less than a full turn, either end maybe past ±180°)
    as ranges that do not cross ±180°."""
    if west < -180:
        west, east = west + 360, east + 360
    elif west >= 180:
        west, east = west - 360, east - 360
    if east <= 180:
        return [BandRange(band, low, high, west, east)]
    return [BandRange(band, low, high, west, 180.0), BandRange(band, low, high, -180.0, east - 360)]


def to_km(value: float, unit: str) -> float:
    """A distance in `unit` ("km" or "mi") as km."""
    return value * KM_PER_MILE if unit == "mi" else value


def from_km(value_km: float, unit: str) -> float:
    """A distance in km as `unit` ("km" or "mi")."""
    return value_km / KM_PER_MILE if unit == "mi" else value_km


def spherical_mean(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The centre of points on the sphere (correct across ±180°), in degrees."""
    x = y = z = 0.0
    for lat, lon in points:
        phi, lam = math.radians(lat), math.radians(lon)
        x += math.cos(phi) * math.cos(lam)
        y += math.cos(phi) * math.sin(lam)
        z += math.sin(phi)
    return (
        math.degrees(math.atan2(z, math.hypot(x, y))),
        math.degrees(math.atan2(y, x)),
    )
