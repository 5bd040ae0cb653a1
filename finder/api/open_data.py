"""Open data routes: HSDS 3.0 services (JSON) and FHIR R4 Location search, read-only.

The shapes come from finder.open_data (pure mappers); the queries are here, the nearest
locations from the index search (finder.nearest)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
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
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from .. import open_data as shapes
from ..errors import error_response
from ..extensions import db
from ..geo import KM_PER_MILE
from ..listings import data_version
from ..models import PracticeLocation, Practitioner, Technique, stable_id
from ..validation import decimal_number, hidden_character
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
_NUMBER = r"[+-]?[0-9]+(\.[0-9]+)?"
_UNITS = "|".join(unit.replace("[", r"\[").replace("]", r"\]") for unit in KM_PER_UNIT)
# What `near` looks like (parse_near also takes spaces around the parts and any float spelling).
NEAR_PATTERN = rf"^{_NUMBER}\|{_NUMBER}(\|([0-9]+(\.[0-9]+)?)?(\|({_UNITS}))?)?$"


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


# --- queries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceFilter:
    """What the HSDS /services filters ask: words to find, techniques (None: any; empty: a
    term or taxonomy this directory does not have, so nothing), changed on or after."""

    words: tuple[str, ...] = ()
    techniques: tuple[str, ...] | None = None
    modified_after: dt.datetime | None = None

    def conditions(self) -> list:
        found = [Practitioner.listed]
        for word in self.words:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            found.append(
                or_(
                    Practitioner.name.ilike(pattern, escape="\\"),
                    Practitioner.clinic.ilike(pattern, escape="\\"),
                    Practitioner.credentials.ilike(pattern, escape="\\"),
                    Practitioner.locations.any(PracticeLocation.city.ilike(pattern, escape="\\")),
                )
            )
        if self.techniques is not None:
            found.append(Practitioner.techniques.any(Technique.slug.in_(self.techniques)))
        if self.modified_after is not None:
            found.append(Practitioner.updated_at >= self.modified_after)
        return found


def _services(wanted: ServiceFilter, full: bool):
    loads = [selectinload(Practitioner.techniques), selectinload(Practitioner.pattern_rows)]
    if full:
        loads += [selectinload(Practitioner.language_rows), selectinload(Practitioner.locations)]
    return (
        select(Practitioner).where(*wanted.conditions()).order_by(Practitioner.ref).options(*loads)
    )


def _service_json(p: Practitioner, full: bool) -> dict:
    return shapes.hsds_service(p) if full else shapes.hsds_service_summary(p)


def hsds_service_page(
    session: Session,
    page: int,
    per_page: int,
    wanted: ServiceFilter = ServiceFilter(),
    full: bool = False,
) -> dict:
    """One page of the approved services `wanted` asks for, in the HSDS Page shape, ordered
    by ref; each with its one-to-one fields and organization, or fully nested with `full`."""
    total = session.scalar(
        select(func.count()).select_from(Practitioner).where(*wanted.conditions())
    )
    rows = session.scalars(_services(wanted, full).offset((page - 1) * per_page).limit(per_page))
    return shapes.hsds_page([_service_json(p, full) for p in rows], total, page, per_page)


NDJSON_BATCH = 500


def hsds_service_lines(session: Session, wanted: ServiceFilter, full: bool) -> Iterator[str]:
    """Every approved service `wanted` asks for, one JSON document a line (ndjson), read
    NDJSON_BATCH at a time by ref so that a whole directory streams in bounded memory."""
    after = ""
    while True:
        batch = list(
            session.scalars(
                _services(wanted, full).where(Practitioner.ref > after).limit(NDJSON_BATCH)
            )
        )
        for p in batch:
            yield (
                json.dumps(_service_json(p, full), ensure_ascii=False, separators=(",", ":")) + "\n"
            )
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
    """A UUID in its usual text form, or None when absent; BadRequest otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return str(uuid.UUID(raw.strip()))
    except ValueError:
        raise BadRequest(name, f"{name} must be a UUID.") from None


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
    """Whether `format` asks for ndjson (every result, one a line, no pages) rather than
    json; BadRequest for another format, or for page or per_page beside ndjson."""
    form = request.args.get("format", "json")
    if form not in ("json", "ndjson"):
        raise BadRequest("format", "format must be json or ndjson.")
    if form == "ndjson":
        for name in ("page", "per_page"):
            if name in request.args:
                raise BadRequest(
                    name, "format=ndjson gives every result: leave out page and per_page."
                )
    return form == "ndjson"


