"""Search parameters from a query string (web page and API share them), checked strictly."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import validation as v
from .geo import from_km, to_km
from .nearest import DEFAULT_RADIUS_KM, MAX_RADIUS_KM, Filters

MAX_LOCATION_LENGTH = 200
MAX_PER_PAGE = 100
MAX_PAGE = 1000


# Parameter names in messages: as they are in English (what API clients send), in words on
# pages in other languages.
PARAMETER_NAMES = {
    "lat": _l("lat"),
    "lon": _l("lon"),
    "radius": _l("radius"),
    "page": _l("page"),
    "per_page": _l("per_page"),
    "telehealth": _l("telehealth"),
    "home_visits": _l("home_visits"),
    "gentle": _l("gentle"),
}


def said(name: str) -> str:
    """A parameter's name as a message says it."""
    return str(PARAMETER_NAMES.get(name, name))


class BadParameter(ValueError):
    """A parameter the search cannot use; `field` names it for the client."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


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


def _flag(args, name: str) -> bool | None:
    raw = args.get(name, "").strip().lower()
    if raw in ("", "any"):
        return None
    if raw in ("1", "true", "yes", "on", "y"):  # "y" is what a ticked checkbox sends
        return True
    if raw in ("0", "false", "no", "off", "n"):
        return False
    raise BadParameter(name, _("%(name)s must be true or false.", name=said(name)))


def _number(args, name: str, low: float, high: float) -> float | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    value = v.decimal_number(raw)
    if value is None:
        raise BadParameter(name, _("%(name)s must be a number.", name=said(name)))
    if not (low <= value <= high):
        raise BadParameter(
            name,
            _(
                "%(name)s must be between %(low)s and %(high)s.",
                name=said(name),
                low=f"{low:g}",
                high=f"{high:g}",
            ),
        )
    return value


def _integer(args, name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    value = v.whole_number(raw)
    if value is None or not (low <= value <= high):
        raise BadParameter(
            name,
            _(
                "%(name)s must be a whole number from %(low)s to %(high)s.",
                name=said(name),
                low=low,
                high=high,
            ),
        )
    return value


def parse_search_args(
    args, technique_slugs: set[str], default_unit: str = "km", radius_in_unit: bool = False
) -> SearchRequest:
    """A SearchRequest from a MultiDict of query parameters, or BadParameter.

    `default_unit` applies when no unit is given (pages follow the browser's region); with
    `radius_in_unit` the default radius is 100 of that unit (pages: "100 mi", not "62 mi"),
    else 100 km as the API documents."""
    location = args.get("location", "").strip() or None
    if location and any(ord(c) < 32 or ord(c) == 127 for c in location):
        raise BadParameter("location", _("location must not contain control characters."))
    if location and len(location) > MAX_LOCATION_LENGTH:
        raise BadParameter(
            "location",
            _("location is longer than %(count)s characters.", count=MAX_LOCATION_LENGTH),
        )
    lat = _number(args, "lat", -90, 90)
    lon = _number(args, "lon", -180, 180)
    if (lat is None) != (lon is None):
        raise BadParameter("lat" if lat is None else "lon", _("give both lat and lon, or neither."))
    if location is None and lat is None:
        raise BadParameter(
            "location", _("give a location (a city, postal code or country) or lat and lon.")
        )
    techniques = tuple(dict.fromkeys(t.strip() for t in args.getlist("technique") if t.strip()))
    for slug in techniques:
        if slug not in technique_slugs:
            raise BadParameter(
                "technique", _("unknown technique “%(slug)s”; see /api/v1/techniques.", slug=slug)
            )
    country = args.get("country", "").strip() or None
    language = args.get("language", "").strip() or None
    try:
        country = v.country_code(country) if country else None
    except v.FieldError as error:
        raise BadParameter("country", str(error)) from None
    try:
        language = v.language_codes(language)[0] if language else None
    except (v.FieldError, IndexError):
        raise BadParameter(
            "language", _("language must be an ISO 639-1 code (e.g. en, ko).")
        ) from None
    unit = args.get("unit", "").strip().lower() or default_unit
    if unit not in ("km", "mi"):
        raise BadParameter("unit", _("unit must be km or mi."))
    max_radius = from_km(MAX_RADIUS_KM, unit)
    radius = _number(args, "radius", 0.001, max_radius)
    if radius is None and radius_in_unit:
        radius = DEFAULT_RADIUS_KM  # the same number, read in the page's unit
    if radius is None:
        radius_km = DEFAULT_RADIUS_KM
    else:
        radius_km = to_km(radius, unit)
    return SearchRequest(
        location=location,
        lat=lat,
        lon=lon,
        filters=Filters(
            techniques=techniques,
            country=country,
            language=language,
            telehealth=_flag(args, "telehealth"),
            home_visits=_flag(args, "home_visits"),
            gentle=_flag(args, "gentle"),
        ),
        radius_km=radius_km,
        unit=unit,
        page=_integer(args, "page", 1, 1, MAX_PAGE),
        per_page=_integer(args, "per_page", 20, 1, MAX_PER_PAGE),
    )
