"""Standard read-only interfaces: HSDS 3.0 services (JSON) and FHIR R4 Location search."""

from __future__ import annotations

import math

from flask import Blueprint, Response, jsonify, request

from . import exports
from .errors import error_response
from .extensions import db
from .geo import KM_PER_MILE
from .search import DEFAULT_RADIUS_KM, MAX_RADIUS_KM

bp = Blueprint("interop", __name__)

FHIR_JSON = "application/fhir+json"
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
DEFAULT_COUNT = 20
MAX_COUNT = 100
KM_PER_UNIT = {"km": 1.0, "m": 0.001, "[mi_i]": KM_PER_MILE}  # UCUM codes


class BadRequest(ValueError):
    """A query parameter that cannot be used; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def whole_number(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high], or BadRequest (never clamped)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not low <= int(raw) <= high:
        raise BadRequest(name, f"{name} must be a whole number from {low} to {high}.")
    return int(raw)


# --- HSDS 3.0 --------------------------------------------------------------------------


@bp.get("/api/v1/hsds/services")
def hsds_services():
    """A page of approved services in the HSDS 3.0 Page shape (`page`, `per_page`)."""
    try:
        page = whole_number("page", 1, 1, MAX_PAGE)
        per_page = whole_number("per_page", 20, 1, MAX_PER_PAGE)
    except BadRequest as error:
        return error_response(400, "bad_parameter", error.message, error.field)
    return jsonify(exports.hsds_service_page(db.session, page, per_page))


@bp.get("/api/v1/hsds/services/<service_id>")
def hsds_service(service_id: str):
    """One approved service, fully nested as the HSDS 3.0 compiled service schema has it."""
    practitioner = exports.find_approved_service(db.session, service_id)
    if practitioner is None:
        return error_response(404, "not_found", "No approved service has this id.", "id")
    return jsonify(exports.hsds_service(practitioner))


# --- FHIR R4 ---------------------------------------------------------------------------


def fhir_response(resource, status: int = 200) -> Response:
    """A FHIR resource as application/fhir+json."""
    return Response(resource.model_dump_json(), status=status, mimetype=FHIR_JSON)


def fhir_error(status: int, code: str, message: str) -> Response:
    """An OperationOutcome with one error issue."""
    return fhir_response(exports.operation_outcome(code, message), status)


def _finite(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadRequest("near", f"near: {what} “{text}” is not a number.") from None
    if not math.isfinite(value):
        raise BadRequest("near", f"near: {what} must be a finite number.")
    return value


def parse_near(text: str) -> tuple[float, float, float]:
    """latitude|longitude[|distance[|units]] -> (lat, lon, radius in km), or BadRequest.

    Units are UCUM codes: km (the default), m or [mi_i]; without a distance, 100 km."""
    parts = [part.strip() for part in text.split("|")]
    if not 2 <= len(parts) <= 4:
        raise BadRequest("near", "near must be latitude|longitude|distance|units.")
    lat = _finite(parts[0], "latitude")
    lon = _finite(parts[1], "longitude")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest("near", "near: latitude must be -90..90 and longitude -180..180.")
    if len(parts) < 3 or not parts[2]:
        return lat, lon, DEFAULT_RADIUS_KM
    unit = parts[3] if len(parts) == 4 and parts[3] else "km"
    if unit not in KM_PER_UNIT:
        raise BadRequest("near", f"near: units must be one of {', '.join(KM_PER_UNIT)}.")
    radius_km = _finite(parts[2], "distance") * KM_PER_UNIT[unit]
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise BadRequest(
            "near", f"near: distance must be above 0 and at most {MAX_RADIUS_KM:g} km."
        )
    return lat, lon, radius_km


@bp.get("/fhir/Location")
def fhir_location_search():
    """Approved practice locations near a point, nearest first, as a FHIR searchset Bundle."""
    near = request.args.get("near", "").strip()
    if not near:
        return fhir_error(400, "required", "near (latitude|longitude|distance|units) is required.")
    try:
        lat, lon, radius_km = parse_near(near)
        count = whole_number("_count", DEFAULT_COUNT, 1, MAX_COUNT)
    except BadRequest as error:
        return fhir_error(400, "invalid", error.message)
    total, nearby = exports.locations_within(db.session, lat, lon, radius_km, count)
    return fhir_response(exports.location_searchset(total, nearby, request.url))
