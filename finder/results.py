"""A checked search request -> origin, hits and the practitioners behind them (no Flask)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from geopy.distance import geodesic
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .geo import haversine_km
from .geocode import Place, country_at, geocode, largest_city
from .models import Practitioner
from .params import SearchRequest
from .reasons import describe
from .search import Hit, Option, Origin, SearchResult, search


@dataclass
class Outcome:
    """What a search found, ready for a page or the API."""

    request: SearchRequest
    origin: Place
    result: SearchResult
    practitioners: dict[int, Practitioner]
    centre: str | None = None  # the city a whole-country search measures from

    @property
    def whole_country(self) -> bool:
        """Whether the place searched was a whole country (every listing in it is nearby)."""
        return self.centre is not None

    def entries(
        self, items: list[Hit] | list[Option], url_for_id: Callable[[int], str], say=describe
    ) -> list[dict]:
        """The contract's result objects for hits or options of this search."""
        return entries_for(self.origin, items, self.practitioners, url_for_id, say)


def entries_for(
    origin: Place, items, practitioners: dict[int, Practitioner], url_for_id, say=describe
) -> list[dict]:
    """Result objects with geodesic distances, plus reason and travel for options.

    `say(reason, trip)` words the reason (English by default; pages pass their language)."""
    entries = []
    for item in items:
        hit = item.hit if isinstance(item, Option) else item
        entry = result_entry(origin, hit, practitioners[hit.practitioner_id], url_for_id)
        if isinstance(item, Option):
            entry["reason"] = say(item.reason, item.trip)
            entry["travel"] = item.trip.as_json()
        entries.append(entry)
    return entries


def origin_of(session: Session, request: SearchRequest, geocoder: dict) -> Place:
    """The search's starting point: given coordinates, or the geocoded location text."""
    if request.lat is not None:
        label = request.location or f"{request.lat:.4f}, {request.lon:.4f}"
        country = country_at(request.lat, request.lon, **geocoder)
        return Place(lat=request.lat, lon=request.lon, label=label, country=country, kind="point")
    # The country filter says which country a bare postal code is in ("10115" with DE: Berlin).
    return geocode(session, request.location, country_hint=request.filters.country, **geocoder)


def run_search(
    session: Session, request: SearchRequest, geocoder: dict, language: str | None = None
) -> Outcome:
    """Geocode, search and load the practitioners of every hit in one query.

    `language` is the page's language: remote options prefer practitioners who speak it.
    A country as the place means the whole country, measured from its largest city.
    """
    origin = origin_of(session, request, geocoder)
    centre = None
    if origin.kind == "country" and origin.country:
        found = largest_city(origin.country, **geocoder)
        if found is not None:
            origin = replace(origin, lat=found.lat, lon=found.lon)
            # With a country filter elsewhere it is searched around that point as usual.
            if request.filters.country in (None, origin.country):
                centre = found.name
    result = search(
        session,
        Origin(origin.lat, origin.lon, origin.country, language),
        request.filters,
        radius_km=request.radius_km,
        page=request.page,
        per_page=request.per_page,
        whole_country=centre is not None,
    )
    ids = {h.practitioner_id for h in result.nearby + result.whole_country}
    ids |= {o.hit.practitioner_id for o in result.travel_worthy + result.remote}
    practitioners = {
        p.id: p
        for p in session.scalars(
            select(Practitioner)
            .where(Practitioner.id.in_(ids), Practitioner.status == "approved")
            .options(
                selectinload(Practitioner.techniques),
                selectinload(Practitioner.language_rows),
                selectinload(Practitioner.locations),
            )
        )
    }
    return Outcome(request, origin, result, practitioners, centre)


def result_entry(origin: Place, hit: Hit, practitioner: Practitioner, url_for_id) -> dict:
    """One result as the API contract shapes it."""
    location = next(loc for loc in practitioner.locations if loc.id == hit.location_id)
    distance = geodesic((origin.lat, origin.lon), (hit.lat, hit.lon)).km
    return {
        "id": practitioner.id,
        "name": practitioner.name,
        "techniques": practitioner.technique_slugs,
        "city": location.city,
        "country": location.country,
        "lat": hit.lat,
        "lon": hit.lon,
        "distance_km": round(distance, 2),
        "languages": practitioner.languages,
        "telehealth": practitioner.telehealth,
        "home_visits": practitioner.home_visits,
        "gentle_only": practitioner.gentle_only,
        "vetted_on": practitioner.last_vetted_at.date().isoformat()
        if practitioner.last_vetted_at
        else None,
        "phone": practitioner.phone or None,
        "email": practitioner.email or None,
        "website": practitioner.website or None,
        "url": url_for_id(practitioner.id),
    }


def nearest_distance_km(practitioner: Practitioner, lat: float, lon: float) -> float | None:
    """How far the practitioner's nearest practice location is from a point."""
    distances = [
        haversine_km(lat, lon, loc.latitude, loc.longitude) for loc in practitioner.locations
    ]
    return min(distances) if distances else None
