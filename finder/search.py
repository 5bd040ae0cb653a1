"""Origin + filters -> the nearest approved practitioners, exact, over the SearchPoint index.

No Flask here: every function takes a SQLAlchemy session. Searches read the SearchPoint
table, which holds approved listings only, through its (technique, lat, lon) index: a
latitude/longitude box around the origin (split at ±180°, all longitudes near the poles)
narrows the rows, exact great-circle distances rank them, and the box grows from the hits
found until the k nearest practitioners are certain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from .geo import HALF_CIRCUMFERENCE_KM, boxes_around, haversine_km
from .models import ANY_TECHNIQUE, Practitioner, PractitionerLanguage, SearchPoint

FIRST_RADIUS_KM = 2.0
UNDERSERVED_BELOW = 3  # fewer nearby matches than this and the search is underserved
DEFAULT_RADIUS_KM = 100.0
MAX_RADIUS_KM = 20000.0


@dataclass(frozen=True)
class Filters:
    """What the patient asked for; None means 'any'."""

    techniques: tuple[str, ...] = ()
    country: str | None = None
    language: str | None = None
    telehealth: bool | None = None
    home_visits: bool | None = None
    gentle: bool | None = None


@dataclass(frozen=True)
class Hit:
    """A practitioner's nearest matching location and its distance from the origin."""

    practitioner_id: int
    location_id: int
    lat: float
    lon: float
    distance_km: float


def _points_query(filters: Filters, box_count: int):
    """The SELECT of index rows inside `box_count` boxes that match the filters."""
    sp = SearchPoint.__table__
    conditions = [sp.c.technique.in_(bindparam("techniques", expanding=True))]
    conditions.append(
        or_(
            *(
                and_(
                    sp.c.lat.between(bindparam(f"lat_min{i}"), bindparam(f"lat_max{i}")),
                    sp.c.lon.between(bindparam(f"lon_min{i}"), bindparam(f"lon_max{i}")),
                )
                for i in range(box_count)
            )
        )
    )
    if filters.country:
        conditions.append(sp.c.country == bindparam("country"))
    if filters.language:
        lang = PractitionerLanguage.__table__
        conditions.append(
            exists().where(
                lang.c.practitioner_id == sp.c.practitioner_id, lang.c.code == bindparam("language")
            )
        )
    query = select(sp.c.practitioner_id, sp.c.location_id, sp.c.lat, sp.c.lon)
    flags = {
        "telehealth": filters.telehealth,
        "home_visits": filters.home_visits,
        "gentle_only": filters.gentle,
    }
    wanted = {name: value for name, value in flags.items() if value is not None}
    if wanted:
        pr = Practitioner.__table__
        query = query.join(pr, pr.c.id == sp.c.practitioner_id)
        conditions.extend(pr.c[name] == value for name, value in wanted.items())
    return query.where(*conditions)


def _scan(session: Session, lat: float, lon: float, filters: Filters, radius_km: float) -> dict:
    """Every matching practitioner within radius_km: practitioner id -> nearest Hit."""
    boxes = boxes_around(lat, lon, radius_km)
    params: dict = {"techniques": list(filters.techniques or (ANY_TECHNIQUE,))}
    for i, box in enumerate(boxes):
        params.update(
            {
                f"lat_min{i}": box.lat_min,
                f"lat_max{i}": box.lat_max,
                f"lon_min{i}": box.lon_min,
                f"lon_max{i}": box.lon_max,
            }
        )
    if filters.country:
        params["country"] = filters.country
    if filters.language:
        params["language"] = filters.language
    best: dict[int, Hit] = {}
    for pid, loc_id, plat, plon in session.execute(_points_query(filters, len(boxes)), params):
        distance = haversine_km(lat, lon, plat, plon)
        if distance <= radius_km:
            known = best.get(pid)
            if known is None or (distance, loc_id) < (known.distance_km, known.location_id):
                best[pid] = Hit(pid, loc_id, plat, plon, distance)
    return best


def _ranked(hits) -> list[Hit]:
    return sorted(hits, key=lambda h: (h.distance_km, h.practitioner_id))


def nearest(
    session: Session,
    lat: float,
    lon: float,
    filters: Filters = Filters(),
    k: int = 20,
    radius_km: float | None = None,
) -> list[Hit]:
    """The k practitioners nearest to (lat, lon), nearest first, within radius_km if given.

    Exact: all practitioners within the scanned radius are seen, and the radius only stops
    growing once k of them are found (or the whole radius, or the globe, is covered).
    """
    limit = min(radius_km if radius_km is not None else HALF_CIRCUMFERENCE_KM, HALF_CIRCUMFERENCE_KM)
    r = min(FIRST_RADIUS_KM, limit)
    while True:
        found = _scan(session, lat, lon, filters, r)
        if len(found) >= k or r >= limit:
            return _ranked(found.values())[:k]
        if found:
            growth = min(4.0, max(1.5, 1.25 * math.sqrt(k / len(found))))
        else:
            growth = 4.0
        r = min(r * growth, limit)


def within(
    session: Session, lat: float, lon: float, filters: Filters, radius_km: float
) -> list[Hit]:
    """Every matching practitioner within radius_km, nearest first (one entry each)."""
    return _ranked(_scan(session, lat, lon, filters, min(radius_km, HALF_CIRCUMFERENCE_KM)).values())


@dataclass
class SearchResult:
    """The answer to a search: nearby page, totals, and the other option lists."""

    nearby: list[Hit]
    total: int
    radius_km: float
    underserved: bool
    travel_worthy: list[Hit]
    remote: list[Hit]


def search(
    session: Session,
    lat: float,
    lon: float,
    filters: Filters = Filters(),
    radius_km: float = DEFAULT_RADIUS_KM,
    page: int = 1,
    per_page: int = 20,
) -> SearchResult:
    """Nearby matches within the radius (one page of them) and whether the place is underserved."""
    everything = within(session, lat, lon, filters, radius_km)
    start = (page - 1) * per_page
    return SearchResult(
        nearby=everything[start : start + per_page],
        total=len(everything),
        radius_km=radius_km,
        underserved=len(everything) < UNDERSERVED_BELOW,
        travel_worthy=[],
        remote=[],
    )
