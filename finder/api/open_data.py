"""Open data routes: HSDS 3.0 services (JSON) and FHIR R4 Location search, read-only.

The shapes come from finder.open_data (pure mappers); the queries are here, the nearest
locations from the index search (finder.nearest)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_limiter import RateLimitExceeded
from sqlalchemy import (
    Integer,
    cast,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, selectinload

from .. import open_data as shapes
from ..details import DIAGNOSTICS
from ..errors import error_response
from ..extensions import db
from ..geo import KM_PER_MILE
from ..listings import data_version
from ..models import (
    PracticeLocation,
    Practitioner,
    Technique,
    record_id,
    record_sources,
    stable_id,
)
from ..nearest import MAX_RADIUS_KM
from ..validation import HIDDEN_CLASS, control_character
from . import openapi as oas
from .http import finish_read, rate_limited, too_many_requests

bp = Blueprint("open_data", __name__)
# Read-only like the rest of the API: CORS-open, cached by ETag, one shared rate limit.
bp.after_request(finish_read)


def _too_many_requests(error: RateLimitExceeded):
    """429 with Retry-After: an OperationOutcome under /fhir, the API's JSON elsewhere."""
    answer = too_many_requests(error)
    if not request.path.startswith("/fhir/"):
        return answer
    response, _status = answer
    outcome = fhir_error(429, "throttled", response.get_json()["error"]["message"])
    outcome.headers["Retry-After"] = response.headers["Retry-After"]
    return outcome


bp.register_error_handler(RateLimitExceeded, _too_many_requests)
rate_limited(bp)

FHIR_JSON = "application/fhir+json"
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
DEFAULT_COUNT = 20
MAX_COUNT = 100
KM_PER_UNIT = {"km": 1.0, "m": 0.001, "[mi_i]": KM_PER_MILE}  # UCUM codes
DEFAULT_PER_PAGE = 20
# How far `near` reaches in each of its units: the search's limit, in whole units.
MAX_DISTANCE = {unit: math.floor(MAX_RADIUS_KM / km) for unit, km in KM_PER_UNIT.items()}
LATITUDE = oas.decimal_pattern(90, signed=True)
LONGITUDE = oas.decimal_pattern(180, signed=True)
_UNITS = "|".join(re.escape(unit) for unit in KM_PER_UNIT)
_DISTANCES = "|".join(
    [
        rf"\|(?:{_UNITS})",  # no distance (the default): lat|lon||km
        rf"{oas.decimal_pattern(MAX_DISTANCE['km'], zero=False)}(?:\|km)?",
        *(
            rf"{oas.decimal_pattern(MAX_DISTANCE[unit], zero=False)}\|{re.escape(unit)}"
            for unit in KM_PER_UNIT
            if unit != "km"
        ),
    ]
)
# What `near` may be: latitude|longitude[|distance[|units]], each in range, plain decimals.
NEAR_PATTERN = rf"^{LATITUDE}\|{LONGITUDE}(?:\|(?:{_DISTANCES})?)?$"


class BadRequest(ValueError):
    """A query parameter that cannot be used; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def whole_number(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high], or BadRequest (never clamped)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not low <= int(raw) <= high:
        raise BadRequest(name, f"{name} must be a whole number from {low} to {high}.")
    return int(raw)


# --- queries ---------------------------------------------------------------------------


def loaded():
    """What a listing's records (HSDS or FHIR) read besides the listing: load it with it."""
    return (
        selectinload(Practitioner.techniques),
        selectinload(Practitioner.language_rows),
        selectinload(Practitioner.pattern_rows),
        selectinload(Practitioner.locations),
    )


def listings_of(session: Session, kind: str, record: str) -> list[tuple[Practitioner, int]]:
    """The approved listings (with the place) whose record of this kind has this id: one
    indexed query of the service ids it can come from (finder.models.record_sources)."""
    sources = dict(record_sources(kind, record))
    if not sources:
        return []
    found = session.scalars(
        select(Practitioner)
        .where(Practitioner.service_id.in_(sources), Practitioner.listed)
        .options(*loaded())
    )
    return [
        (p, sources[p.service_id])
        for p in found
        if sources[p.service_id] < max(1, len(p.locations))
        and record_id(kind, p.service_id, sources[p.service_id]) == record
    ]


