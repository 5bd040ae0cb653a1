"""GET /api/v1/search and friends: the contract of DESIGN.md, errors as JSON."""

from flask import abort, current_app, jsonify, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import cached
from ..errors import error_response
from ..extensions import db
from ..geocode import AmbiguousPlace, GeocodeError, settings_from_config
from ..i18n import browser_region
from ..models import ANY_TECHNIQUE, Practitioner, SearchPoint
from ..search import run_search
from ..search_params import BadParameter, parse_search_args
from ..templating import say_reason
from . import bp
from .openapi import build_document
from .shapes import country_json, practitioner_json


def geocoder_settings() -> dict:
    """How this application geocodes text (offline by default)."""
    return settings_from_config(current_app.config)


def technique_slugs() -> set[str]:
    return set(cached.techniques())


def ordered_technique_slugs() -> list[str]:
    """Technique slugs in display order."""
    return list(cached.techniques())


def searched(search_request, language: str | None):
    """Run a checked search for this request (geocoded with the browser's region as a hint
    for bare postal codes), with this worker's cache of what searches found."""
    geocoder = {**geocoder_settings(), "region_hint": browser_region()}
    return run_search(
        db.session, search_request, geocoder, language, cached.found_cache(), cached.version()
    )


def practitioner_url(practitioner_id: int) -> str:
    """The practitioner's public page, as an absolute URL."""
    return url_for("public.practitioner", practitioner_id=practitioner_id, _external=True)


def request_language() -> str | None:
    """The client's preferred language from Accept-Language, for remote options."""
    best = request.accept_languages.best
    return best.split("-")[0].lower() if best and best != "*" else None


def place_json(place) -> dict:
    return {"lat": place.lat, "lon": place.lon, "label": place.label, "country": place.country}


@bp.get("/search")
def search():
    """Nearest approved practitioners to a place, with the contract's JSON shape."""
    return cached.answer(search_answer)


@bp.get("/search.geojson")
def search_geojson():
    """The same search as a GeoJSON FeatureCollection (RFC 7946): a Point feature per result
    and option, its group (nearby, travel_worthy, remote) among its properties."""
    return cached.answer(lambda: search_answer(geojson=True))


GEOJSON = "application/geo+json"
RESULT_GROUPS = ("nearby", "travel_worthy", "remote")


def feature_collection(body: dict) -> dict:
    """A search answer (the contract's JSON) as GeoJSON: what is not a result stays beside
    the features, as RFC 7946 allows."""
    features = [
        {
            "type": "Feature",
            "id": entry["id"],
            "geometry": {"type": "Point", "coordinates": [entry["lon"], entry["lat"]]},
            "properties": {"group": group}
            | {k: v for k, v in entry.items() if k not in ("lat", "lon")},
        }
        for group in RESULT_GROUPS
        for entry in body[group]
    ]
    rest = {k: v for k, v in body.items() if k not in RESULT_GROUPS}
    return {"type": "FeatureCollection", "features": features} | rest


def search_answer(geojson: bool = False):
    """The search's JSON (or GeoJSON) answer, or the error's (see search())."""
    try:
        search_request = parse_search_args(request.args, technique_slugs(), strict=True)
    except BadParameter as error:
        return error_response(400, "bad_parameter", error.message, error.field)
    try:
        outcome = searched(search_request, request_language())
    except AmbiguousPlace as error:
        candidates = [place_json(c) for c in error.candidates]
        return error_response(
            422, "ambiguous_place", error.message, "location", candidates=candidates
        )
    except GeocodeError as error:
        return error_response(422, "unknown_place", error.message, "location", candidates=[])
    result = outcome.result

    def link(pid):
        return url_for("public.practitioner", practitioner_id=pid, _external=True)

    body = {
        "origin": place_json(outcome.origin),
        "radius_km": result.radius_km,
        "underserved": result.underserved,
        "nearby": outcome.entries(result.nearby, link),
        "travel_worthy": outcome.entries(result.travel_worthy, link, say_reason),
        "remote": outcome.entries(result.remote, link, say_reason),
        "page": search_request.page,
        "per_page": search_request.per_page,
        "total": result.total,
    }
    response = jsonify(feature_collection(body) if geojson else body)
    if geojson:
        response.mimetype = GEOJSON
    response.vary.add("Accept-Language")  # remote options and reasons follow the language
    return response


@bp.get("/techniques")
def techniques():
    """Every technique the directory knows, in display order."""
    rows = cached.techniques().values()
    return jsonify(
        {
            "techniques": [
                {"slug": t.slug, "name": t.name, "description": t.description} for t in rows
            ]
        }
    )


@bp.get("/practitioners/<int:practitioner_id>")
def practitioner(practitioner_id: int):
    """One approved practitioner with everything the public page shows; 404 otherwise."""
    item = db.session.scalar(
        select(Practitioner)
        .where(Practitioner.id == practitioner_id, Practitioner.listed)
        .options(
            selectinload(Practitioner.techniques),
            selectinload(Practitioner.language_rows),
            selectinload(Practitioner.pattern_rows),
            selectinload(Practitioner.locations),
        )
    )
    if item is None or not item.locations:  # a listing without a place is not in the directory
        abort(404, description="No approved practitioner has this id.")
    return jsonify(practitioner_json(item, practitioner_url(item.id)))


def listed_practitioner_count() -> int:
    """Approved practitioners with at least one location, each counted once."""
    return db.session.scalar(
        select(func.count(func.distinct(SearchPoint.practitioner_id))).where(
            SearchPoint.technique == ANY_TECHNIQUE
        )
    )


@bp.get("/countries")
def countries():
    """Approved practitioners per country and technique, for countries that have any."""
    slugs = ordered_technique_slugs()
    counts = cached.coverage()
    rows = [
        country_json(code, counts[code], slugs)
        for code in sorted(counts)
        if counts[code].get(ANY_TECHNIQUE, 0) > 0
    ]
    return jsonify({"countries": rows, "total": listed_practitioner_count()})


def current_document() -> dict:
    """The OpenAPI document for this site and database (its technique slugs)."""
    return build_document(ordered_technique_slugs())


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of the API (also at /openapi.json)."""
    return jsonify(current_document())
