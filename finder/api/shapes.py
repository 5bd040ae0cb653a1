"""JSON shapes of the API that are not search results: a practitioner, a country's coverage."""

from __future__ import annotations

import datetime as dt

from .. import details
from ..gazetteer import country_name
from ..models import ANY_TECHNIQUE, PracticeLocation, Practitioner
from ..search import overdue


def optional(value: str | None) -> str | None:
    """Empty text is absent: null in JSON."""
    return value or None


def location_json(location: PracticeLocation) -> dict:
    """One practice location."""
    return {
        "address": optional(location.address),
        "city": location.city,
        "region": optional(location.region),
        "postal_code": optional(location.postal_code),
        "country": location.country,
        "lat": location.latitude,
        "lon": location.longitude,
    }


def practitioner_json(p: Practitioner, url: str) -> dict:
    """An approved practitioner: the result fields (from the first location) and the rest of
    what the public page shows. Never anything from the submission or the vetting notes."""
    first = p.locations[0]
    return {
        "id": p.id,
        "name": p.name,
        "techniques": p.technique_slugs,
        "city": first.city,
        "country": first.country,
        "lat": first.latitude,
        "lon": first.longitude,
        "distance_km": None,
        "languages": p.languages,
        "telehealth": p.telehealth,
        "vetted_on": p.last_vetted_at.date().isoformat() if p.last_vetted_at else None,
        "url": url,
        "credentials": optional(p.credentials),
        "clinic": optional(p.clinic),
        "patterns": p.patterns,
        "teaches_self_correction": p.teaches_self_correction,
        "gentle_only": p.gentle_only,
        "home_visits": p.home_visits,
        "accepts_international": p.accepts_international,
        "website": optional(p.website),
        "phone": optional(p.phone),
        "email": optional(p.email),
        "registry_name": optional(p.registry_name),
        "registry_number": optional(p.registry_number),
        "registry_url": optional(p.registry_url),
        "npi": optional(p.npi),
        "locations": [location_json(loc) for loc in p.locations],
        "last_vetted": p.last_vetted_at.date().isoformat() if p.last_vetted_at else None,
        "vetting_checks": p.vetting_checks,
        "revet_overdue": overdue(p, dt.date.today()),
        "demo": p.demo,
    } | details.api_json(p)


def country_json(code: str, counts: dict[str, int], technique_slugs: list[str]) -> dict:
    """One country's approved practitioners, in all and per technique (0 when none)."""
    return {
        "country": code,
        "name": country_name(code),
        "total": counts.get(ANY_TECHNIQUE, 0),
        "techniques": {slug: counts.get(slug, 0) for slug in technique_slugs},
    }
