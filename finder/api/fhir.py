"""The FHIR R4 (4.0.1) directory under /fhir, read-only: the CapabilityStatement, reads of
Practitioner, PractitionerRole, Location and Organization, and searches of Location by
distance, PractitionerRole by technique and place, Practitioner by name.

Searches follow the FHIR search rules: a page of `_count` entries with `total` and
self/next/previous links (`_offset` in those links says where a page starts); a parameter
this server does not support is left out of the self link, or refused with 400 when the
client sends `Prefer: handling=strict`. Every error is an OperationOutcome (also those of
the site's error handlers, finder.errors). The routes join the open data blueprint, so they
share its ETag, CORS and rate limit."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .. import nearest
from .. import open_data as shapes
from ..extensions import db
from ..links import site_url
from ..models import (
    PracticeLocation,
    Practitioner,
    Technique,
)
from ..nearest import DEFAULT_RADIUS_KM, Filters
from ..validation import HIDDEN_CLASS, control_character, decimal_number, text_pattern
from . import openapi as oas
from .open_data import (
    DEFAULT_COUNT,
    FHIR_JSON,
    KM_PER_UNIT,
    MAX_COUNT,
    MAX_DISTANCE,
    NEAR_PATTERN,
    BadRequest,
    _array,
    _record,
    _uuid,
    bp,
    fhir_error,
    fhir_response,
    listings_of,
    loaded,
)

CAPABILITIES_DATE = "2026-12-02"  # when what the FHIR API supports last changed
MAX_OFFSET = 1_000_000  # the farthest a page may start (a deeper harvest: the HSDS NDJSON)
MAX_NAME = 200
INCLUDES = ("PractitionerRole:practitioner", "PractitionerRole:location")
# A search parameter's text: something to read, no control or invisible characters.
TEXT_PATTERN = text_pattern(HIDDEN_CLASS)
ID_PATTERN = "^[A-Za-z0-9.-]{1,64}$"  # FHIR's id
RESULT_PARAMETERS = ("_count", "_offset")
# Record kinds (finder.models.RECORD_KINDS) of the resources a read can ask for.
READABLE = {
    "Practitioner": "practitioner",
    "PractitionerRole": "practitioner-role",
    "Location": "location",
    "Organization": "organization",
}


def fhir_base() -> str:
    return site_url("/fhir")


# --- parameters ------------------------------------------------------------------------


def _finite(text: str, what: str, name: str) -> float:
    value = decimal_number(text)
    if value is None:
        raise BadRequest(name, f"{name}: {what} “{text}” is not a finite number.")
    return value


def parse_near(text: str, name: str = "near") -> tuple[float, float, float]:
    """latitude|longitude[|distance[|units]] -> (lat, lon, radius in km), or BadRequest.

    Units are UCUM codes: km (the default), m or [mi_i]; without a distance, 100 km. What
    is taken is exactly what NEAR_PATTERN (the document's) describes; the checks before it
    only say better what is wrong."""
    parts = text.split("|")
    if not 2 <= len(parts) <= 4:
        raise BadRequest(name, f"{name} must be latitude|longitude|distance|units.")
    lat = _finite(parts[0], "latitude", name)
    lon = _finite(parts[1], "longitude", name)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest(name, f"{name}: latitude must be -90..90 and longitude -180..180.")
    unit = parts[3] if len(parts) == 4 and parts[3] else "km"
    if unit not in KM_PER_UNIT:
        raise BadRequest(name, f"{name}: units must be one of {', '.join(KM_PER_UNIT)}.")
    distance = _finite(parts[2], "distance", name) if len(parts) > 2 and parts[2] else None
    if distance is not None and not 0 < distance <= MAX_DISTANCE[unit]:
        raise BadRequest(
            name, f"{name}: distance must be above 0 and at most {MAX_DISTANCE[unit]} {unit}."
        )
    if not re.fullmatch(NEAR_PATTERN, text):
        raise BadRequest(
            name, f"{name} must be plain decimals without spaces, e.g. 30.27|-97.74|50|km."
        )
    radius_km = DEFAULT_RADIUS_KM if distance is None else distance * KM_PER_UNIT[unit]
    return lat, lon, radius_km


def _whole(name: str, raw: str, low: int, high: int) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not low <= int(raw) <= high:
        raise BadRequest(name, f"{name} must be a whole number from {low} to {high}.")
    return int(raw)


@dataclass
class SearchParameters:
    """A search's parameters: those this server applies, in the order given (the self link
    repeats them), and the page asked for."""

    applied: list[tuple[str, str]] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.applied if key == name]

    def link(self, offset: int) -> str:
        """This search's URL for the page starting at offset."""
        query = [(k, v) for k, v in self.applied if k not in RESULT_PARAMETERS]
        query.append(("_count", str(self.count)))
        if offset:
            query.append(("_offset", str(offset)))
        return f"{fhir_base()}/{request.view_args['resource_type']}?{urlencode(query)}"

    def links(self, total: int) -> list[tuple[str, str]]:
        links = [("self", self.link(self.offset))]
        if self.offset + self.count < total:
            links.append(("next", self.link(self.offset + self.count)))
        if self.offset > 0:
            links.append(("previous", self.link(max(0, self.offset - self.count))))
        return links


