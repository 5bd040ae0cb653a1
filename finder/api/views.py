"""GET /api/v1/search and friends: the contract of DESIGN.md, errors as JSON."""

from flask import current_app, jsonify, request, url_for
from sqlalchemy import select

from ..errors import error_response
from ..extensions import db
from ..geocode import AmbiguousPlace, GeocodeError, settings_from_config
from ..models import Technique
from ..params import BadParameter, parse_search_args
from ..results import run_search
from ..templating import say_reason
from . import bp


def geocoder_settings() -> dict:
    """How this application geocodes text (offline by default)."""
    return settings_from_config(current_app.config)


def technique_slugs() -> set[str]:
    return set(db.session.scalars(select(Technique.slug)))


def request_language() -> str | None:
    """The client's preferred language from Accept-Language, for remote options."""
    best = request.accept_languages.best
    return best.split("-")[0].lower() if best and best != "*" else None


def place_json(place) -> dict:
    return {"lat": place.lat, "lon": place.lon, "label": place.label, "country": place.country}


@bp.get("/search")
def search():
    """Nearest approved practitioners to a place, with the contract's JSON shape."""
    try:
        search_request = parse_search_args(request.args, technique_slugs())
    except BadParameter as error:
        return error_response(400, "bad_parameter", error.message, error.field)
    try:
        outcome = run_search(db.session, search_request, geocoder_settings(), request_language())
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

    return jsonify(
        {
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
    )


@bp.get("/techniques")
def techniques():
    """Every technique the directory knows, in display order."""
    rows = db.session.scalars(select(Technique).order_by(Technique.position))
    return jsonify(
        {
            "techniques": [
                {"slug": t.slug, "name": t.name, "description": t.description} for t in rows
            ]
        }
    )
