"""The search's query parameters, declared once: how each is read and checked (for /search
and /api/v1/search alike), how the OpenAPI document describes it, which are filters.

`SEARCH_PARAMETERS` is the one description. `parse_search_args` reads a query string with it
into a checked `SearchRequest` (or raises `BadParameter` naming the parameter);
`openapi_parameters` gives the same declarations as OpenAPI parameter objects; links and
the results page's filter chips take the names from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import validation as v
from .geo import from_km, to_km
from .nearest import DEFAULT_RADIUS_KM, MAX_RADIUS_KM, Filters

MAX_LOCATION_LENGTH = 200
MAX_PER_PAGE = 100
MAX_PAGE = 1000
DEFAULT_PER_PAGE = 20
MIN_RADIUS = 0.001
TRUE = ("true", "1", "yes", "on", "y")  # "y" is what a ticked checkbox sends
FALSE = ("false", "0", "no", "off", "n")
FLAG_VALUES = [word for pair in zip(TRUE, FALSE, strict=True) for word in pair]
# Parameters that only mean something together. The OpenAPI document gives each group as one
# object parameter exploded into the query (its properties are the parameters, as sent), the
# one way OpenAPI 3.1 has to say that lat needs lon, or that a radius in miles has a lower
# maximum.
ORIGIN = ("location", "lat", "lon")
DISTANCE = ("radius", "unit")
# A place's name: no control characters (as _location reads it), not only spaces.
LOCATION_PATTERN = v.text_pattern(r"\x00-\x1f\x7f")


class BadParameter(ValueError):
    """A parameter the search cannot use; `field` names it for the client."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Reading:
    """What reading a parameter may depend on besides its own text."""

    technique_slugs: set[str]
    default_unit: str
    radius_in_unit: bool
    values: dict = field(default_factory=dict)  # the parameters read before this one


@dataclass(frozen=True)
class Parameter:
    """One query parameter: its reader (raw text(s) -> value, or BadParameter), its OpenAPI
    schema and description, and how messages on pages name it."""

    name: str
    read: Callable[[Parameter, list[str], Reading], object]
    schema: dict
    description: str
    said: object = None  # a lazy string: the name in messages on pages (English: the name)
    is_filter: bool = False  # shown as a removable chip on the results page
    repeated: bool = False
    free_text: bool = False  # may have spaces (a place's name); other values are single words
    example: object = None

    def say(self) -> str:
        return str(self.said) if self.said is not None else self.name

    def openapi(self) -> dict:
        parameter = {
            "name": self.name,
            "in": "query",
            "required": False,
            "description": self.description,
            "schema": self.schema,
        }
        if self.repeated:
            parameter |= {"style": "form", "explode": True}
        if self.example is not None:
            parameter["example"] = self.example
        return parameter


def _one(raws: list[str]) -> str:
    return raws[0].strip() if raws else ""


def as_documented(p: Parameter, raws: list[str]) -> None:
    """The API's stricter reading: a value exactly as the OpenAPI document describes it (given
    once unless repeatable, not empty, a word without spaces or control characters unless
    free text, no longer than its maxLength, one of its enum), else BadParameter. Pages
    forgive what forms send (empty fields) and what people type (spaces, capitals)."""
    if len(raws) > 1 and not p.repeated:
        raise BadParameter(p.name, f"{p.name} is given more than once.")
    schema = p.schema.get("items", p.schema)
    for raw in raws:
        if not raw.strip():
            raise BadParameter(p.name, f"{p.name} is empty.")
        if not p.free_text and (raw != raw.strip() or not raw.isprintable()):
            raise BadParameter(p.name, f"{p.name} has spaces or control characters.")
        if len(raw) > schema.get("maxLength", len(raw)):
            raise BadParameter(p.name, f"{p.name} is longer than {schema['maxLength']} characters.")
        if raw not in schema.get("enum", [raw]):
            raise BadParameter(p.name, f"{p.name} must be one of {', '.join(schema['enum'])}.")


def _location(p: Parameter, raws: list[str], _reading: Reading) -> str | None:
    location = _one(raws) or None
    if location and any(ord(c) < 32 or ord(c) == 127 for c in location):
        raise BadParameter(p.name, _("location must not contain control characters."))
    if location and len(location) > MAX_LOCATION_LENGTH:
        raise BadParameter(
            p.name, _("location is longer than %(count)s characters.", count=MAX_LOCATION_LENGTH)
        )
    return location