def _strict() -> bool:
    """The client asked that unsupported parameters be refused (FHIR's Prefer header)."""
    preferences = request.headers.get("Prefer", "").replace(" ", "").lower().split(",")
    return "handling=strict" in preferences


def search_parameters(supported: dict[str, Callable[[str], None]]) -> SearchParameters:
    """The request's parameters, each checked by its function in `supported` (which raises
    BadRequest); others are dropped, or refused under Prefer: handling=strict."""
    wanted = SearchParameters()
    strict = _strict()
    for name, value in request.args.items(multi=True):
        if name == "_count":
            wanted.count = _whole(name, value, 1, MAX_COUNT)
        elif name == "_offset":
            wanted.offset = _whole(name, value, 0, MAX_OFFSET)
        elif name == "_include" and value not in INCLUDES and not strict:
            continue  # an include this server does not do: dropped like any other
        elif name in supported:
            if not value.strip():
                raise BadRequest(name, f"{name} is empty.")
            if control_character(value):
                raise BadRequest(name, f"{name} holds a control or invisible character.")
            supported[name](value)
        elif strict:
            raise BadRequest(name, f"{name}={value} is not supported by this server.")
        else:
            continue
        wanted.applied.append((name, value))
    return wanted


def _check_include(value: str) -> None:
    if value not in INCLUDES:
        raise BadRequest("_include", f"_include must be one of {', '.join(INCLUDES)}.")


def _at_most(name: str, length: int = MAX_NAME) -> Callable[[str], None]:
    def check(value: str) -> None:
        if len(value) > length:
            raise BadRequest(name, f"{name} is longer than {length} characters.")

    return check


def reference_pattern(resource_type: str) -> str:
    """What a reference parameter may be: `<id>`, `Type/<id>`, or a URL ending so."""
    return rf"^(?:https?://[!-~]*/fhir/)?(?:{resource_type}/)?({ID_PATTERN[1:-1]})$"


def _reference_id(value: str, resource_type: str, name: str) -> str:
    """The id of a reference parameter's value (reference_pattern), or BadRequest."""
    found = re.fullmatch(reference_pattern(resource_type), value)
    if found is None:
        raise BadRequest(name, f"{name} must be {resource_type}/<id>.")
    return found.group(1)


# --- queries ---------------------------------------------------------------------------


def read_resource(session: Session, resource_type: str, resource_id: str) -> dict | None:
    """The resource of this type and id, as the API shows it, or None."""
    kind = READABLE[resource_type]
    for p, place in listings_of(session, kind, resource_id):
        if resource_type == "Location":
            organization = shapes.location_organization(p, shapes.on_server)
            return shapes.fhir_location(p, place, p.locations[place], organization)
        if resource_type == "PractitionerRole":
            return shapes.fhir_practitioner_role(p, shapes.on_server)
        if resource_type == "Practitioner":
            return shapes.fhir_practitioner(p)
        return shapes.fhir_organization(p)
    return None


@dataclass(frozen=True)
class NearbyLocation:
    """An approved practice location and its great-circle distance from the search point."""

    practitioner: Practitioner
    index: int
    location: PracticeLocation
    distance_km: float


