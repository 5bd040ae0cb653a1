"""The OpenAPI 3.1 document of the JSON API, built from the constants the code checks (no Flask).

The search's parameters come from their one declaration (finder.search_params.SEARCH_PARAMETERS),
which also reads them; other limits from the modules that enforce them (finder.nearest,
finder.models), so the document follows the behaviour. Other parts of the API (the HSDS and
FHIR endpoints) add their own paths through `add_paths`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..details import ACCEPTING, ACCESS, APPROACHES, DETAILS, DIAGNOSTICS, GROUPS, VOLUMES
from ..models import MAX_ID, PATTERNS
from ..search_params import (  # noqa: F401  (DEFAULT_PER_PAGE, MIN_RADIUS: as the API documents them)
    DEFAULT_PER_PAGE,
    MAX_PAGE,
    MAX_PER_PAGE,
    MIN_RADIUS,
    PARAMETER_NAMES,
    openapi_parameters,
)
from ..vetting import CHECKLIST

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
PREFIX = "/api/v1"
CACHE_SECONDS = 60
COUNTRY_PATTERN = "^[A-Z]{2}$"
LANGUAGE_PATTERN = "^[a-z]{2}$"
SLUG_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"
TRAVEL_MODES = ["drive", "flight"]

PathProvider = Callable[[], dict]
_providers: list[PathProvider] = []


def add_paths(provider: PathProvider) -> PathProvider:
    """Merge provider() -> {"paths": {...}, "schemas": {...}} into every document built.

    The hook for endpoints documented elsewhere (HSDS, FHIR); usable as a decorator. Paths are
    full paths ("/api/v1/hsds/services"); schemas land in components.schemas. Build operations
    with `operation`, `ok` and `error` here to get the shared 304/429 answers and headers."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def remove_paths(provider: PathProvider) -> None:
    """Stop merging a provider's paths (for tests)."""
    if provider in _providers:
        _providers.remove(provider)


# --- small builders ---------------------------------------------------------------------------


def ref(name: str, kind: str = "schemas") -> dict:
    """A $ref to a component."""
    return {"$ref": f"#/components/{kind}/{name}"}


def nullable(schema: dict) -> dict:
    """The schema, or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict, required: list[str] | None = None, description: str = "") -> dict:
    """A closed object schema; every property is required unless `required` says otherwise."""
    schema = {
        "type": "object",
        "required": list(properties) if required is None else required,
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def text(description: str = "", **extra) -> dict:
    """A string schema."""
    return {"type": "string", **({"description": description} if description else {}), **extra}


def number(description: str = "", **extra) -> dict:
    """A number schema."""
    return {"type": "number", **({"description": description} if description else {}), **extra}


def integer(description: str = "", **extra) -> dict:
    """An integer schema."""
    return {"type": "integer", **({"description": description} if description else {}), **extra}


def boolean(description: str = "") -> dict:
    """A boolean schema."""
    return {"type": "boolean", **({"description": description} if description else {})}


def query(name: str, schema: dict, description: str, **extra) -> dict:
    """An optional query parameter."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **extra,
    }