def _between(p: Parameter, value: float | None, low: float, high: float) -> float | None:
    if value is not None and not (low <= value <= high):
        raise BadParameter(
            p.name,
            _(
                "%(name)s must be between %(low)s and %(high)s.",
                name=p.say(),
                low=f"{low:g}",
                high=f"{high:g}",
            ),
        )
    return value


def _decimal(p: Parameter, raws: list[str]) -> float | None:
    raw = _one(raws)
    if not raw:
        return None
    value = v.decimal_number(raw)
    if value is None:
        raise BadParameter(p.name, _("%(name)s must be a number.", name=p.say()))
    return value


def _coordinate(p: Parameter, raws: list[str], _reading: Reading) -> float | None:
    return _between(p, _decimal(p, raws), p.schema["minimum"], p.schema["maximum"])


def _techniques(p: Parameter, raws: list[str], reading: Reading) -> tuple[str, ...]:
    techniques = tuple(dict.fromkeys(t.strip() for t in raws if t.strip()))
    for slug in techniques:
        if slug not in reading.technique_slugs:
            raise BadParameter(
                p.name, _("unknown technique “%(slug)s”; see /api/v1/techniques.", slug=slug)
            )
    return techniques


def _country(p: Parameter, raws: list[str], _reading: Reading) -> str | None:
    country = _one(raws) or None
    try:
        return v.country_code(country) if country else None
    except v.FieldError as error:
        raise BadParameter(p.name, str(error)) from None


def _language(p: Parameter, raws: list[str], _reading: Reading) -> str | None:
    language = _one(raws) or None
    try:
        return v.language_codes(language)[0] if language else None
    except (v.FieldError, IndexError):
        raise BadParameter(p.name, _("language must be an ISO 639-1 code (e.g. en, ko).")) from None


def _flag(p: Parameter, raws: list[str], _reading: Reading) -> bool | None:
    raw = _one(raws).lower()
    if raw in ("", "any"):
        return None
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise BadParameter(p.name, _("%(name)s must be true or false.", name=p.say()))


APPROACHES = ("posterior", "lateral")  # a filter: "both" offers each


def _approach(p: Parameter, raws: list[str], _reading: Reading) -> str | None:
    raw = _one(raws).lower()
    if raw in ("", "any"):
        return None
    if raw not in APPROACHES:
        raise BadParameter(p.name, _("approach must be posterior or lateral."))
    return raw


def _unit(p: Parameter, raws: list[str], reading: Reading) -> str:
    unit = _one(raws).lower() or reading.default_unit
    if unit not in ("km", "mi"):
        raise BadParameter(p.name, _("unit must be km or mi."))
    return unit


def _radius_km(p: Parameter, raws: list[str], reading: Reading) -> float:
    """The radius in km; given in the request's unit (read before it)."""
    unit = reading.values["unit"]
    radius = _between(p, _decimal(p, raws), MIN_RADIUS, from_km(MAX_RADIUS_KM, unit))
    if radius is None:
        # Pages: "100 mi", not "62 mi" (the same number in the page's unit); the API: 100 km.
        return to_km(DEFAULT_RADIUS_KM, unit) if reading.radius_in_unit else DEFAULT_RADIUS_KM
    return to_km(radius, unit)


def _whole(default: int, low: int, high: int):
    def read(p: Parameter, raws: list[str], _reading: Reading) -> int:
        raw = _one(raws)
        if not raw:
            return default
        value = v.whole_number(raw)
        if value is None or not (low <= value <= high):
            raise BadParameter(
                p.name,
                _(
                    "%(name)s must be a whole number from %(low)s to %(high)s.",
                    name=p.say(),
                    low=low,
                    high=high,
                ),
            )
        return value

    return read


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


FLAG_SCHEMA = {"type": "string", "enum": FLAG_VALUES}
FLAG_NOTE = " Leave out for either; 1/0, yes/no, on/off and y/n say the same."