def _like(word: str) -> str:
    """An ILIKE pattern finding the word anywhere, its wildcards taken literally."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class ServiceFilter:
    """What the HSDS filters ask of listings: words to find (in the `searched` texts),
    techniques (None: any; empty: a term or taxonomy this directory does not have, so
    nothing), changed on or after, of these organizations (their service ids; None: any)."""

    words: tuple[str, ...] = ()
    techniques: tuple[str, ...] | None = None
    details: tuple[str, ...] | None = None  # decision-detail terms' codes: any of them
    modified_after: dt.datetime | None = None
    organizations: tuple[str, ...] | None = None
    searched: tuple[str, ...] = ("name", "clinic", "credentials", "city")

    def conditions(self) -> list:
        found = [Practitioner.listed]
        for word in self.words:
            pattern = _like(word)
            texts = [
                getattr(Practitioner, name).ilike(pattern, escape="\\")
                for name in self.searched
                if name != "city"
            ]
            if "city" in self.searched:
                city = PracticeLocation.city.ilike(pattern, escape="\\")
                texts.append(Practitioner.locations.any(city))
            found.append(or_(*texts))
        if self.techniques is not None:
            found.append(Practitioner.techniques.any(Technique.slug.in_(self.techniques)))
        if self.details is not None:
            found.append(or_(false(), *(detail_condition(code) for code in self.details)))
        if self.modified_after is not None:
            found.append(Practitioner.updated_at >= self.modified_after)
        if self.organizations is not None:
            found.append(Practitioner.service_id.in_(self.organizations))
        return found


def detail_condition(code: str):
    """SQL: the listing has this decision-detail term (finder.open_data.detail_codes)."""
    p = Practitioner
    if code == "accepting-new-patients":
        return p.accepting_new_patients.in_(("yes", "waitlist"))
    if code in ("posterior-approach", "lateral-approach"):
        return p.surgery_approach.in_((code.removesuffix("-approach"), "both"))
    if code == "international-office":
        return p.international_office.is_(True)
    if code == "visa-letter":
        return p.visa_letter.is_(True)
    column = p.diagnostics if code in DIAGNOSTICS else p.access
    return (literal(";") + column + literal(";")).like(f"%;{code};%")


def listings(wanted: ServiceFilter, *loads):
    """The approved listings `wanted` asks for, by ref, with `loads`."""
    return (
        select(Practitioner).where(*wanted.conditions()).order_by(Practitioner.ref).options(*loads)
    )


def _services(wanted: ServiceFilter, full: bool):
    loads = [selectinload(Practitioner.techniques), selectinload(Practitioner.pattern_rows)]
    if full:
        loads += [selectinload(Practitioner.language_rows), selectinload(Practitioner.locations)]
    return listings(wanted, *loads)


def _service_json(p: Practitioner, full: bool) -> dict:
    return shapes.hsds_service(p) if full else shapes.hsds_service_summary(p)


def listing_count(session: Session, wanted: ServiceFilter) -> int:
    return session.scalar(
        select(func.count()).select_from(Practitioner).where(*wanted.conditions())
    )


def hsds_service_page(
    session: Session,
    page: int,
    per_page: int,
    wanted: ServiceFilter = ServiceFilter(),
    full: bool = False,
) -> dict:
    """One page of the approved services `wanted` asks for, in the HSDS Page shape, ordered
    by ref; each with its one-to-one fields and organization, or fully nested with `full`."""
    rows = session.scalars(_services(wanted, full).offset((page - 1) * per_page).limit(per_page))
    contents = [_service_json(p, full) for p in rows]
    return shapes.hsds_page(contents, listing_count(session, wanted), page, per_page)


def hsds_organization_page(
    session: Session,
    page: int,
    per_page: int,
    wanted: ServiceFilter,
    nested: bool,
    full_service: bool,
) -> dict:
    """One page of organizations (one per approved listing `wanted` asks for), by ref: their
    own fields, or fully nested with `nested` (and their services too with full_service)."""
    query = listings(wanted, *(loaded() if nested else ()))
    rows = session.scalars(query.offset((page - 1) * per_page).limit(per_page))
    contents = [_organization_json(p, nested, full_service) for p in rows]
    return shapes.hsds_page(contents, listing_count(session, wanted), page, per_page)


def _organization_json(p: Practitioner, nested: bool, full_service: bool) -> dict:
    if nested:
        return shapes.hsds_organization(p, full_service)
    return shapes.compact(shapes.organization_record(p))


def _places(wanted: ServiceFilter):
    """Every service_at_location `wanted` asks for, as (listing id, location id; None for
    the virtual one), in the order of the list: by ref, then the listing's locations, the
    virtual one (telehealth) last."""
    conditions = wanted.conditions()
    physical = (
        select(
            Practitioner.ref.label("ref"),
            literal_column("0").label("online"),
            PracticeLocation.position.label("position"),
            PracticeLocation.id.label("location_id"),
            Practitioner.id.label("practitioner_id"),
        )
        .join(PracticeLocation, PracticeLocation.practitioner_id == Practitioner.id)
        .where(*conditions)
    )
    virtual = select(
        Practitioner.ref,
        literal_column("1"),
        literal_column("0"),
        cast(null(), Integer),
        Practitioner.id,
    ).where(*conditions, Practitioner.telehealth)
    return union_all(physical, virtual).subquery()


def hsds_service_at_location_page(
    session: Session, page: int, per_page: int, wanted: ServiceFilter, full: bool
) -> dict:
    """One page of the service_at_locations `wanted` asks for (one per practice location of
    each approved listing, and a virtual one for telehealth), in _places order: their own
    fields with their location and service, or fully nested with `full`."""
    places = _places(wanted)
    total = session.scalar(select(func.count()).select_from(places))
    chosen = session.execute(
        select(places.c.practitioner_id, places.c.location_id)
        .order_by(places.c.ref, places.c.online, places.c.position, places.c.location_id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    found = session.scalars(
        select(Practitioner)
        .where(Practitioner.id.in_({pid for pid, _ in chosen}))
        .options(*loaded())
    )
    by_id = {p.id: p for p in found}
    contents = []
    for pid, location_id in chosen:
        p = by_id[pid]
        where = shapes.service_places(p)  # the locations in order, then the virtual one
        indexes = [i for i, loc in enumerate(p.locations) if loc.id == location_id]
        place = where[indexes[0]] if location_id is not None else where[-1]
        contents.append(shapes.hsds_service_at_location(p, place, full))
    return shapes.hsds_page(contents, total, page, per_page)


def find_service_at_location(session: Session, record: str):
    """The approved listing and place (finder.open_data.Place) of the service_at_location
    with this id, or None."""
    for p, index in listings_of(session, "service-at-location", record):
        if index < len(p.locations):
            return p, shapes.service_places(p)[index]
    for p, _ in listings_of(session, "service-at-virtual-location", record):
        if p.telehealth:
            return p, shapes.service_places(p)[-1]
    return None


NDJSON_BATCH = 500


def hsds_lines(session: Session, query, records) -> Iterator[str]:
    """records(p) of every listing of `query` (ordered by ref), one JSON document a line
    (ndjson), read NDJSON_BATCH listings at a time so that a whole directory streams in
    bounded memory."""
    after = ""
    while True:
        batch = list(session.scalars(query.where(Practitioner.ref > after).limit(NDJSON_BATCH)))
        for p in batch:
            for record in records(p):
                yield json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        if len(batch) < NDJSON_BATCH:
            return
        after = batch[-1].ref
        session.expunge_all()


def find_approved_service(session: Session, service_id: str) -> Practitioner | None:
    """The approved practitioner whose HSDS service has this id (stored), or None."""
    try:
        wanted = str(uuid.UUID(service_id))
    except ValueError:
        return None
    return session.scalar(
        select(Practitioner).where(Practitioner.service_id == wanted, Practitioner.listed)
    )


# --- HSDS 3.0 --------------------------------------------------------------------------


HSDS_VERSION = "3.0"
HSDS_PROFILE = "https://docs.openreferral.org/en/latest/hsds/"  # the standard, no profile
SERVICE_PARAMETERS = (
    "search", "page", "per_page", "format", "taxonomy_term_id", "taxonomy_id",
    "organization_id", "modified_after", "minimal", "full",
)  # fmt: skip
MAX_SEARCH = 200
NDJSON = "application/x-ndjson"


def _known_parameters(known: tuple[str, ...]) -> None:
    """BadRequest for a query parameter this operation does not define."""
    for name in request.args:
        if name not in known:
            raise BadRequest(name, f"{name} is not a parameter of this operation.")


def boolean_parameter(name: str) -> bool:
    """true or false (absent: false), or BadRequest."""
    raw = request.args.get(name, "false")
    if raw not in ("true", "false"):
        raise BadRequest(name, f"{name} must be true or false.")
    return raw == "true"


def uuid_parameter(name: str) -> str | None:
    """A UUID as this API writes them (lowercase, hyphens), or None when absent; BadRequest
    otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if not re.fullmatch(UUID_PATTERN, raw):
        raise BadRequest(name, f"{name} must be a UUID in lowercase with hyphens.")
    return raw