def _whole_numbers_below(limit: int) -> list[str]:
    """Alternatives of a regular expression for the whole numbers 1 to limit - 1, written
    without leading zeros (e.g. 90: [1-9], [1-8][0-9])."""
    digits = str(limit)
    found = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for place, digit in enumerate(digits):
        lowest = "1" if place == 0 else "0"
        if digit > lowest:
            rest = len(digits) - place - 1
            found.append(f"{digits[:place]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    return found


def decimal_pattern(limit: int, *, signed: bool = False, zero: bool = True) -> str:
    """A regular expression (no anchors) for a decimal number at most `limit` (a whole
    number) in size, written plainly: an optional sign when `signed`, no leading zeros, an
    optional fraction. `zero=False` leaves out zero itself ('0', '0.00')."""
    below = [*_whole_numbers_below(limit), *(["0"] if zero else [])]
    fractions = [rf"{limit}(?:\.0+)?", r"0\.[0-9]*[1-9][0-9]*"]
    if below:
        fractions.insert(0, rf"(?:{'|'.join(below)})(?:\.[0-9]+)?")
    return ("[+-]?" if signed else "") + "(?:" + "|".join(fractions) + ")"


def json_content(schema: dict, media_type: str = "application/json") -> dict:
    """A JSON body of this schema (application/json unless told, e.g. application/fhir+json)."""
    return {media_type: {"schema": schema}}


# --- parameters -------------------------------------------------------------------------------


def search_parameters() -> list[dict]:
    """The query parameters of /search, from their one declaration (finder.search_params)."""
    return openapi_parameters()


def search_parameter_names() -> list[str]:
    """What the `field` of a 400 from /search can name."""
    return list(PARAMETER_NAMES)


# --- schemas ----------------------------------------------------------------------------------


def technique_slug_schema(slugs: list[str]) -> dict:
    """The known technique slugs, or their shape when the directory has none yet."""
    if slugs:
        return text("A technique slug.", enum=list(slugs))
    return text("A technique slug.", pattern=SLUG_PATTERN)


VETTING_CHECKS = {
    "type": "array",
    "items": text(enum=list(CHECKLIST)),
    "description": "What the latest approval checked (empty: imported from a vetted list).",
}


def result_properties() -> dict:
    """The fields of a result object R (DESIGN.md, Contract)."""
    return {
        "id": integer("Practitioner id.", minimum=1),
        "name": text(),
        "techniques": {"type": "array", "items": ref("TechniqueSlug")},
        "city": text("City of the practice location nearest the origin."),
        "country": ref("CountryCode"),
        "lat": number(minimum=-90, maximum=90),
        "lon": number(minimum=-180, maximum=180),
        "distance_km": number("Great-circle distance from the origin.", minimum=0),
        "languages": {"type": "array", "items": ref("LanguageCode")},
        "telehealth": boolean(),
        "home_visits": boolean("Visits patients at home."),
        "gentle_only": boolean("Uses gentle (non-thrust) methods only."),
        "vetted_on": nullable(text("The day a person last vetted the listing.", format="date")),
        "vetting_checks": VETTING_CHECKS,
        "revet_overdue": boolean(
            "Past the date its vetting fell due: details may have changed (among results at "
            "an equal distance, these come after fresh ones)."
        ),
        "phone": nullable(text("E.164.")),
        "email": nullable(text("Public email.")),
        "website": nullable(text("http(s) address.")),
        "url": text("The practitioner's public page.", format="uri"),
    }


def decision_details() -> dict:
    """The practitioner's details (finder.details.api_json), each group confirmed on a date."""
    day = text(format="date")
    whole = {name: d.high for name, d in DETAILS.items() if d.kind == "whole"}

    def counted(name: str, description: str = "") -> dict:
        return nullable(integer(description, minimum=0, maximum=whole[name]))

    return {
        "confirmed_on": nullable(day | {"description": "When a detail was last confirmed."}),
        "confirmed": {
            "type": "object",
            "description": "The day each group of details was last confirmed.",
            "propertyNames": text(enum=list(GROUPS)),
            "additionalProperties": day,
        },
        "accepting_new_patients": nullable(text(enum=list(ACCEPTING))),
        "wait_weeks": counted("wait_weeks", "Weeks to a first appointment."),
        "fees": nullable(
            obj(
                {
                    "min": counted("fee_min"),
                    "max": counted("fee_max"),
                    "currency": nullable(text("ISO 4217.", pattern="^[A-Z]{3}$")),
                }
            )
        ),
        "self_pay": nullable(boolean()),
        "insurance": nullable(text()),
        "diagnostics": {"type": "array", "items": text(enum=list(DIAGNOSTICS))},
        "surgery": nullable(
            obj(
                {
                    "approach": nullable(text(enum=list(APPROACHES))),
                    "implants": nullable(text()),
                    "yearly_volume": nullable(text(enum=list(VOLUMES))),
                    "industry_ties": nullable(text()),
                }
            )
        ),
        "access": {"type": "array", "items": text(enum=["home-visits", *ACCESS])},
        "telehealth_countries": {"type": "array", "items": ref("CountryCode")},
        "travel_support": nullable(
            obj(
                {
                    "international_office": nullable(boolean()),
                    "interpreter_languages": {"type": "array", "items": ref("LanguageCode")},
                    "visa_letter": nullable(boolean()),
                    "stay_days": counted("stay_days"),
                }
            )
        ),
    }


def schemas(technique_slugs: list[str]) -> dict:
    """components.schemas: every object the API answers with."""
    coordinates = {"lat": number(minimum=-90, maximum=90), "lon": number(minimum=-180, maximum=180)}
    place = obj(
        {**coordinates, "label": text(), "country": nullable(ref("CountryCode"))},
        description="A geocoded place.",
    )
    optional_text = nullable(text())
    return {
        "TechniqueSlug": technique_slug_schema(technique_slugs),
        "CountryCode": text("ISO 3166-1 alpha-2 country code.", pattern=COUNTRY_PATTERN),
        "LanguageCode": text("ISO 639-1 language code.", pattern=LANGUAGE_PATTERN),
        "Place": place,
        "Result": obj(result_properties(), description="A practitioner near the origin."),
        "Travel": obj(
            {"mode": text(enum=TRAVEL_MODES), "hours": number("Door to door.", minimum=0)},
            description="The estimated trip: driven for short distances, flown beyond.",
        ),
        "Option": obj(
            {
                **result_properties(),
                "reason": text("Why it was suggested, in plain words."),
                "travel": ref("Travel"),
            },
            description="A result beyond the radius (travel_worthy) or remote (telehealth), "
            "with the reason it was suggested.",
        ),
        "SearchResults": obj(
            {
                "origin": ref("Place"),
                "radius_km": number(minimum=0),
                "underserved": boolean("Fewer than 3 matches are nearby."),
                "nearby": {"type": "array", "items": ref("Result"), "maxItems": MAX_PER_PAGE},
                "travel_worthy": {"type": "array", "items": ref("Option")},
                "remote": {"type": "array", "items": ref("Option")},
                "page": integer(minimum=1, maximum=MAX_PAGE),
                "per_page": integer(minimum=1, maximum=MAX_PER_PAGE),
                "total": integer("Nearby matches on every page.", minimum=0),
            }
        ),
        "SearchFeatureCollection": obj(
            {
                "type": text(const="FeatureCollection"),
                "features": {"type": "array", "items": ref("SearchFeature")},
                "origin": ref("Place"),
                "radius_km": number(minimum=0),
                "underserved": boolean("Fewer than 3 matches are nearby."),
                "page": integer(minimum=1, maximum=MAX_PAGE),
                "per_page": integer(minimum=1, maximum=MAX_PER_PAGE),
                "total": integer("Nearby matches on every page.", minimum=0),
            },
            description="A search's results as GeoJSON (RFC 7946).",
        ),
        "SearchFeature": obj(
            {
                "type": text(const="Feature"),
                "id": integer(minimum=1),
                "geometry": obj(
                    {
                        "type": text(const="Point"),
                        "coordinates": {
                            "type": "array",
                            "items": number(),
                            "minItems": 2,
                            "maxItems": 2,
                            "description": "[longitude, latitude]",
                        },
                    }
                ),
                "properties": {
                    "type": "object",
                    "required": ["group", "id", "name", "distance_km", "url"],
                    "properties": {
                        "group": text(enum=["nearby", "travel_worthy", "remote"]),
                        **{
                            name: schema
                            for name, schema in result_properties().items()
                            if name not in ("lat", "lon")
                        },
                        "reason": text("Options only: why it was suggested."),
                        "travel": ref("Travel"),
                    },
                    "additionalProperties": False,
                },
            },
            description="A result or option: its nearest location as a Point.",
        ),
        "Technique": obj({"slug": ref("TechniqueSlug"), "name": text(), "description": text()}),
        "Techniques": obj({"techniques": {"type": "array", "items": ref("Technique")}}),
        "Location": obj(
            {
                "address": optional_text,
                "city": text(),
                "region": optional_text,
                "postal_code": optional_text,
                "country": ref("CountryCode"),
                **coordinates,
            },
            description="A practice location.",
        ),
        "Practitioner": obj(
            {
                **result_properties(),
                "city": text("City of the first practice location."),
                "distance_km": {"type": "null", "description": "No origin: always null."},
                "credentials": optional_text,
                "clinic": optional_text,
                "patterns": {"type": "array", "items": text(enum=list(PATTERNS))},
                "teaches_self_correction": boolean(),
                "gentle_only": boolean("Uses gentle, non-thrust methods only."),
                "home_visits": boolean(),
                "accepts_international": boolean(),
                "website": nullable(text(format="uri")),
                "phone": nullable(text("E.164.", pattern=r"^\+[1-9][0-9]{1,14}$")),
                "email": nullable(text("The public contact address.", format="email")),
                "registry_name": optional_text,
                "registry_number": optional_text,
                "registry_url": nullable(text("Where to verify the licence.", format="uri")),
                "npi": nullable(text("US National Provider Identifier.", pattern="^[0-9]{10}$")),
                "locations": {"type": "array", "items": ref("Location"), "minItems": 1},
                "last_vetted": nullable(text("When an admin last vetted it.", format="date")),
                "vetting_checks": VETTING_CHECKS,
                "demo": boolean("A fictional demo listing."),
                **decision_details(),
            },
            description="An approved practitioner: the result fields (city, country, lat and "
            "lon of the first location), everything the public page shows, and the details "
            "a patient decides by (unknown: null or empty).",
        ),
        "CountryCoverage": obj(
            {
                "country": ref("CountryCode"),
                "name": text("English name."),
                "total": integer("Approved practitioners with a location there.", minimum=1),
                "techniques": {
                    "type": "object",
                    "description": "Approved practitioners per technique slug (0 when none).",
                    "propertyNames": ref("TechniqueSlug"),
                    "additionalProperties": integer(minimum=0),
                },
            }
        ),
        "Countries": obj(
            {
                "countries": {"type": "array", "items": ref("CountryCoverage")},
                "total": integer("Approved practitioners listed anywhere, each once.", minimum=0),
            }
        ),
        "ErrorDetail": error_detail(),
        "Error": error_schema(),
    }


def error_detail(codes: list[str] | None = None, fields: list[str] | None = None) -> dict:
    """{"code", "message", "field", "candidates"?}, optionally narrowed to some codes/fields."""
    field = text(enum=fields) if fields else text()
    return obj(
        {
            "code": text(enum=codes) if codes else text("e.g. bad_parameter, not_found."),
            "message": text("What went wrong, for people."),
            "field": nullable(field) | {"description": "The parameter at fault, if one is."},
            "candidates": {
                "type": "array",
                "items": ref("Place"),
                "description": "Places the location could mean (422 only).",
            },
        },
        required=["code", "message", "field"],
    )


def error_schema(codes: list[str] | None = None, fields: list[str] | None = None) -> dict:
    """{"error": {...}}: the generic Error, or one narrowed for a response."""
    detail = error_detail(codes, fields) if codes or fields else ref("ErrorDetail")
    return obj({"error": detail}, description="Every error under /api has this shape.")


# --- responses --------------------------------------------------------------------------------


def headers() -> dict:
    """components.headers: caching, CORS and rate limiting."""
    return {
        "ETag": {
            "description": "A hash of the body; send it back as If-None-Match.",
            "required": True,
            "schema": text(),
        },
        "Cache-Control": {
            "required": True,
            "schema": text(const=f"public, max-age={CACHE_SECONDS}"),
        },
        "Access-Control-Allow-Origin": {"required": True, "schema": text(const="*")},
        "Retry-After": {
            "description": "Seconds to wait.",
            "required": True,
            "schema": integer(minimum=0),
        },
    }


def ok(
    description: str, schema: dict, *, media_type: str = "application/json", cached: bool = True
) -> dict:
    """A 200 response; `cached` ones (the API's own) carry the caching and CORS headers."""
    answer = {"description": description}
    if cached:
        answer["headers"] = {
            name: ref(name, "headers")
            for name in ("ETag", "Cache-Control", "Access-Control-Allow-Origin")
        }
    answer["content"] = json_content(schema, media_type)
    return answer


def error(description: str, codes: list[str] | None = None, fields=None, **extra) -> dict:
    """An error response; `codes` and `fields` narrow what its body may say."""
    return {
        "description": description,
        "content": json_content(error_schema(codes, fields)),
        **extra,
    }


def responses() -> dict:
    """components.responses shared by the operations."""
    return {
        "NotModified": {"description": "The If-None-Match ETag still matches; no body."},
        "BadParameter": error(
            "A parameter the search cannot use; `field` names it.",
            ["bad_parameter"],
            search_parameter_names(),
        ),
        "UnknownPlace": error(
            "The location could not be placed: unknown (no candidates) or ambiguous "
            "(`candidates` to choose from).",
            ["unknown_place", "ambiguous_place"],
            ["location"],
        ),
        "NotFound": error("No such approved listing.", ["not_found"]),
        "TooManyRequests": error(
            "Rate limit reached; wait Retry-After seconds.",
            ["too_many_requests"],
            headers={"Retry-After": ref("Retry-After", "headers")},
        ),
    }


def operation(
    operation_id: str,
    summary: str,
    description: str,
    ok_response: dict,
    *,
    parameters=(),
    errors=(),
    shared: bool = True,
) -> dict:
    """A GET operation: 200, the given error responses and, when `shared` (the API's own
    caching and rate limit apply), 304 and 429.

    Each error is (status, name of a components.responses entry) or (status, a response)."""
    answers = {"200": ok_response}
    answers |= {
        status: ref(answer, "responses") if isinstance(answer, str) else answer
        for status, answer in errors
    }
    if shared:
        answers["304"] = ref("NotModified", "responses")
        answers["429"] = ref("TooManyRequests", "responses")
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "parameters": list(parameters),
            "responses": dict(sorted(answers.items())),
        }
    }