SEARCH_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "location",
        _location,
        {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_LOCATION_LENGTH,
            "pattern": LOCATION_PATTERN,
        },
        "Where to search from: a city, a postal code, 'city, country' or a country "
        "(no control characters). Give this or lat and lon.",
        free_text=True,
        example="Seoul",
    ),
    Parameter(
        "lat",
        _coordinate,
        {"type": "number", "minimum": -90, "maximum": 90},
        "Latitude of the origin (with lon).",
        said=_l("lat"),
        example=37.5665,
    ),
    Parameter(
        "lon",
        _coordinate,
        {"type": "number", "minimum": -180, "maximum": 180},
        "Longitude of the origin (with lat).",
        said=_l("lon"),
        example=126.978,
    ),
    Parameter(
        "technique",
        _techniques,
        {"type": "array", "items": _ref("TechniqueSlug")},
        "Techniques to match (repeat the parameter for several); see /api/v1/techniques.",
        is_filter=True,
        repeated=True,
    ),
    Parameter(
        "country",
        _country,
        {"type": "string", "enum": list(v.COUNTRY_CODES)},
        "Only practice locations in this country (ISO 3166-1 alpha-2).",
        is_filter=True,
        example="KR",
    ),
    Parameter(
        "language",
        _language,
        {"type": "string", "enum": list(v.LANGUAGE_CODES)},
        "Only practitioners who speak this language (ISO 639-1).",
        is_filter=True,
        example="ko",
    ),
    Parameter(
        "telehealth",
        _flag,
        FLAG_SCHEMA,
        "Only practitioners who offer (true) or do not offer (false) telehealth." + FLAG_NOTE,
        said=_l("telehealth"),
        is_filter=True,
    ),
    Parameter(
        "home_visits",
        _flag,
        FLAG_SCHEMA,
        "Only practitioners who make (true) or do not make (false) home visits." + FLAG_NOTE,
        said=_l("home_visits"),
        is_filter=True,
    ),
    Parameter(
        "gentle",
        _flag,
        FLAG_SCHEMA,
        "Only practitioners who use gentle, non-thrust methods only (true)." + FLAG_NOTE,
        said=_l("gentle"),
        is_filter=True,
    ),
    Parameter(
        "accepting",
        _flag,
        FLAG_SCHEMA,
        "Only practitioners who take new patients, now or from a waiting list (true); false: "
        "those not known to (they say they do not, or do not say)." + FLAG_NOTE,
        said=_l("accepting"),
        is_filter=True,
    ),
    Parameter(
        "diagnostic_injection",
        _flag,
        FLAG_SCHEMA,
        "Only practitioners who offer an image-guided diagnostic injection (true)." + FLAG_NOTE,
        said=_l("diagnostic_injection"),
        is_filter=True,
    ),
    Parameter(
        "lying_down",
        _flag,
        FLAG_SCHEMA,
        "Only practitioners who can treat a patient lying down (true)." + FLAG_NOTE,
        said=_l("lying_down"),
        is_filter=True,
    ),
    Parameter(
        "approach",
        _approach,
        {"type": "string", "enum": list(APPROACHES)},
        "Only SI-joint fusion surgeons who operate by this approach (those who offer both "
        "approaches match either).",
        said=_l("approach"),
        is_filter=True,
        example="lateral",
    ),
    Parameter(
        "radius",
        _radius_km,
        {
            "type": "number",
            "minimum": MIN_RADIUS,
            "maximum": MAX_RADIUS_KM,
            "default": DEFAULT_RADIUS_KM,
        },
        f"Search radius in `unit`: at most {MAX_RADIUS_KM:,.0f} km "
        f"({from_km(MAX_RADIUS_KM, 'mi'):,.0f} mi); larger values are refused, not clamped. "
        f"Without it, {DEFAULT_RADIUS_KM:g} km whatever the unit.",
        said=_l("radius"),
        is_filter=True,
    ),
    Parameter(
        "unit",
        _unit,
        {"type": "string", "enum": ["km", "mi"], "default": "km"},
        "The unit of `radius`.",
    ),
    Parameter(
        "page",
        _whole(1, 1, MAX_PAGE),
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        "Page of `nearby`.",
        said=_l("page"),
    ),
    Parameter(
        "per_page",
        _whole(DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        "Results per page; out-of-range values are refused, not clamped.",
        said=_l("per_page"),
    ),
)
PARAMETER_NAMES = tuple(p.name for p in SEARCH_PARAMETERS)
# The radius is read in the request's unit: the unit first.
READING_ORDER = sorted(SEARCH_PARAMETERS, key=lambda p: p.name == "radius")
FILTER_NAMES = tuple(p.name for p in SEARCH_PARAMETERS if p.is_filter)


