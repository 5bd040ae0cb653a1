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


SLAB_DEGREES = 8.0  # slabs_around: a circle taller than this is cut into slabs this tall,
MAX_SLABS = 4  # ... into this many at most (each a SELECT, or two across ±180°),
SLABS_WORTH = 0.9  # ... and only when the slabs' area is at most 90% of the box's
# One country's rows (the nearest in a neighbouring country, a far one): thinner slabs. Its
# rows are a sliver of a wide circle's box, and most of those the box holds lie outside the
# circle (from Beijing, the nearest in Pakistan: 11,715 rows in 4 slabs, 42 of them inside
# the circle; 2,405 in 8 slabs of 4°, 142 in 16). Each slab is a SELECT, compiled once per
# worker and shape (a union of 16 costs 15-20 ms to compile, of 8 about 10): 8 at most.
COUNTRY_SLAB_DEGREES = 4.0
COUNTRY_MAX_SLABS = 8


def slabs_around(
    lat: float,
    lon: float,
    radius_km: float,
    slab_degrees: float = SLAB_DEGREES,
    most: int = MAX_SLABS,
) -> list[Box]:
    """Boxes that together contain every point within radius_km of (lat, lon), no two of
    which share a point: boxes_around's, but a circle taller than SLAB_DEGREES is cut into
    latitude slabs, each only as wide as the circle is within it, when that cuts the area
    read by a tenth (rows crowd where a box is widest: from central Greenland, a 2,500 km
    circle's box holds 68,000 of 1M rows, its slabs 13,000 on 80% of the area). A large
    circle's box, or
    one far from the equator, is much wider than the circle (from 60° N, a 3,700 km circle's
    box holds every longitude from 27° N to the pole). Slabs are `slab_degrees` tall, `most`
    of them at most (each cut in two at ±180°)."""
    boxes = boxes_around(lat, lon, radius_km)
    lat_min, lat_max = boxes[0].lat_min, boxes[0].lat_max
    slabs = min(math.ceil((lat_max - lat_min) / slab_degrees), most)
    angle = radius_km / EARTH_RADIUS_KM
    if slabs <= 1 or angle >= math.pi / 2:
        return boxes
    p0 = math.radians(lat)
    cos_d = math.cos(angle)

    def half_width(phi: float) -> float:
        """How far in longitude (degrees) the circle reaches at latitude phi."""
        p = math.radians(phi)
        across = math.cos(p) * math.cos(p0)
        if across <= 1e-12:
            return 180.0
        c = (cos_d - math.sin(p) * math.sin(p0)) / across
        return 180.0 if c <= -1 else 0.0 if c >= 1 else math.degrees(math.acos(c))

    # Where the circle is widest, unless it holds a pole (then it widens all the way).
    ratio = math.sin(p0) / cos_d
    widest = math.degrees(math.asin(ratio)) if abs(ratio) < 1 else None
    cuts = [lat_min + (lat_max - lat_min) * i / slabs for i in range(slabs)] + [lat_max]
    found: list[Box] = []
    for i in range(slabs):
        low, high = cuts[i], cuts[i + 1]
        if i:  # a row on a cut belongs to the slab below it only
            low = math.nextafter(low, math.inf)
        inside = [low, high] + ([widest] if widest is not None and low < widest < high else [])
        reach = max(half_width(phi) for phi in inside) + 1e-7
        if reach >= 180:
            found.append(Box(low, high, -180.0, 180.0))
        elif lon - reach < -180:
            found += [Box(low, high, lon - reach + 360, 180.0), Box(low, high, -180.0, lon + reach)]
        elif lon + reach > 180:
            found += [Box(low, high, lon - reach, 180.0), Box(low, high, -180.0, lon + reach - 360)]
        else:
            found.append(Box(low, high, lon - reach, lon + reach))
    # Each slab is a SELECT of its own: worth it only where they cut the area read down.
    return found if _area(found) < SLABS_WORTH * _area(boxes) else boxes


def _area(boxes: list[Box]) -> float:
    """The boxes' area on the unit sphere (steradians)."""
    return sum(
        (math.sin(math.radians(b.lat_max)) - math.sin(math.radians(b.lat_min)))
        * math.radians(b.lon_max - b.lon_min)
        for b in boxes
    )


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