def paths() -> dict:
    """Every documented path of this site's own API."""
    return {
        f"{PREFIX}/search": operation(
            "searchPractitioners",
            "Nearest approved practitioners to a place",
            "Matches within the radius, nearest first (one entry per practitioner, their "
            "nearest location); options worth travelling for beyond it; and remote "
            "(telehealth) options. Remote options and the wording of reasons follow "
            "Accept-Language.",
            ok("Search results.", ref("SearchResults")),
            parameters=search_parameters(),
            errors=[("400", "BadParameter"), ("422", "UnknownPlace")],
        ),
        f"{PREFIX}/search.geojson": operation(
            "searchPractitionersGeoJSON",
            "The same search as GeoJSON",
            "The answer of /search as a GeoJSON FeatureCollection (RFC 7946): a Point feature "
            "per result and option ([longitude, latitude]), whose properties are the result's "
            "fields and its `group` (nearby, travel_worthy, remote); origin, radius_km, "
            "underserved, page, per_page and total beside the features.",
            ok(
                "Search results as GeoJSON.",
                ref("SearchFeatureCollection"),
                media_type="application/geo+json",
            ),
            parameters=search_parameters(),
            errors=[("400", "BadParameter"), ("422", "UnknownPlace")],
        ),
        f"{PREFIX}/practitioners/{{id}}": operation(
            "getPractitioner",
            "One approved practitioner",
            "Everything the public page shows. Listings that are not approved are not found.",
            ok("The practitioner.", ref("Practitioner")),
            parameters=[
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "description": "Practitioner id.",
                    "schema": integer(minimum=1, maximum=MAX_ID),
                },
            ],
            errors=[("404", "NotFound")],
        ),
        f"{PREFIX}/techniques": operation(
            "listTechniques",
            "Every technique the directory knows",
            "In display order; the slugs are what `technique` accepts.",
            ok("The techniques.", ref("Techniques")),
        ),
        f"{PREFIX}/countries": operation(
            "listCountries",
            "Approved practitioners per country and technique",
            "Countries with at least one approved practitioner, sorted by code.",
            ok("Coverage by country.", ref("Countries")),
        ),
        f"{PREFIX}/openapi.json": document_operation("getOpenAPIDocumentV1"),
        "/openapi.json": document_operation("getOpenAPIDocument"),
    }