def _group(name: str, members: tuple[str, ...], required: bool, description: str, **rules) -> dict:
    """Parameters that go together, as one object parameter exploded into the query."""
    declared = {p.name: p for p in SEARCH_PARAMETERS}
    properties = {
        member: declared[member].schema | {"description": declared[member].description}
        for member in members
    }
    examples = {m: declared[m].example for m in members if declared[m].example is not None}
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "style": "form",
        "explode": True,
        "schema": {"type": "object", "properties": properties, **rules},
        **({"example": examples} if examples else {}),
    }


def openapi_parameters() -> list[dict]:
    """The search's query parameters as OpenAPI parameter objects: each on its own, but
    ORIGIN and DISTANCE each as one object whose properties are the parameters."""
    origin = _group(
        "origin",
        ORIGIN,
        True,
        "Where to search from: `location`, or `lat` and `lon` together (sent as the "
        "parameters location, lat and lon).",
        anyOf=[{"required": ["location"]}, {"required": ["lat", "lon"]}],
        dependentRequired={"lat": ["lon"], "lon": ["lat"]},
    )
    distance = _group(
        "distance",
        DISTANCE,
        False,
        f"How far to look: `radius` in `unit` (sent as the parameters radius and unit); "
        f"at most {MAX_RADIUS_KM:,.0f} km or {from_km(MAX_RADIUS_KM, 'mi'):,.2f} mi.",
        # A radius in miles has the same limit in km (JSON Schema: if unit is mi, then ...).
        **{
            "if": {"properties": {"unit": {"const": "mi"}}, "required": ["unit"]},
            "then": {"properties": {"radius": {"maximum": from_km(MAX_RADIUS_KM, "mi")}}},
        },
    )
    found = [origin]
    for p in SEARCH_PARAMETERS:
        if p.name == DISTANCE[0]:
            found.append(distance)
        elif p.name not in ORIGIN + DISTANCE:
            found.append(p.openapi())
    return found


@dataclass(frozen=True)
class SearchRequest:
    """A checked search: where from, which filters, which page."""

    location: str | None
    lat: float | None
    lon: float | None
    filters: Filters
    radius_km: float
    unit: str
    page: int
    per_page: int


def parse_search_args(
    args,
    technique_slugs: set[str],
    default_unit: str = "km",
    radius_in_unit: bool = False,
    strict: bool = False,
) -> SearchRequest:
    """A SearchRequest from a MultiDict of query parameters, or BadParameter.

    `default_unit` applies when no unit is given (pages follow the browser's region); with
    `radius_in_unit` the default radius is 100 of that unit (pages: "100 mi", not "62 mi"),
    else 100 km as the API documents. `strict` (the API) reads each value as_documented."""
    reading = Reading(set(technique_slugs), default_unit, radius_in_unit)
    values = reading.values
    for p in READING_ORDER:
        raws = args.getlist(p.name)
        if strict:
            as_documented(p, raws)
        values[p.name] = p.read(p, raws, reading)
        if p.name == "lon" and (values["lat"] is None) != (values["lon"] is None):
            missing = "lat" if values["lat"] is None else "lon"
            raise BadParameter(missing, _("give both lat and lon, or neither."))
        if p.name == "lon" and values["location"] is None and values["lat"] is None:
            raise BadParameter(
                "location", _("give a location (a city, postal code or country) or lat and lon.")
            )
    return SearchRequest(
        location=values["location"],
        lat=values["lat"],
        lon=values["lon"],
        filters=Filters(
            techniques=values["technique"],
            country=values["country"],
            language=values["language"],
            telehealth=values["telehealth"],
            home_visits=values["home_visits"],
            gentle=values["gentle"],
            accepting=values["accepting"],
            diagnostic_injection=values["diagnostic_injection"],
            lying_down=values["lying_down"],
            approach=values["approach"],
        ),
        radius_km=values["radius"],
        unit=values["unit"],
        page=values["page"],
        per_page=values["per_page"],
    )