def datetime_parameter(name: str) -> dt.datetime | None:
    """An ISO 8601 date or date and time (UTC unless an offset is given), as naive UTC."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise BadRequest(
            name, f"{name} must be an ISO 8601 date or date-time, e.g. 2026-11-30T09:00:00Z."
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _streamed(parts: Iterator[str], mimetype: str) -> Response:
    """A streamed answer; not hashed, so the data version and the question make its ETag."""
    response = Response(stream_with_context(parts), mimetype=mimetype)
    asked = hashlib.sha256(request.query_string).hexdigest()[:16]
    response.set_etag(f"{data_version(db.session)}-{asked}", weak=True)
    return response


def ndjson_asked() -> bool:
    """Whether `format` asks for ndjson rather than json; BadRequest for another format."""
    form = request.args.get("format", "json")
    if form not in ("json", "ndjson"):
        raise BadRequest("format", "format must be json or ndjson.")
    return form == "ndjson"


def paged() -> bool:
    """Whether the request asks for a page (page or per_page): as ndjson too, that page's
    items; without them, ndjson is every item."""
    return "page" in request.args or "per_page" in request.args


def ndjson_lines(items: list[dict]) -> Response:
    """Items as ndjson, one JSON document a line."""
    lines = "".join(json.dumps(i, ensure_ascii=False, separators=(",", ":")) + "\n" for i in items)
    return Response(lines, mimetype=NDJSON)


SEARCH_PATTERN = f"^[^{HIDDEN_CLASS}]*$"


def search_words() -> tuple[str, ...]:
    """The words of `search`, each to be found (none: everything), or BadRequest."""
    search = request.args.get("search", "")
    if len(search) > MAX_SEARCH:
        raise BadRequest("search", f"search must be at most {MAX_SEARCH} characters.")
    if control_character(search) is not None:
        raise BadRequest("search", "search holds an invisible or control character.")
    return tuple(search.split())


def service_filter(searched: tuple[str, ...] = ServiceFilter.searched) -> ServiceFilter:
    """The HSDS filters of this request (those it has; `search` in the `searched` texts);
    BadRequest names one that cannot be used."""
    words = search_words()
    techniques = detail_codes = None
    if (term := uuid_parameter("taxonomy_term_id")) is not None:
        slugs = db.session.scalars(select(Technique.slug))
        terms = {stable_id("technique", slug): slug for slug in slugs}  # as the terms are made
        details = {shapes.detail_term_record(code)["id"]: code for code in shapes.DETAIL_TERMS}
        if term in details:
            detail_codes = (details[term],)
        else:
            techniques = (terms[term],) if term in terms else ()
    if (taxonomy := uuid_parameter("taxonomy_id")) is not None:
        if taxonomy == shapes.detail_taxonomy_record()["id"]:
            detail_codes = tuple(shapes.DETAIL_TERMS) if detail_codes is None else detail_codes
            if techniques is not None:
                techniques = ()  # a technique term is not in the details taxonomy
        elif taxonomy != shapes.taxonomy_record()["id"]:
            techniques = ()  # a taxonomy this directory does not have: nothing
        elif detail_codes is not None:
            techniques = ()  # a detail term is not in the technique taxonomy
    organizations = None
    if (organization := uuid_parameter("organization_id")) is not None:
        organizations = tuple(source for source, _ in record_sources("organization", organization))
    return ServiceFilter(
        words=words,
        techniques=techniques,
        details=detail_codes,
        modified_after=datetime_parameter("modified_after"),
        organizations=organizations,
        searched=searched,
    )


@bp.get("/api/v1/hsds/")
def hsds_root():
    """What this HSDS API is: its version, profile and OpenAPI document."""
    return jsonify(
        {
            "version": HSDS_VERSION,
            "profile": HSDS_PROFILE,
            "openapi_url": url_for("api_docs.openapi_document", _external=True),
        }
    )


@bp.get("/api/v1/hsds/services")
def hsds_services():
    """Approved services in the HSDS 3.0 Page shape (`page`, `per_page`), narrowed by the
    standard's filters (`search`, `taxonomy_term_id`, `taxonomy_id`, `organization_id`,
    `modified_after`), fully nested with `full=true`, or as ndjson with `format=ndjson` (all
    of them, or the page asked for). A filter this directory cannot honour (`minimal=true`)
    is refused, never ignored."""
    try:
        _known_parameters(SERVICE_PARAMETERS)
        wanted = service_filter()
        full = boolean_parameter("full")
        if boolean_parameter("minimal"):
            raise BadRequest("minimal", "minimal is not supported: ask for pages of services.")
        ndjson = ndjson_asked()
        page = whole_number("page", 1, 1, MAX_PAGE)
        per_page = whole_number("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    except BadRequest as error:
        return error_response(400, "bad_parameter", error.message, error.field)
    if ndjson and not paged():
        lines = hsds_lines(db.session, _services(wanted, full), lambda p: [_service_json(p, full)])
        return _streamed(lines, NDJSON)
    found = hsds_service_page(db.session, page, per_page, wanted, full)
    return ndjson_lines(found["contents"]) if ndjson else jsonify(found)


@bp.get("/api/v1/hsds/services/<service_id>")
def hsds_service(service_id: str):
    """One approved service, fully nested as the HSDS 3.0 compiled service schema has it."""
    practitioner = find_approved_service(db.session, service_id)
    if practitioner is None:
        return error_response(404, "not_found", "No approved service has this id.", "id")
    return jsonify(shapes.hsds_service(practitioner))


ORGANIZATION_PARAMETERS = ("search", "full_service", "full", "page", "per_page", "format")
ORGANIZATION_TEXTS = ("name", "clinic")  # what an organization's name and description say


@bp.get("/api/v1/hsds/organizations")
def hsds_organizations():
    """The organizations (one per approved listing: its clinic, or the practitioner's own
    practice) in the HSDS 3.0 Page shape, by ref: `search` in their names; their own fields,
    or fully nested with `full=true` (with full services too with `full_service=true`); as
    ndjson with `format=ndjson` (all of them, or the page asked for)."""
    try:
        _known_parameters(ORGANIZATION_PARAMETERS)
        wanted = ServiceFilter(words=search_words(), searched=ORGANIZATION_TEXTS)
        full_service = boolean_parameter("full_service")
        nested = boolean_parameter("full") or full_service
        ndjson = ndjson_asked()
        page = whole_number("page", 1, 1, MAX_PAGE)
        per_page = whole_number("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    except BadRequest as error:
        return error_response(400, "bad_parameter", error.message, error.field)
    if ndjson and not paged():
        query = listings(wanted, *(loaded() if nested else ()))
        lines = hsds_lines(
            db.session, query, lambda p: [_organization_json(p, nested, full_service)]
        )
        return _streamed(lines, NDJSON)
    found = hsds_organization_page(db.session, page, per_page, wanted, nested, full_service)
    return ndjson_lines(found["contents"]) if ndjson else jsonify(found)


@bp.get("/api/v1/hsds/organizations/<organization_id>")
def hsds_organization(organization_id: str):
    """One organization fully nested: its locations and its service (the service's own
    fields, or fully nested with `full_service=true`)."""
    try:
        _known_parameters(("full_service",))
        full_service = boolean_parameter("full_service")
    except BadRequest as error:
        return error_response(400, "bad_parameter", error.message, error.field)
    found = listings_of(db.session, "organization", organization_id)
    if not found:
        return error_response(404, "not_found", "No organization has this id.", "id")
    return jsonify(shapes.hsds_organization(found[0][0], full_service))


SERVICE_AT_LOCATION_PARAMETERS = (
    "search", "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after", "full",
    "page", "per_page", "format", "postcode", "proximity",
)  # fmt: skip


@bp.get("/api/v1/hsds/service_at_locations")
def hsds_service_at_locations():
    """Where each approved service is given (one per practice location, and a virtual one
    for telehealth) in the HSDS 3.0 Page shape, by ref and place, narrowed by the standard's
    filters as /services; with their location and service, fully nested with `full=true`;
    as ndjson with `format=ndjson` (all of them, or the page asked for). postcode and
    proximity (coverage by service area) are refused: this directory has no service areas."""
    try:
        _known_parameters(SERVICE_AT_LOCATION_PARAMETERS)
        for name in ("postcode", "proximity"):
            if name in request.args:
                raise BadRequest(
                    name,
                    f"{name} is not supported: services here have no service areas. Search "
                    "near a place with /api/v1/search or the FHIR Location search (near).",
                )
        wanted = service_filter()
        full = boolean_parameter("full")
        ndjson = ndjson_asked()
        page = whole_number("page", 1, 1, MAX_PAGE)
        per_page = whole_number("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    except BadRequest as error:
        return error_response(400, "bad_parameter", error.message, error.field)
    if ndjson and not paged():

        def records(p: Practitioner) -> list[dict]:
            places = shapes.service_places(p)
            return [shapes.hsds_service_at_location(p, place, full) for place in places]

        return _streamed(hsds_lines(db.session, listings(wanted, *loaded()), records), NDJSON)
    found = hsds_service_at_location_page(db.session, page, per_page, wanted, full)
    return ndjson_lines(found["contents"]) if ndjson else jsonify(found)


@bp.get("/api/v1/hsds/service_at_locations/<record>")
def hsds_service_at_location(record: str):
    """One service_at_location fully nested: its location with addresses and its service
    fully nested (what the list gives with full=true)."""
    found = find_service_at_location(db.session, record)
    if found is None:
        return error_response(404, "not_found", "No service_at_location has this id.", "id")
    practitioner, place = found
    return jsonify(shapes.hsds_service_at_location(practitioner, place, full=True))


GEOJSON_BATCH = 2000


# bbox: west,south,east,north in degrees, in range, plain decimals.
BBOX_PATTERN = rf"^{LONGITUDE},{LATITUDE},{LONGITUDE},{LATITUDE}$"


def _bbox() -> tuple[float, float, float, float] | None:
    """bbox=west,south,east,north in degrees (RFC 7946 order), or None; BadRequest otherwise.
    A west beyond the east crosses the 180th meridian; a south beyond the north is a box
    with nothing in it."""
    raw = request.args.get("bbox")
    if raw is None:
        return None
    if not re.fullmatch(BBOX_PATTERN, raw):
        raise BadRequest(
            "bbox", "bbox must be west,south,east,north in degrees, e.g. -10.5,35,30,60."
        )
    west, south, east, north = (float(part) for part in raw.split(","))
    return west, south, east, north


def location_features(session: Session, bbox) -> Iterator[str]:
    """Every approved practice location (within bbox) as a GeoJSON FeatureCollection, written
    GEOJSON_BATCH locations at a time by id."""
    loc = PracticeLocation
    wanted = [Practitioner.listed]
    if bbox is not None:
        west, south, east, north = bbox
        wanted.append(loc.latitude.between(south, north))
        if west <= east:
            wanted.append(loc.longitude.between(west, east))
        else:
            wanted.append(or_(loc.longitude >= west, loc.longitude <= east))
    query = (
        select(loc.id, loc.practitioner_id, Practitioner.name, loc.city, loc.country,
               loc.latitude, loc.longitude)
        .join(Practitioner, Practitioner.id == loc.practitioner_id)
        .where(*wanted)
        .order_by(loc.id)
        .limit(GEOJSON_BATCH)
    )  # fmt: skip
    yield '{"type":"FeatureCollection","features":['
    after, first = 0, True
    while True:
        rows = session.execute(query.where(loc.id > after)).all()
        for location_id, pid, name, city, country, lat, lon in rows:
            feature = {
                "type": "Feature",
                "id": location_id,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "practitioner_id": pid,
                    "name": name,
                    "city": city,
                    "country": country,
                    "url": url_for("public.practitioner", practitioner_id=pid, _external=True),
                },
            }
            yield ("" if first else ",") + json.dumps(feature, ensure_ascii=False)
            first = False
        if len(rows) < GEOJSON_BATCH:
            break
        after = rows[-1][0]
    yield "]}\n"


@bp.get("/api/v1/locations.geojson")
def locations_geojson():
    """Every approved practice location as GeoJSON (RFC 7946), streamed; `bbox` narrows to
    a box."""
    try:
        _known_parameters(("bbox",))
        bbox = _bbox()
    except BadRequest as error:
        return error_response(400, "bad_parameter", error.message, error.field)
    return _streamed(location_features(db.session, bbox), "application/geo+json")


KEEP_OLD_PACKAGES_S = 3600  # a package of an older data version may still be being sent


@bp.get("/api/v1/hsds/datapackage.zip")
def hsds_datapackage():
    """Every approved listing as the HSDS 3.0 CSV datapackage (what export-hsds writes, with
    the data's licence), zipped: made once per data version, kept under the instance folder."""
    standard = Path(current_app.config.get("HSDS_STANDARD_DIR") or shapes.HSDS_STANDARD_DIR)
    if not (standard / "datapackage.json").is_file():
        return error_response(503, "unavailable", "The HSDS standard files are not installed.")
    folder = Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    version = data_version(db.session) or "none"
    target = folder / f"hsds-{version}.zip"
    if not target.is_file():
        shapes.write_hsds_zip(db.session, target, standard)
        for old in folder.glob("hsds-*.zip"):
            if old != target and time.time() - old.stat().st_mtime > KEEP_OLD_PACKAGES_S:
                old.unlink(missing_ok=True)
    return send_file(
        target,
        mimetype="application/zip",
        as_attachment=True,
        download_name="si-joint-practitioner-finder-hsds.zip",
        etag=version,
        max_age=oas.CACHE_SECONDS,
    )


TAXONOMY_PARAMETERS = ("search", "page", "per_page", "format")
TERM_PARAMETERS = (*TAXONOMY_PARAMETERS, "taxonomy_id", "top_only", "parent_id")


def _technique_terms() -> list[dict]:
    """Every taxonomy term: the techniques in the directory's order, then the decision
    details."""
    techniques = db.session.scalars(select(Technique).order_by(Technique.position, Technique.id))
    return [shapes.compact(term) for term in shapes.taxonomy_term_records(techniques)]


def _taxonomies() -> list[dict]:
    return [shapes.compact(record) for record in shapes.taxonomy_records()]


def _listing(items: list[dict], known: tuple[str, ...], narrow=None):
    """A small HSDS list (the taxonomy and its terms) paged, searched or as ndjson, after
    the parameters `known` and `narrow(items)` have had their say."""
    try:
        _known_parameters(known)
        words = [word.casefold() for word in search_words()]
        if narrow is not None:
            items = narrow(items)
        items = [
            item for item in items
            if all(w in f"{item.get('name', '')} {item.get('code', '')}".casefold() for w in words)
        ]  # fmt: skip
        ndjson = ndjson_asked()
        page = whole_number("page", 1, 1, MAX_PAGE)
        per_page = whole_number("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    except BadRequest as error:
        return error_response(400, "bad_parameter", error.message, error.field)
    if ndjson and not paged():
        return ndjson_lines(items)
    shown = items[(page - 1) * per_page : page * per_page]
    if ndjson:
        return ndjson_lines(shown)
    return jsonify(shapes.hsds_page(shown, len(items), page, per_page))


@bp.get("/api/v1/hsds/taxonomies")
def hsds_taxonomies():
    """The directory's taxonomies (its techniques; the decision details), in the HSDS Page
    shape."""
    return _listing(_taxonomies(), TAXONOMY_PARAMETERS)


@bp.get("/api/v1/hsds/taxonomies/<taxonomy_id>")
def hsds_taxonomy(taxonomy_id: str):
    record = next((t for t in _taxonomies() if t["id"] == taxonomy_id), None)
    if record is None:
        return error_response(404, "not_found", "No taxonomy has this id.", "id")
    return jsonify(record)


@bp.get("/api/v1/hsds/taxonomy_terms")
def hsds_taxonomy_terms():
    """The techniques and decision details as taxonomy terms, in the HSDS Page shape;
    `taxonomy_id` narrows to a taxonomy, `top_only` and `parent_id` to the tree's top (every
    term is a top term)."""

    def narrow(terms: list[dict]) -> list[dict]:
        taxonomy = uuid_parameter("taxonomy_id")
        boolean_parameter("top_only")  # every term is at the top: true and false alike
        parent = uuid_parameter("parent_id")
        if parent is not None:
            return []  # no term has a parent
        return [t for t in terms if taxonomy is None or t["taxonomy_id"] == taxonomy]

    return _listing(_technique_terms(), TERM_PARAMETERS, narrow)


@bp.get("/api/v1/hsds/taxonomy_terms/<term_id>")
def hsds_taxonomy_term(term_id: str):
    term = next((t for t in _technique_terms() if t["id"] == term_id), None)
    if term is None:
        return error_response(404, "not_found", "No taxonomy term has this id.", "id")
    return jsonify(term)


# --- FHIR R4 ---------------------------------------------------------------------------


def fhir_response(resource: dict, status: int = 200) -> Response:
    """A FHIR resource as application/fhir+json."""
    return Response(json.dumps(resource, ensure_ascii=False), status=status, mimetype=FHIR_JSON)


def fhir_error(status: int, code: str, message: str) -> Response:
    """An OperationOutcome with one error issue."""
    return fhir_response(shapes.operation_outcome(code, message), status)


# --- OpenAPI ---------------------------------------------------------------------------

UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _record(properties: dict, required: list[str], description: str = "") -> dict:
    """An open object schema: the standards allow fields beyond those listed."""
    schema = oas.obj(properties, required, description)
    del schema["additionalProperties"]
    return schema


def _uuid(description: str = "") -> dict:
    return oas.text(description, format="uuid", pattern=UUID_PATTERN)


def _array(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


def _search_parameter(description: str) -> dict:
    return oas.query(
        "search",
        oas.text(maxLength=MAX_SEARCH, pattern=SEARCH_PATTERN),
        description + " Control and invisible characters are refused.",
    )


def _format_parameter(item: str) -> dict:
    return oas.query(
        "format",
        oas.text(enum=["json", "ndjson"]),
        f"ndjson: every matching {item}, one JSON document a line, without pages; with page "
        "or per_page, the items of that page.",
    )


def _hsds_summary_properties() -> dict:
    return {
        "id": _uuid("uuid5 of `service:<ref>`."),
        "organization_id": _uuid(),
        "name": oas.text("Name and credentials."),
        "description": oas.text(),
        "url": oas.text(),
        "email": oas.text(),
        "status": oas.text(const="active"),
        "licenses": oas.text("Registry and number; NPI."),
        "assured_date": oas.text("Date of the last approval.", format="date"),
        "last_modified": oas.text(
            "UTC.", format="date-time", pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"
        ),
        "organization": oas.ref("HsdsOrganization"),
    }


def hsds_schemas() -> dict:
    """Subsets of the HSDS 3.0 compiled schemas: the fields this directory always or sometimes
    fills. Empty fields are left out, never null."""
    summary_required = ["id", "organization_id", "status", "organization"]
    organization_properties = {"id": _uuid(), "name": oas.text(), "description": oas.text()}
    link_properties = {"id": _uuid(), "service_id": _uuid(), "location_id": _uuid()}
    location_properties = {
        "id": _uuid(),
        "location_type": oas.text(enum=["physical", "virtual"]),
        "organization_id": _uuid(),
        "name": oas.text(),
        "description": oas.text(),
        "latitude": oas.number(minimum=-90, maximum=90),
        "longitude": oas.number(minimum=-180, maximum=180),
        "url": oas.text(),
    }
    address_fields = ["address_1", "city", "state_province", "postal_code", "country"]
    page_fields = {
        "total_items": oas.integer(minimum=0),
        "total_pages": oas.integer(minimum=0),
        "page_number": oas.integer(minimum=1, maximum=MAX_PAGE),
        "size": oas.integer("Items on this page.", minimum=0, maximum=MAX_PER_PAGE),
        "first_page": oas.boolean(),
        "last_page": oas.boolean(),
        "empty": oas.boolean(),
    }

    def page_of(item: str, description: str) -> dict:
        return _record(
            page_fields | {"contents": _array(oas.ref(item), maxItems=MAX_PER_PAGE)},
            [*page_fields, "contents"],
            description,
        )

    return {
        "HsdsTaxonomy": _record(
            {"id": _uuid(), "name": oas.text(), "description": oas.text(), "uri": oas.text()},
            ["id", "name", "description"],
            "One of the directory's two taxonomies, techniques and decision details "
            "(taxonomy.json).",
        ),
        "HsdsTaxonomyTerm": _record(
            {
                "id": _uuid(),
                "code": oas.text("The technique's slug, or the decision detail's code."),
                "name": oas.text(),
                "description": oas.text(),
                "taxonomy": oas.text(),
                "taxonomy_id": _uuid(),
                "language": oas.text(),
            },
            ["id", "name", "description"],
            "A technique as a taxonomy term (taxonomy_term.json).",
        ),
        "HsdsTaxonomyPage": page_of("HsdsTaxonomy", "The HSDS 3.0 Page of taxonomies."),
        "HsdsTaxonomyTermPage": page_of("HsdsTaxonomyTerm", "The HSDS 3.0 Page of terms."),
        "HsdsOrganization": _record(
            organization_properties,
            ["id", "name", "description"],
            "An organization's own fields (compiled/organization_list.json).",
        ),
        "HsdsOrganizationFull": _record(
            organization_properties
            | {
                "locations": _array(oas.ref("HsdsLocation")),
                "services": _array(oas.ref("HsdsServiceRecord"), minItems=1, maxItems=1),
            },
            ["id", "name", "description", "locations", "services"],
            "An organization fully nested (organization.json): its locations with addresses, "
            "and its service: its own fields, or fully nested (full_service).",
        ),
        "HsdsOrganizationPage": page_of(
            "HsdsOrganization", "The HSDS 3.0 Page; fully nested items with full or full_service."
        ),
        "HsdsServiceRecord": _record(
            {k: v for k, v in _hsds_summary_properties().items() if k != "organization"},
            ["id", "organization_id", "name", "status"],
            "A service's own fields (service.json, one-to-one fields).",
        ),
        "HsdsServiceAtLocation": _record(
            link_properties
            | {"location": oas.ref("HsdsLocationRecord"), "service": oas.ref("HsdsServiceSummary")},
            [*link_properties, "location", "service"],
            "Where a service is given, with its location and service and their own fields "
            "(compiled/service_at_location_list.json).",
        ),
        "HsdsServiceAtLocationFull": _record(
            link_properties
            | {"location": oas.ref("HsdsLocation"), "service": oas.ref("HsdsService")},
            [*link_properties, "location", "service"],
            "A service_at_location fully nested: its location with addresses, its service as "
            "/services/{id} gives it (compiled/service.json).",
        ),
        "HsdsServiceAtLocationPage": page_of(
            "HsdsServiceAtLocation", "The HSDS 3.0 Page; fully nested items with full."
        ),
        "HsdsServiceSummary": _record(
            _hsds_summary_properties(),
            summary_required,
            "A service's own fields and its organization (compiled/service_list.json).",
        ),
        "HsdsServicePage": page_of(
            "HsdsServiceSummary", "The HSDS 3.0 Page; a page after the last is empty."
        ),
        "HsdsAddress": _record(
            {
                "id": _uuid(),
                "location_id": _uuid(),
                **{name: oas.text(minLength=1) for name in address_fields},
                "address_type": oas.text(const="physical"),
            },
            ["id", "location_id", *address_fields, "address_type"],
        ),
        "HsdsLocationRecord": _record(
            location_properties,
            ["id", "location_type", "organization_id"],
            "A location's own fields (location.json, one-to-one fields).",
        ),
        "HsdsLocation": _record(
            location_properties | {"addresses": _array(oas.ref("HsdsAddress"))},
            ["id", "location_type", "organization_id", "addresses"],
        ),
        "HsdsService": _record(
            {
                **_hsds_summary_properties(),
                "phones": _array(
                    _record(
                        {"id": _uuid(), "service_id": _uuid(), "number": oas.text()},
                        ["id", "service_id", "number"],
                    )
                ),
                "languages": _array(
                    _record(
                        {
                            "id": _uuid(),
                            "service_id": _uuid(),
                            "name": oas.text("English name."),
                            "code": oas.text("ISO 639-1.", pattern=oas.LANGUAGE_PATTERN),
                        },
                        ["id", "service_id", "code"],
                    )
                ),
                "service_at_locations": _array(
                    _record(
                        {
                            "id": _uuid(),
                            "service_id": _uuid(),
                            "location_id": _uuid(),
                            "location": oas.ref("HsdsLocation"),
                        },
                        ["id", "service_id", "location_id", "location"],
                    )
                ),
                "attributes": _array(
                    _record(
                        {
                            "id": _uuid(),
                            "link_id": _uuid(),
                            "link_entity": oas.text(const="service"),
                            "taxonomy_term_id": _uuid(),
                            "taxonomy_term": _record(
                                {
                                    "id": _uuid(),
                                    "code": oas.text("The technique slug."),
                                    "name": oas.text(),
                                    "description": oas.text(),
                                    "taxonomy": oas.text(),
                                    "taxonomy_id": _uuid(),
                                    "language": oas.text(),
                                    "taxonomy_detail": _record(
                                        {
                                            "id": _uuid(),
                                            "name": oas.text(),
                                            "description": oas.text(),
                                            "uri": oas.text(),
                                        },
                                        ["id", "name", "uri"],
                                    ),
                                },
                                ["id", "code", "taxonomy_detail"],
                            ),
                        },
                        ["id", "link_id", "link_entity", "taxonomy_term_id", "taxonomy_term"],
                    )
                ),
            },
            [*summary_required, "phones", "languages", "service_at_locations", "attributes"],
            "One service fully nested as in compiled/service.json.",
        ),
    }


def open_data_paths() -> dict:
    """The HSDS and FHIR operations for /openapi.json, with the limits this module enforces.

    They answer with the API's ETag, caching, CORS and rate limit (finish_read and
    rate_limited above), so they document its 304 and 429 too."""
    standard = (
        " Cached and limited like the rest of the API: an ETag (304 for If-None-Match), "
        "readable from any origin (CORS), rate-limited per client address (429 with "
        "Retry-After); see docs/open-data.md."
    )
    pages = [
        oas.query(
            "page",
            oas.integer(minimum=1, maximum=MAX_PAGE, default=1),
            "Page number; a page after the last is empty.",
        ),
        oas.query(
            "per_page",
            oas.integer(minimum=1, maximum=MAX_PER_PAGE, default=DEFAULT_PER_PAGE),
            "Items per page; out-of-range values are refused, not clamped.",
        ),
    ]
    service_filters = [
        _search_parameter(
            "Words that must each appear (any case) in the service's name, credentials, "
            "clinic or a location's city."
        ),
        oas.query(
            "taxonomy_term_id",
            _uuid(),
            "Only services with this taxonomy term (a technique; see a service's "
            "attributes). A UUID of no term finds nothing.",
        ),
        oas.query(
            "taxonomy_id",
            _uuid(),
            "Only services with a term of this taxonomy: the technique taxonomy finds every "
            "service, the decision-details taxonomy those with any detail term, any other "
            "UUID none.",
        ),
        oas.query(
            "organization_id",
            _uuid(),
            "Only the service of this organization (see /organizations); a UUID of no "
            "organization finds nothing.",
        ),
        oas.query(
            "modified_after",
            oas.text(format="date-time"),
            "Only services whose listing changed on or after this ISO 8601 date or "
            "date-time (UTC unless an offset is given); compare `last_modified`.",
        ),
    ]
    hsds_page = oas.operation(
        "listHsdsServices",
        "Approved services in HSDS 3.0",
        "A page of approved services (HSDS Page shape), ordered by ref." + standard,
        oas.ok("A page of services.", oas.ref("HsdsServicePage")),
        parameters=[
            *pages,
            *service_filters,
            oas.query("full", oas.boolean(), "true: each service fully nested, as /services/{id}."),
            _format_parameter("service"),
        ],
        errors=[
            (
                "400",
                oas.error(
                    "A parameter that cannot be used (not a whole number in range, not a UUID, "
                    "not a date, a filter this directory does not support such as minimal, "
                    "an unknown one); `field` names it.",
                    ["bad_parameter"],
                ),
            )
        ],
    )
    hsds_page["get"]["responses"]["200"]["content"][NDJSON] = {"schema": oas.text()}
    paging = [
        _search_parameter("Words that must each appear (any case) in the name or code."),
        *pages,
        _format_parameter("item"),
    ]
    refused = [
        (
            "400",
            oas.error("A parameter that cannot be used; `field` names it.", ["bad_parameter"]),
        )
    ]

    def listing(
        operation_id: str, summary: str, item_page: str, parameters: list, description: str = ""
    ) -> dict:
        found = oas.operation(
            operation_id,
            summary,
            summary + "." + description + standard,
            oas.ok(summary + ".", oas.ref(item_page)),
            parameters=parameters,
            errors=refused,
        )
        found["get"]["responses"]["200"]["content"][NDJSON] = {"schema": oas.text()}
        return found

    def one(
        operation_id: str, summary: str, item: str, parameters=(), description: str = ""
    ) -> dict:
        return oas.operation(
            operation_id,
            summary,
            summary + "." + description + standard,
            oas.ok(summary + ".", oas.ref(item)),
            parameters=[
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "description": "The id, as in the list; anything else is a 404.",
                    "schema": _uuid(),
                },
                *parameters,
            ],
            errors=[
                *(refused if parameters else []),
                ("404", oas.error("No such id.", ["not_found"], ["id"])),
            ],
        )

    full_service = oas.query(
        "full_service",
        oas.boolean(),
        "true: the organization's service fully nested, as /services/{id} (and, in the list, "
        "each organization fully nested).",
    )
    organizations = listing(
        "listHsdsOrganizations",
        "The organizations: each listing's clinic, or the practitioner's own practice",
        "HsdsOrganizationPage",
        [
            _search_parameter("Words that must each appear (any case) in the name."),
            full_service,
            oas.query("full", oas.boolean(), "true: each organization fully nested."),
            *pages,
            _format_parameter("organization"),
        ],
        " One per approved listing, ordered by ref; fully nested as /organizations/{id} with full.",
    )
    services_at_locations = listing(
        "listHsdsServiceAtLocations",
        "Where each service is given: each practice location, and a virtual one for telehealth",
        "HsdsServiceAtLocationPage",
        [
            *service_filters,
            oas.query(
                "full", oas.boolean(), "true: each fully nested, as /service_at_locations/{id}."
            ),
            *pages,
            _format_parameter("service_at_location"),
        ],
        " Ordered by the service's ref, then its locations, the virtual one last; each with "
        "its location and service (their own fields). The standard's postcode and proximity "
        "are refused (400): services here have no service areas.",
    )

    taxonomies = listing(
        "listHsdsTaxonomies",
        "The taxonomies (the techniques, the decision details)",
        "HsdsTaxonomyPage",
        paging,
    )
    terms = listing(
        "listHsdsTaxonomyTerms",
        "The techniques and decision details as taxonomy terms",
        "HsdsTaxonomyTermPage",
        [
            *paging,
            oas.query("taxonomy_id", _uuid(), "Terms of this taxonomy (another: none)."),
            oas.query("top_only", oas.boolean(), "Every term here is at the top."),
            oas.query("parent_id", _uuid(), "Terms under this one: none here."),
        ],
    )
    locations_operation = oas.operation(
        "listLocationsGeoJSON",
        "Every approved practice location as GeoJSON",
        "A GeoJSON FeatureCollection (RFC 7946), streamed: a Point per approved location "
        "([longitude, latitude]) with its practitioner's id, name, city, country and page."
        + standard,
        oas.ok(
            "The locations.",
            oas.obj(
                {
                    "type": oas.text(const="FeatureCollection"),
                    "features": _array(
                        _record(
                            {
                                "type": oas.text(const="Feature"),
                                "id": oas.integer(minimum=1),
                                "geometry": _record(
                                    {
                                        "type": oas.text(const="Point"),
                                        "coordinates": _array(oas.number(), minItems=2, maxItems=2),
                                    },
                                    ["type", "coordinates"],
                                ),
                                "properties": _record(
                                    {
                                        "practitioner_id": oas.integer(minimum=1),
                                        "name": oas.text(),
                                        "city": oas.text(),
                                        "country": oas.text(),
                                        "url": oas.text(format="uri"),
                                    },
                                    ["practitioner_id", "name", "url"],
                                ),
                            },
                            ["type", "id", "geometry", "properties"],
                        )
                    ),
                },
                ["type", "features"],
            ),
            media_type="application/geo+json",
        ),
        parameters=[
            oas.query(
                "bbox",
                oas.text(pattern=BBOX_PATTERN),
                "west,south,east,north in degrees (a west beyond the east crosses 180°; a "
                "south beyond the north holds nothing).",
            )
        ],
        errors=[
            (
                "400",
                oas.error(
                    "bbox is not four numbers in range, or a parameter is unknown; `field` "
                    "names it.",
                    ["bad_parameter"],
                ),
            )
        ],
    )
    package_operation = oas.operation(
        "getHsdsDatapackage",
        "Every approved listing as the HSDS 3.0 CSV datapackage (zip)",
        "What `export-hsds` writes — datapackage.json (with the data's licence, CC-BY-4.0) and "
        "one CSV per HSDS table — zipped; made once per data version." + standard,
        {
            "description": "The zipped datapackage.",
            "headers": {
                name: oas.ref(name, "headers")
                for name in ("ETag", "Cache-Control", "Access-Control-Allow-Origin")
            },
            "content": {"application/zip": {"schema": oas.text(format="binary")}},
        },
        errors=[("503", oas.error("The HSDS standard files are not installed.", ["unavailable"]))],
    )
    hsds_root_operation = oas.operation(
        "getHsdsApiMeta",
        "What this HSDS API is",
        "The HSDS version, profile and OpenAPI document of this API." + standard,
        oas.ok(
            "The API's relationship with HSDS.",
            oas.obj(
                {
                    "version": oas.text(const=HSDS_VERSION),
                    "profile": oas.text(format="uri"),
                    "openapi_url": oas.text(format="uri"),
                },
                ["version", "profile", "openapi_url"],
            ),
        ),
    )
    hsds_one = oas.operation(
        "getHsdsService",
        "One approved service in HSDS 3.0",
        "The service fully nested: organization, phones, languages, locations with "
        "addresses, and techniques as taxonomy terms." + standard,
        oas.ok("The service.", oas.ref("HsdsService")),
        parameters=[
            {
                "name": "id",
                "in": "path",
                "required": True,
                "description": "The service id, as in the list. Anything else is a 404.",
                "schema": _uuid(),
            }
        ],
        errors=[
            (
                "404",
                oas.error(
                    "No approved service has this id (or it is not a UUID).", ["not_found"], ["id"]
                ),
            )
        ],
    )
    return {
        "paths": {
            "/api/v1/hsds/": hsds_root_operation,
            "/api/v1/hsds/datapackage.zip": package_operation,
            "/api/v1/locations.geojson": locations_operation,
            "/api/v1/hsds/services": hsds_page,
            "/api/v1/hsds/taxonomies": taxonomies,
            "/api/v1/hsds/taxonomies/{id}": one("getHsdsTaxonomy", "One taxonomy", "HsdsTaxonomy"),
            "/api/v1/hsds/taxonomy_terms": terms,
            "/api/v1/hsds/taxonomy_terms/{id}": one(
                "getHsdsTaxonomyTerm", "One taxonomy term", "HsdsTaxonomyTerm"
            ),
            "/api/v1/hsds/services/{id}": hsds_one,
            "/api/v1/hsds/organizations": organizations,
            "/api/v1/hsds/organizations/{id}": one(
                "getHsdsOrganization",
                "One organization fully nested",
                "HsdsOrganizationFull",
                [full_service],
                " Its locations with their addresses, and its service: the service's own "
                "fields, or fully nested with full_service. (The standard names "
                "compiled/organization.json, which HSDS 3.0 does not ship; organization.json "
                "describes it.)",
            ),
            "/api/v1/hsds/service_at_locations": services_at_locations,
            "/api/v1/hsds/service_at_locations/{id}": one(
                "getHsdsServiceAtLocation",
                "One service_at_location fully nested",
                "HsdsServiceAtLocationFull",
                description=" Its location with addresses and its service fully nested, as "
                "the list gives it with full. (The standard's description; its schema names "
                "compiled/service.json, which is what `service` holds.)",
            ),
        },
        "schemas": hsds_schemas(),
    }


oas.add_paths(open_data_paths)

from . import fhir  # noqa: E402,F401  (its routes join this blueprint)