def document_operation(operation_id: str) -> dict:
    """GET of this document itself."""
    return operation(
        operation_id,
        "This document",
        f"The OpenAPI {OPENAPI_VERSION} description of the API.",
        ok("An OpenAPI document.", {"type": "object", "required": ["openapi", "paths"]}),
    )


def build_document(technique_slugs: list[str]) -> dict:
    """The whole OpenAPI document, with the paths other modules added through add_paths."""
    document = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "SI-Joint Practitioner Finder API",
            "version": API_VERSION,
            "summary": "Read-only open data: vetted practitioners for SI-joint dysfunction.",
            "description": (
                "Only approved listings are ever returned. Every response is JSON; errors are "
                '`{"error": {"code", "message", "field"}}`. Successful GETs carry an ETag '
                f"(answer If-None-Match with 304) and `Cache-Control: public, max-age="
                f"{CACHE_SECONDS}`. Any origin may read the API (CORS `*`). Requests are "
                "rate-limited per client address; a 429 says how long to wait in Retry-After. "
                "The open-data endpoints (HSDS under /api/v1/hsds, FHIR under /fhir) answer in "
                "their standards' shapes and say so in their own descriptions."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths(),
        "components": {
            "schemas": schemas(technique_slugs),
            "responses": responses(),
            "headers": headers(),
        },
    }
    for provider in _providers:
        extra = provider()
        document["paths"].update(extra.get("paths", {}))
        document["components"]["schemas"].update(extra.get("schemas", {}))
    return document