def _by_id(session: Session, ids) -> dict[int, Practitioner]:
    found = session.scalars(
        select(Practitioner).where(Practitioner.id.in_(ids), Practitioner.listed).options(*loaded())
    )
    return {p.id: p for p in found}


def locations_within(
    session: Session, near: tuple[float, float, float], offset: int, count: int
) -> tuple[int, list[NearbyLocation]]:
    """How many approved locations lie within the distance, and a page of them, nearest
    first. Reads the search index (finder.nearest): one row per approved location."""
    lat, lon, radius_km = near
    ranked = nearest.locations_within(session, lat, lon, radius_km)
    chosen = ranked[offset : offset + count]
    listings = _by_id(session, {row.practitioner_id for row in chosen})
    found = []
    for row in chosen:
        p = listings.get(row.practitioner_id)
        place = next((i for i, loc in enumerate(p.locations) if loc.id == row.location_id), None)
        if p is not None and place is not None:
            found.append(NearbyLocation(p, place, p.locations[place], row.distance_km))
    return len(ranked), found


def _technique_slugs(values: list[str]) -> list[set[str]]:
    """Each specialty parameter as the slugs it accepts (any of them): `slug` or
    `system|slug`; a code of another system accepts none."""
    wanted = []
    for value in values:
        slugs = set()
        for token in value.split(","):
            system, _, code = token.strip().rpartition("|")
            if system in ("", shapes.TECHNIQUE_SYSTEM):
                slugs.add(code)
        wanted.append(slugs)
    return wanted


def _role_conditions(session: Session, wanted: SearchParameters) -> list | None:
    """SQL conditions of a PractitionerRole search's parameters (but location.near); None
    when they cannot match anything."""
    conditions = [Practitioner.listed]
    for slugs in _technique_slugs(wanted.values("specialty")):
        if not slugs:
            return None
        conditions.append(Practitioner.techniques.any(Technique.slug.in_(slugs)))
    for kind, name in (("practitioner", "practitioner"), ("location", "location")):
        for value in wanted.values(name):
            resource_type = "Practitioner" if kind == "practitioner" else "Location"
            listings = listings_of(session, kind, _reference_id(value, resource_type, name))
            if not listings:
                return None
            conditions.append(Practitioner.id == listings[0][0].id)
    return conditions


def role_search(
    session: Session, wanted: SearchParameters
) -> tuple[int, list[tuple[Practitioner, float | None]]]:
    """A PractitionerRole search: the total and a page of (listing, distance or None)."""
    conditions = _role_conditions(session, wanted)
    if conditions is None:
        return 0, []
    nears = wanted.values("location.near")
    if not nears:
        total = session.scalar(select(func.count()).select_from(Practitioner).where(*conditions))
        page = session.scalars(
            select(Practitioner)
            .where(*conditions)
            .order_by(Practitioner.ref)
            .offset(wanted.offset)
            .limit(wanted.count)
            .options(*loaded())
        )
        return total, [(p, None) for p in page]
    lat, lon, radius_km = parse_near(nears[-1], "location.near")
    slugs = _technique_slugs(wanted.values("specialty"))
    # Any-of within one parameter; several parameters are all checked again in SQL below.
    filters = Filters(techniques=tuple(sorted(slugs[0]))) if slugs else Filters()
    hood = nearest.Neighbourhood(session, lat, lon, filters, limit=nearest.EVERY_ROW)
    hood.read(radius_km)
    nearest_first: dict[int, float] = {}
    for row in hood.rows:
        if row.distance_km <= radius_km and row.practitioner_id not in nearest_first:
            nearest_first[row.practitioner_id] = row.distance_km
    if len(conditions) > 1 + bool(slugs):  # more than listed + the first specialty
        allowed = set(
            session.scalars(
                select(Practitioner.id).where(Practitioner.id.in_(nearest_first), *conditions)
            )
        )
        nearest_first = {pid: km for pid, km in nearest_first.items() if pid in allowed}
    ids = list(nearest_first)
    chosen = ids[wanted.offset : wanted.offset + wanted.count]
    listings = _by_id(session, chosen)
    page = [(listings[pid], nearest_first[pid]) for pid in chosen if pid in listings]
    return len(ids), page


