"""Great-circle distances and latitude/longitude boxes that contain a circle on the sphere."""

from __future__ import annotations

import math
from typing import NamedTuple

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