def service_filter() -> ServiceFilter:
    """The /services filters of this request; BadRequest names one that cannot be used."""
    search = request.args.get("search", "")
    if len(search) > MAX_SEARCH:
        raise BadRequest("search", f"search must be at most {MAX_SEARCH} characters.")
    if hidden_character(search) is not None:
        raise BadRequest("search", "search holds an invisible or control character.")
    techniques = None
    if (term := uuid_parameter("taxonomy_term_id")) is not None:
        slugs = db.session.scalars(select(Technique.slug))
        terms = {stable_id("technique", slug): slug for slug in slugs}  # as the terms are made
        techniques = (terms[term],) if term in terms else ()
    if (taxonomy := uuid_parameter("taxonomy_id")) is not None:
        if taxonomy != shapes.taxonomy_record()["id"]:
            techniques = ()  # every service here has terms of this directory's taxonomy only
    if request.args.get("organization_id") is not None:
        raise BadRequest(
            "organization_id",
            "organization_id is not supported: each service here is provided by its own "
            "organization, given in the service (organization_id); read /services/{id}.",
        )
    return ServiceFilter(
        words=tuple(search.split()),
        techniques=techniques,
        modified_after=datetime_parameter("modified_after"),
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
    standard's filters (`search`, `taxonomy_term_id`, `taxonomy_id`, `modified_after`),
    fully nested with `full=true`, or all of them as ndjson with `format=ndjson`. A filter
    this directory cannot honour (`organization_id`, `minimal=true`) is refused, never
    ignored."""
    try:
        _known_parameters(SERVICE_PARAMETERS)
        wanted = service_filter()
        full = boolean_parameter("full")
        if boolean_parameter("minimal"):
            raise BadRequest("minimal", "minimal is not supported: ask for pages of services.")
        if ndjson_asked():
            lines = hsds_service_lines(db.session, wanted, full)
            return _streamed(lines, NDJSON)
        page = whole_number("page", 1, 1, MAX_PAGE)
        per_page = whole_number("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    except BadRequest as error:
        return error_response(400, "bad_parameter", error.message, error.field)
    return jsonify(hsds_service_page(db.session, page, per_page, wanted, full))


@bp.get("/api/v1/hsds/services/<service_id>")
def hsds_service(service_id: str):
    """One approved service, fully nested as the HSDS 3.0 compiled service schema has it."""
    practitioner = find_approved_service(db.session, service_id)
    if practitioner is None:
        return error_response(404, "not_found", "No approved service has this id.", "id")
    return jsonify(shapes.hsds_service(practitioner))


GEOJSON_BATCH = 2000


def _bbox() -> tuple[float, float, float, float] | None:
    """bbox=west,south,east,north in degrees (RFC 7946 order), or None; BadRequest otherwise.
    A west beyond the east crosses the 180th meridian."""
    raw = request.args.get("bbox")
    if raw is None:
        return None
    parts = [decimal_number(part) for part in raw.split(",")]
    if len(parts) != 4 or any(part is None for part in parts):
        raise BadRequest("bbox", "bbox must be west,south,east,north in degrees.")
    west, south, east, north = parts
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        raise BadRequest("bbox", "bbox must be west,south,east,north in degrees.")
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
    """The technique taxonomy's terms, in the directory's order of techniques."""
    techniques = db.session.scalars(select(Technique).order_by(Technique.position, Technique.id))
    return [shapes.compact(shapes.taxonomy_term_record(t)) for t in techniques]


def _listing(items: list[dict], known: tuple[str, ...], narrow=None):
    """A small HSDS list (the taxonomy and its terms) paged, searched or as ndjson, after
    the parameters `known` and `narrow(items)` have had their say."""
    try:
        _known_parameters(known)
        words = request.args.get("search", "").casefold().split()
        if narrow is not None:
            items = narrow(items)
        items = [
            item for item in items
            if all(w in f"{item.get('name', '')} {item.get('code', '')}".casefold() for w in words)
        ]  # fmt: skip
        if ndjson_asked():
            lines = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
            return Response(lines, mimetype=NDJSON)
        page = whole_number("page", 1, 1, MAX_PAGE)
        per_page = whole_number("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    except BadRequest as error:
        return error_response(400, "bad_parameter", error.message, error.field)
    shown = items[(page - 1) * per_page : page * per_page]
    return jsonify(shapes.hsds_page(shown, len(items), page, per_page))


@bp.get("/api/v1/hsds/taxonomies")
def hsds_taxonomies():
    """The directory's one taxonomy (its techniques), in the HSDS Page shape."""
    return _listing([shapes.compact(shapes.taxonomy_record())], TAXONOMY_PARAMETERS)


@bp.get("/api/v1/hsds/taxonomies/<taxonomy_id>")
def hsds_taxonomy(taxonomy_id: str):
    record = shapes.compact(shapes.taxonomy_record())
    if taxonomy_id != record["id"]:
        return error_response(404, "not_found", "No taxonomy has this id.", "id")
    return jsonify(record)


@bp.get("/api/v1/hsds/taxonomy_terms")
def hsds_taxonomy_terms():
    """The techniques as taxonomy terms, in the HSDS Page shape; `taxonomy_id` narrows to a
    taxonomy, `top_only` and `parent_id` to the tree's top (every technique is a top term)."""

    def narrow(terms: list[dict]) -> list[dict]:
        taxonomy = uuid_parameter("taxonomy_id")
        if taxonomy is not None and taxonomy != shapes.taxonomy_record()["id"]:
            return []
        boolean_parameter("top_only")  # every term is at the top: true and false alike
        if uuid_parameter("parent_id") is not None:
            return []  # no term has a parent
        return terms

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

_DEG = r"[+-]?[0-9]{1,3}(\.[0-9]+)?"
BBOX_PATTERN = rf"^{_DEG},{_DEG},{_DEG},{_DEG}$"
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
            "The directory's technique taxonomy (taxonomy.json).",
        ),
        "HsdsTaxonomyTerm": _record(
            {
                "id": _uuid(),
                "code": oas.text("The technique's slug."),
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
            {"id": _uuid(), "name": oas.text(), "description": oas.text()}, ["id"]
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
        "HsdsLocation": _record(
            {
                "id": _uuid(),
                "location_type": oas.text(enum=["physical", "virtual"]),
                "organization_id": _uuid(),
                "name": oas.text(),
                "description": oas.text(),
                "latitude": oas.number(minimum=-90, maximum=90),
                "longitude": oas.number(minimum=-180, maximum=180),
                "url": oas.text(),
                "addresses": _array(oas.ref("HsdsAddress")),
            },
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
    hsds_page = oas.operation(
        "listHsdsServices",
        "Approved services in HSDS 3.0",
        "A page of approved services (HSDS Page shape), ordered by ref." + standard,
        oas.ok("A page of services.", oas.ref("HsdsServicePage")),
        parameters=[
            oas.query(
                "page",
                oas.integer(minimum=1, maximum=MAX_PAGE, default=1),
                "Page number; a page after the last is empty.",
            ),
            oas.query(
                "per_page",
                oas.integer(minimum=1, maximum=MAX_PER_PAGE, default=DEFAULT_PER_PAGE),
                "Services per page; out-of-range values are refused, not clamped.",
            ),
            oas.query(
                "search",
                oas.text(maxLength=MAX_SEARCH),
                "Words that must each appear (any case) in the name, credentials, clinic or "
                "a location's city; control and invisible characters are refused.",
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
                "Only services with a term of this taxonomy: this directory's technique "
                "taxonomy finds every service, any other UUID none.",
            ),
            oas.query(
                "modified_after",
                oas.text(format="date-time"),
                "Only services whose listing changed on or after this ISO 8601 date or "
                "date-time (UTC unless an offset is given); compare `last_modified`.",
            ),
            oas.query("full", oas.boolean(), "true: each service fully nested, as /services/{id}."),
            oas.query(
                "format",
                oas.text(enum=["json", "ndjson"]),
                "ndjson: every matching service, one JSON document a line, without pages "
                "(leave out page and per_page).",
            ),
        ],
        errors=[
            (
                "400",
                oas.error(
                    "A parameter that cannot be used (not a whole number in range, not a UUID, "
                    "not a date, a filter this directory does not support such as "
                    "organization_id or minimal, an unknown one); `field` names it.",
                    ["bad_parameter"],
                ),
            )
        ],
    )
    hsds_page["get"]["responses"]["200"]["content"][NDJSON] = {"schema": oas.text()}
    paging = [
        oas.query("search", oas.text(maxLength=MAX_SEARCH), "Words that must each appear."),
        oas.query("page", oas.integer(minimum=1, maximum=MAX_PAGE, default=1), "Page number."),
        oas.query(
            "per_page",
            oas.integer(minimum=1, maximum=MAX_PER_PAGE, default=DEFAULT_PER_PAGE),
            "Items per page.",
        ),
        oas.query(
            "format",
            oas.text(enum=["json", "ndjson"]),
            "ndjson: every item, one a line, without pages.",
        ),
    ]
    refused = [
        (
            "400",
            oas.error("A parameter that cannot be used; `field` names it.", ["bad_parameter"]),
        )
    ]

    def listing(operation_id: str, summary: str, item_page: str, parameters: list) -> dict:
        found = oas.operation(
            operation_id,
            summary,
            summary + "." + standard,
            oas.ok(summary + ".", oas.ref(item_page)),
            parameters=parameters,
            errors=refused,
        )
        found["get"]["responses"]["200"]["content"][NDJSON] = {"schema": oas.text()}
        return found

    def one(operation_id: str, summary: str, item: str) -> dict:
        return oas.operation(
            operation_id,
            summary,
            summary + "." + standard,
            oas.ok(summary + ".", oas.ref(item)),
            parameters=[
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "description": "The id, as in the list; anything else is a 404.",
                    "schema": _uuid(),
                }
            ],
            errors=[("404", oas.error("No such id.", ["not_found"], ["id"]))],
        )

    taxonomies = listing(
        "listHsdsTaxonomies", "The taxonomies (one: the techniques)", "HsdsTaxonomyPage", paging
    )
    terms = listing(
        "listHsdsTaxonomyTerms",
        "The techniques as taxonomy terms",
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
                "west,south,east,north in degrees (a west beyond the east crosses 180°).",
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
        },
        "schemas": hsds_schemas(),
    }


oas.add_paths(open_data_paths)

from . import fhir  # noqa: E402,F401  (its routes join this blueprint)