def _name_condition(value: str, modifier: str):
    if modifier == "exact":
        return Practitioner.name == value
    conditions = []
    for word in value.split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if modifier == "contains":
            conditions.append(Practitioner.name.ilike(f"%{escaped}%", escape="\\"))
        else:
            conditions.append(
                or_(
                    Practitioner.name.ilike(f"{escaped}%", escape="\\"),
                    Practitioner.name.ilike(f"% {escaped}%", escape="\\"),
                    Practitioner.name.ilike(f"%-{escaped}%", escape="\\"),
                )
            )
    return conditions


def practitioner_search(session: Session, wanted: SearchParameters) -> tuple[int, list]:
    """A Practitioner search by name: the total and a page, by name."""
    conditions = [Practitioner.listed]
    for name, value in wanted.applied:
        if name.startswith("name"):
            found = _name_condition(value, name.partition(":")[2])
            conditions.extend(found if isinstance(found, list) else [found])
    total = session.scalar(select(func.count()).select_from(Practitioner).where(*conditions))
    page = session.scalars(
        select(Practitioner)
        .where(*conditions)
        .order_by(Practitioner.name, Practitioner.id)
        .offset(wanted.offset)
        .limit(wanted.count)
        .options(*loaded())
    )
    return total, list(page)


# --- routes ----------------------------------------------------------------------------


@bp.get("/fhir/metadata")
def fhir_metadata():
    """The CapabilityStatement: exactly what this FHIR API supports."""
    return fhir_response(shapes.capability_statement(fhir_base(), CAPABILITIES_DATE))


def _near_check(name: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        parse_near(value, name)

    return check


SEARCHES = {
    "Location": {"near": _near_check("near")},
    "PractitionerRole": {
        "specialty": _at_most("specialty"),
        "location": lambda value: _reference_id(value, "Location", "location") and None,
        "location.near": _near_check("location.near"),
        "practitioner": lambda value: _reference_id(value, "Practitioner", "practitioner") and None,
        "_include": _check_include,
    },
    "Practitioner": {name: _at_most(name) for name in ("name", "name:contains", "name:exact")},
}


def _location_bundle(session: Session, wanted: SearchParameters) -> dict:
    nears = wanted.values("near")
    if not nears:
        raise BadRequest("near", "near (latitude|longitude|distance|units) is required.")
    total, nearby = locations_within(session, parse_near(nears[-1]), wanted.offset, wanted.count)
    entries = []
    for n in nearby:
        organization = shapes.location_organization(n.practitioner, shapes.on_server)
        resource = shapes.fhir_location(n.practitioner, n.index, n.location, organization)
        entries.append(shapes.search_entry(resource, fhir_base(), distance_km=n.distance_km))
    return shapes.searchset(total, entries, wanted.links(total))


def _role_bundle(session: Session, wanted: SearchParameters) -> dict:
    total, page = role_search(session, wanted)
    base = fhir_base()
    entries, included = [], {}
    includes = set(wanted.values("_include"))
    for p, distance_km in page:
        role = shapes.fhir_practitioner_role(p, shapes.on_server)
        entries.append(shapes.search_entry(role, base, distance_km=distance_km))
        extra = []
        if "PractitionerRole:practitioner" in includes:
            extra.append(shapes.fhir_practitioner(p))
        if "PractitionerRole:location" in includes:
            organization = shapes.location_organization(p, shapes.on_server)
            extra += [
                shapes.fhir_location(p, i, loc, organization) for i, loc in enumerate(p.locations)
            ]
        for resource in extra:
            key = (resource["resourceType"], resource["id"])
            included.setdefault(key, shapes.search_entry(resource, base, mode="include"))
    return shapes.searchset(total, entries + list(included.values()), wanted.links(total))


def _practitioner_bundle(session: Session, wanted: SearchParameters) -> dict:
    total, page = practitioner_search(session, wanted)
    base = fhir_base()
    entries = [shapes.search_entry(shapes.fhir_practitioner(p), base) for p in page]
    return shapes.searchset(total, entries, wanted.links(total))


BUNDLES = {
    "Location": _location_bundle,
    "PractitionerRole": _role_bundle,
    "Practitioner": _practitioner_bundle,
}


def fhir_search(resource_type: str):
    """A search of one resource type, as a searchset Bundle (one page)."""
    try:
        wanted = search_parameters(SEARCHES[resource_type])
        return fhir_response(BUNDLES[resource_type](db.session, wanted))
    except BadRequest as error:
        code = "not-supported" if "not supported" in error.message else "invalid"
        if error.message.endswith("is required."):
            code = "required"
        return fhir_error(400, code, error.message)


def fhir_read(resource_type: str, resource_id: str):
    """One resource by its id (the id in a search's entries and references)."""
    resource = read_resource(db.session, resource_type, resource_id)
    if resource is None:
        return fhir_error(404, "not-found", f"No {resource_type} has the id “{resource_id}”.")
    return fhir_response(resource)


# One rule a path (not a converter over the types), so each is a path of the OpenAPI document.
for _type in BUNDLES:
    bp.add_url_rule(
        f"/fhir/{_type}", f"fhir_search_{_type}", fhir_search, defaults={"resource_type": _type}
    )
for _type in READABLE:
    bp.add_url_rule(
        f"/fhir/{_type}/<resource_id>",
        f"fhir_read_{_type}",
        fhir_read,
        defaults={"resource_type": _type},
    )


# --- OpenAPI ---------------------------------------------------------------------------

STANDARD = (
    " Cached and limited like the rest of the API: an ETag (304 for If-None-Match), "
    "readable from any origin (CORS), rate-limited per client address (429 with "
    "Retry-After, an OperationOutcome); see docs/open-data.md."
)
PAGING = [
    oas.query(
        "_count",
        oas.integer(minimum=1, maximum=MAX_COUNT, default=DEFAULT_COUNT),
        "Entries a page at most (`total` counts every match).",
    ),
    oas.query(
        "_offset",
        oas.integer(minimum=0, maximum=MAX_OFFSET, default=0),
        "Where the page starts: the `next` and `previous` links set it.",
    ),
]
NEAR_DESCRIPTION = (
    f"latitude|longitude|distance|units (FHIR `near`); units are UCUM codes "
    f"{', '.join(KM_PER_UNIT)} (default km); without a distance, {DEFAULT_RADIUS_KM:g} km; "
    f"at most {', '.join(f'{most} {unit}' for unit, most in MAX_DISTANCE.items())}; plain "
    "decimals without spaces."
)


def _outcome(description: str, headers: dict | None = None) -> dict:
    response = {
        "description": description,
        "content": oas.json_content(oas.ref("FhirOperationOutcome"), FHIR_JSON),
    }
    if headers:
        response["headers"] = headers
    return response


def _fhir_operation(operation_id: str, summary: str, description: str, schema: str,
                    parameters=(), errors=()) -> dict:  # fmt: skip
    """A FHIR GET: its 200 and errors are FHIR JSON, 429 an OperationOutcome too."""
    found = oas.operation(
        operation_id,
        summary,
        description + STANDARD,
        oas.ok(summary + ".", oas.ref(schema), media_type=FHIR_JSON),
        parameters=parameters,
        errors=errors,
    )
    found["get"]["responses"]["429"] = _outcome(
        "Rate limit reached (code throttled); wait Retry-After seconds.",
        {"Retry-After": oas.ref("Retry-After", "headers")},
    )
    return found


def _reference_schema() -> dict:
    return _record(
        {
            "reference": oas.text("Type/<id>, relative to the FHIR base."),
            "type": oas.text(),
            "display": oas.text(),
        },
        ["reference"],
    )


def _search_parameter_of(name: str, description: str, **schema) -> dict:
    """A text search parameter: at most MAX_NAME characters of TEXT_PATTERN, unless told
    otherwise (None: no such rule)."""
    rules = {"maxLength": MAX_NAME, "pattern": TEXT_PATTERN} | schema
    rules = {key: value for key, value in rules.items() if value is not None}
    return oas.query(name, oas.text(minLength=1, **rules), description)


def _reference_parameter(name: str, resource_type: str) -> dict:
    return _search_parameter_of(
        name,
        f"{resource_type}/<id>, the id alone, or its URL under /fhir/.",
        maxLength=None,
        pattern=reference_pattern(resource_type),
    )


def fhir_schemas() -> dict:
    """The FHIR R4 resources the directory answers with, as far as it fills them (FHIR
    allows more, so the objects are open)."""
    coding = _record({"system": oas.text(), "code": oas.text(), "display": oas.text()}, [])
    concept = _record({"coding": _array(coding), "text": oas.text()}, [])
    telecom = _record({"system": oas.text(), "value": oas.text(), "use": oas.text()}, [])
    extension = _record({"url": oas.text()}, ["url"])

    def resource(kind: str, properties: dict, required=(), description: str = "") -> dict:
        return _record(
            {"resourceType": oas.text(const=kind), "id": _uuid(), **properties},
            ["resourceType", "id", *required],
            description,
        )

    return {
        "FhirLocation": resource(
            "Location",
            {
                "status": oas.text(const="active"),
                "mode": oas.text(const="instance"),
                "name": oas.text("Clinic and city."),
                "address": _record(
                    {
                        "use": oas.text(),
                        "type": oas.text(),
                        "text": oas.text(),
                        "line": _array(oas.text(), minItems=1),
                        "city": oas.text(),
                        "state": oas.text(),
                        "postalCode": oas.text(),
                        "country": oas.text(),
                    },
                    [],
                ),
                "position": _record(
                    {
                        "longitude": oas.number(minimum=-180, maximum=180),
                        "latitude": oas.number(minimum=-90, maximum=90),
                    },
                    ["longitude", "latitude"],
                ),
                "managingOrganization": _reference_schema(),
            },
            ["position"],
            "An approved practice location.",
        ),
        "FhirOrganization": resource(
            "Organization",
            {"active": oas.boolean(), "type": _array(concept), "name": oas.text()},
            ["name"],
            "The clinic, or the practitioner's own practice.",
        ),
        "FhirPractitioner": resource(
            "Practitioner",
            {
                "active": oas.boolean(),
                "identifier": _array(_record({"system": oas.text(), "value": oas.text()}, [])),
                "name": _array(
                    _record(
                        {
                            "use": oas.text(),
                            "text": oas.text(),
                            "family": oas.text(),
                            "given": _array(oas.text()),
                        },
                        ["text"],
                    )
                ),
                "telecom": _array(telecom),
                "qualification": _array(_record({"code": concept}, ["code"])),
                "communication": _array(concept),
            },
            ["name"],
            "The practitioner: identifiers, name (family and given where known), contact.",
        ),
        "FhirPractitionerRole": resource(
            "PractitionerRole",
            {
                "extension": _array(extension),
                "active": oas.boolean(),
                "practitioner": _reference_schema(),
                "organization": _reference_schema(),
                "location": _array(_reference_schema()),
                "specialty": _array(concept),
                "telecom": _array(telecom),
            },
            ["practitioner"],
            "What the practitioner offers (techniques as specialty codes) and where.",
        ),
        "FhirBundle": _record(
            {
                "resourceType": oas.text(const="Bundle"),
                "type": oas.text(const="searchset"),
                "total": oas.integer("Every match, not only those in `entry`.", minimum=0),
                "link": _array(
                    _record(
                        {
                            "relation": oas.text(enum=["self", "next", "previous"]),
                            "url": oas.text(format="uri"),
                        },
                        ["relation", "url"],
                    ),
                    minItems=1,
                ),
                "entry": _array(
                    _record(
                        {
                            "fullUrl": oas.text(format="uri"),
                            "resource": _record(
                                {"resourceType": oas.text(), "id": _uuid()},
                                ["resourceType", "id"],
                            ),
                            "search": _record(
                                {
                                    "mode": oas.text(enum=["match", "include"]),
                                    "extension": _array(extension),
                                },
                                ["mode"],
                            ),
                        },
                        ["fullUrl", "resource", "search"],
                    ),
                    minItems=1,
                    description="This page's matches (nearest first for a distance search), "
                    "then what _include brought; left out when empty (FHIR has no empty "
                    "arrays).",
                ),
            },
            ["resourceType", "type", "total", "link"],
            "A searchset Bundle: one page of a search.",
        ),
        "FhirCapabilityStatement": _record(
            {
                "resourceType": oas.text(const="CapabilityStatement"),
                "fhirVersion": oas.text(const="4.0.1"),
                "rest": _array(_record({"mode": oas.text(const="server")}, ["mode"])),
            },
            ["resourceType", "fhirVersion", "rest"],
            "What this FHIR API supports.",
        ),
        "FhirOperationOutcome": _record(
            {
                "resourceType": oas.text(const="OperationOutcome"),
                "issue": _array(
                    _record(
                        {
                            "severity": oas.text(enum=["fatal", "error", "warning", "information"]),
                            "code": oas.text("e.g. required, invalid, not-found."),
                            "diagnostics": oas.text("What went wrong, for people."),
                        },
                        ["severity", "code"],
                    ),
                    minItems=1,
                ),
            },
            ["resourceType", "issue"],
            "A FHIR error.",
        ),
    }


def fhir_paths() -> dict:
    """The FHIR operations for /openapi.json."""
    refused = _outcome(
        "A parameter that cannot be used (code invalid or required), or one this server "
        "does not support under Prefer: handling=strict (code not-supported)."
    )
    searches = {
        "Location": _fhir_operation(
            "searchFhirLocations",
            "FHIR Location search by distance",
            "Approved practice locations within the distance, nearest first; each entry's "
            "search carries the location-distance extension in km.",
            "FhirBundle",
            [
                {
                    "name": "near",
                    "in": "query",
                    "required": True,
                    "description": NEAR_DESCRIPTION,
                    "schema": oas.text(pattern=NEAR_PATTERN),
                    "example": "30.2672|-97.7431|50|km",
                },
                *PAGING,
            ],
            [("400", refused)],
        ),
        "PractitionerRole": _fhir_operation(
            "searchFhirPractitionerRoles",
            "FHIR PractitionerRole search by technique and place",
            "Roles of approved practitioners (one each): by technique (`specialty`), near a "
            "point (`location.near`, nearest first by their nearest location, with its "
            "distance), at a Location or of a Practitioner; _include brings their "
            "Practitioner and Locations.",
            "FhirBundle",
            [
                _search_parameter_of(
                    "specialty",
                    f"A technique slug or {shapes.TECHNIQUE_SYSTEM}|slug; commas for any of "
                    "several.",
                ),
                {
                    "name": "location.near",
                    "in": "query",
                    "required": False,
                    "description": "Chained Location near: " + NEAR_DESCRIPTION,
                    "schema": oas.text(pattern=NEAR_PATTERN),
                    "example": "30.2672|-97.7431|50|km",
                },
                _reference_parameter("location", "Location"),
                _reference_parameter("practitioner", "Practitioner"),
                oas.query(
                    "_include",
                    oas.text(examples=list(INCLUDES)),
                    f"{' or '.join(INCLUDES)}: also return the roles' Practitioner or "
                    "Locations (search mode include). Another value is left out of the self "
                    "link like an unsupported parameter (refused under Prefer: "
                    "handling=strict).",
                ),
                *PAGING,
            ],
            [("400", refused)],
        ),
        "Practitioner": _fhir_operation(
            "searchFhirPractitioners",
            "FHIR Practitioner search by name",
            "Approved practitioners whose name has words beginning with each word given "
            "(any case), by name.",
            "FhirBundle",
            [
                _search_parameter_of("name", "Words of the name."),
                _search_parameter_of("name:contains", "Text anywhere in the name."),
                _search_parameter_of("name:exact", "The whole name as listed."),
                *PAGING,
            ],
            [("400", refused)],
        ),
    }
    reads = {
        kind: _fhir_operation(
            f"readFhir{kind}",
            f"One FHIR {kind}",
            f"The {kind} with this id, as searches and references give it.",
            f"Fhir{kind}",
            [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "description": "The resource id.",
                    "schema": oas.text(pattern=ID_PATTERN),
                }
            ],
            [("404", _outcome("No such resource (code not-found)."))],
        )
        for kind in READABLE
    }
    paths = {f"/fhir/{kind}": operation for kind, operation in searches.items()}
    paths |= {f"/fhir/{kind}/{{id}}": operation for kind, operation in reads.items()}
    paths["/fhir/metadata"] = _fhir_operation(
        "getFhirCapabilities",
        "What the FHIR API supports",
        "A FHIR R4 (4.0.1) CapabilityStatement listing exactly the reads and searches above.",
        "FhirCapabilityStatement",
    )
    return {"paths": paths, "schemas": fhir_schemas()}


oas.add_paths(fhir_paths)
