"""Text -> place: the offline gazetteer, answers cached in GeocodeCache, Nominatim if opted in.

Offline the text may be a US ZIP code, a city name in any language, a country name, or
"city, qualifier[, qualifier]" where a qualifier is a country (name in any language, ISO
code) or a US state (code or name). A city name that fits several places resolves to the
biggest only when it is DOMINANCE times bigger than the next; otherwise the caller gets the
candidates to choose from.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .gazetteer import (
    BUILD_VERSION,
    US_TERRITORIES,
    City,
    Country,
    Gazetteer,
    country_name,
    normalise,
)
from .models import GeocodeCache

MAX_LENGTH = 200
MAX_CANDIDATES = 10
DOMINANCE = 5  # the biggest match wins outright when it is this many times the next
CACHE_KEY_LENGTH = 300  # GeocodeCache.query's column size
PROVIDERS = ("offline", "nominatim")
NOMINATIM_INTERVAL_S = 1.0
NOMINATIM_TIMEOUT_S = 10
DEFAULT_NOMINATIM = "nominatim.openstreetmap.org"
# Matched after normalise, which turns "78701-1234" into "78701 1234".
ZIP_CODE = re.compile(r"(\d{5})(?: \d{4})?", re.ASCII)

Scope = tuple[str | None, str | None]  # (ISO country code, admin1 code); None means any


@dataclass(frozen=True)
class Place:
    """A geocoded point with a label to show; kind is city, zip, country or address."""

    lat: float
    lon: float
    label: str
    country: str | None
    kind: str


class GeocodeError(Exception):
    """Text that cannot be turned into a place; message is fit to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PlaceNotFound(GeocodeError):
    """No place matches the text."""


class AmbiguousPlace(GeocodeError):
    """Several places match the text; candidates holds the biggest ones, biggest first."""

    def __init__(self, message: str, candidates: list[Place]) -> None:
        super().__init__(message)
        self.candidates = candidates[:MAX_CANDIDATES]


def geocode(
    session: Session,
    text: str,
    *,
    gazetteer_path: str,
    provider: str = "offline",
    nominatim_url: str | None = None,
    user_agent: str | None = None,
) -> Place:
    """The place that text names, from the cache or else looked up and cached."""
    if provider not in PROVIDERS:
        raise ValueError(f"Unknown geocoding provider {provider!r}")
    text = _checked(text)
    key = cache_key(text)
    row = session.get(GeocodeCache, (key, provider)) if len(key) <= CACHE_KEY_LENGTH else None
    if row is not None and row.result.get("version") == BUILD_VERSION:
        return _replay(row.result, text)
    try:
        place = _look_up(text, gazetteer_path, provider, nominatim_url, user_agent)
    except AmbiguousPlace as exc:
        _remember(session, row, key, provider, {"candidates": [asdict(c) for c in exc.candidates]})
        raise
    _remember(session, row, key, provider, {"place": asdict(place)})
    return place


def cache_key(text: str) -> str:
    """The cache key of text: its comma-separated parts, each normalised."""
    return ", ".join(part for part in map(normalise, text.split(",")) if part)


def _checked(text: str) -> str:
    """text stripped, or GeocodeError if it is empty or too long."""
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise GeocodeError("Enter a city, a postal code or a country.")
    if len(text) > MAX_LENGTH:
        raise GeocodeError(f"That is too long for a place: use at most {MAX_LENGTH} characters.")
    return text


def _replay(result: dict, text: str) -> Place:
    """The cached answer again: a Place, or AmbiguousPlace raised with the cached candidates."""
    if "place" in result:
        return Place(**result["place"])
    raise _ambiguous(text, [Place(**c) for c in result["candidates"]])


def _remember(
    session: Session, row: GeocodeCache | None, key: str, provider: str, result: dict
) -> None:
    """Store result under (key, provider); a concurrent insert of the same key wins quietly."""
    if len(key) > CACHE_KEY_LENGTH:
        return
    result = {"version": BUILD_VERSION, **result}
    if row is None:
        session.add(GeocodeCache(query=key, provider=provider, result=result))
    else:
        row.result = result
    try:
        session.commit()
    except IntegrityError:
        session.rollback()


def _look_up(
    text: str, gazetteer_path: str, provider: str, nominatim_url: str | None, user_agent: str | None
) -> Place:
    """The place from the gazetteer, then (if the provider is nominatim) from Nominatim."""
    gazetteer = _gazetteer(gazetteer_path)
    if provider == "offline":
        return resolve_offline(gazetteer, text)
    try:
        return resolve_offline(gazetteer, text, lenient=False)
    except PlaceNotFound:
        return _nominatim(text, nominatim_url or DEFAULT_NOMINATIM, user_agent)


@functools.lru_cache(maxsize=8)
def _gazetteer(path: str) -> Gazetteer:
    """One shared Gazetteer per file (it opens a connection per thread on first use)."""
    return Gazetteer(path)


def _not_found(text: str) -> PlaceNotFound:
    return PlaceNotFound(
        f"We could not find “{text}”. Try a city name, a postal code or a country."
    )


def _ambiguous(text: str, candidates: list[Place]) -> AmbiguousPlace:
    return AmbiguousPlace(f"“{text}” could be several places. Choose one.", candidates)


# --- offline --------------------------------------------------------------------------------


def resolve_offline(gazetteer: Gazetteer, text: str, *, lenient: bool = True) -> Place:
    """The place text names according to the gazetteer alone.

    With lenient, "city, qualifier" with a qualifier we do not know offers every city of that
    name as a candidate; without it, it is not found (so Nominatim can try the whole text).
    """
    parts = [part for part in map(normalise, text.split(",")) if part]
    if not parts:
        raise _not_found(text)
    if len(parts) == 1:
        return _bare(gazetteer, parts[0], text)
    return _qualified(gazetteer, parts[0], parts[1:], text, lenient)


def _bare(gazetteer: Gazetteer, name: str, text: str) -> Place:
    """A ZIP code, country name, city name, "city qualifier" or ISO code, in that order."""
    if match := ZIP_CODE.fullmatch(name):
        return _zip_place(gazetteer, match[1], text)
    if countries := gazetteer.find_countries(name, codes=False):
        return _country_or_capital(gazetteer, countries, name, text)
    if cities := gazetteer.find_cities(name):
        return _pick(gazetteer, cities, text)
    if place := _split_words(gazetteer, name, text):
        return place
    if countries := gazetteer.find_countries(name):
        return _country_or_capital(gazetteer, countries, name, text)
    raise _not_found(text)


def _country_or_capital(
    gazetteer: Gazetteer, countries: list[Country], name: str, text: str
) -> Place:
    """The country, or its capital when the name is the capital's too ("Singapore")."""
    if len(countries) > 1:
        raise _ambiguous(text, [_country_place(c) for c in countries])
    country = countries[0]
    if normalise(country.capital) == name:
        if cities := gazetteer.find_cities(name, country.code):
            return _city_place(gazetteer, cities[0])
    return _country_place(country)


def _split_words(gazetteer: Gazetteer, name: str, text: str) -> Place | None:
    """A city followed by a qualifier without a comma ("austin tx"), if the words make one."""
    words = name.split()
    for cut in range(len(words) - 1, 0, -1):
        scopes = _scopes(gazetteer, " ".join(words[cut:]))
        if scopes and (cities := _cities_in(gazetteer, " ".join(words[:cut]), scopes)):
            return _pick(gazetteer, cities, text)
    return None


def _qualified(
    gazetteer: Gazetteer, city: str, qualifiers: list[str], text: str, lenient: bool
) -> Place:
    """A city (or ZIP code) within every qualifier."""
    scopes: list[Scope] = [(None, None)]
    for qualifier in qualifiers:
        options = _scopes(gazetteer, qualifier)
        if not options:
            return _unknown_qualifier(gazetteer, city, text, lenient)
        scopes = _narrow(scopes, options)
    if match := ZIP_CODE.fullmatch(city):
        place = _zip_place(gazetteer, match[1], text)
        if any(scope[0] in (None, place.country) for scope in scopes):
            return place
    if cities := _cities_in(gazetteer, city, scopes):
        return _pick(gazetteer, cities, text)
    raise _not_found(text)


def _unknown_qualifier(gazetteer: Gazetteer, city: str, text: str, lenient: bool) -> Place:
    """Every city called city as candidates ("Paris, Ontario": we know no provinces)."""
    cities = gazetteer.find_cities(city) if lenient else []
    if not cities:
        raise _not_found(text)
    raise _ambiguous(text, [_city_place(gazetteer, c) for c in cities])


def _scopes(gazetteer: Gazetteer, qualifier: str) -> list[Scope]:
    """What a qualifier can mean: countries by name or code, and a US state by code or name."""
    scopes: list[Scope] = [(c.code, None) for c in gazetteer.find_countries(qualifier)]
    if state := gazetteer.us_state(qualifier):
        scopes.append(("US", state))
    return scopes


def _narrow(scopes: list[Scope], options: list[Scope]) -> list[Scope]:
    """The scopes that satisfy both lists ("Texas" and "US" -> US/TX; "Texas" and "FR" -> none)."""
    narrowed: list[Scope] = []
    for a in scopes:
        for b in options:
            if _agrees(a[0], b[0]) and _agrees(a[1], b[1]):
                merged = (a[0] or b[0], a[1] or b[1])
                if merged not in narrowed:
                    narrowed.append(merged)
    return narrowed


def _agrees(x: str | None, y: str | None) -> bool:
    return x is None or y is None or x == y


def _cities_in(gazetteer: Gazetteer, name: str, scopes: list[Scope]) -> list[City]:
    """Cities called name within any of the scopes, biggest first."""
    found = {city.id: city for scope in scopes for city in gazetteer.find_cities(name, *scope)}
    return sorted(found.values(), key=lambda c: (-c.population, c.id))


def _pick(gazetteer: Gazetteer, cities: list[City], text: str) -> Place:
    """The only or clearly biggest city, else AmbiguousPlace with the biggest ones."""
    if len(cities) == 1 or cities[0].population >= DOMINANCE * cities[1].population:
        return _city_place(gazetteer, cities[0])
    raise _ambiguous(text, [_city_place(gazetteer, c) for c in cities[:MAX_CANDIDATES]])


def _country_label(gazetteer: Gazetteer, code: str) -> str:
    country = gazetteer.country(code)
    return country.name if country else country_name(code)


def _city_place(gazetteer: Gazetteer, city: City) -> Place:
    """A city labelled "name, country", or "name, state, United States" in the US."""
    parts = [city.name]
    if city.country == "US" and (state := gazetteer.us_state_name(city.admin1)):
        parts.append(state)
    parts.append(_country_label(gazetteer, city.country))
    return Place(city.lat, city.lon, ", ".join(parts), city.country, "city")


def _country_place(country: Country) -> Place:
    return Place(country.lat, country.lon, country.name, country.code, "country")


def _zip_place(gazetteer: Gazetteer, code: str, text: str) -> Place:
    """A ZIP code labelled "78701 (Austin, Texas), United States"."""
    zip_code = gazetteer.zip_code(code)
    if zip_code is None:
        raise _not_found(text)
    if zip_code.state in US_TERRITORIES:  # Puerto Rico etc. are countries of their own in ISO
        country, where = zip_code.state, zip_code.city
    else:
        state = gazetteer.us_state_name(zip_code.state) or zip_code.state
        country, where = "US", f"{zip_code.city}, {state}"
    label = f"{zip_code.code} ({where}), {_country_label(gazetteer, country)}"
    return Place(zip_code.lat, zip_code.lon, label, country, "zip")


# --- Nominatim (opt-in, never in tests) -----------------------------------------------------


class _Throttle:
    """Lets one call through per interval in this process (a lock and the monotonic clock)."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._last = float("-inf")

    def wait(self) -> None:
        """Block until interval_s has passed since the previous call."""
        with self._lock:
            delay = self._last + self.interval_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._last = time.monotonic()


_nominatim_turns = _Throttle(NOMINATIM_INTERVAL_S)


@functools.lru_cache(maxsize=4)
def _nominatim_client(url: str, user_agent: str):
    """A geopy Nominatim client for url ("host[/path]" or "https://host[/path]")."""
    from geopy.geocoders import Nominatim

    parts = urlsplit(url if "://" in url else f"https://{url}")
    return Nominatim(
        domain=parts.netloc + parts.path.rstrip("/"),
        scheme=parts.scheme,
        user_agent=user_agent,
        timeout=NOMINATIM_TIMEOUT_S,
    )


def _nominatim(text: str, url: str, user_agent: str | None) -> Place:
    """The place Nominatim finds for text, at most one request per second per process."""
    from geopy.exc import GeopyError

    if not user_agent:
        raise ValueError("Nominatim needs an identifying user agent (NOMINATIM_USER_AGENT).")
    client = _nominatim_client(url, user_agent)
    _nominatim_turns.wait()
    try:
        location = client.geocode(text, addressdetails=True, language="en")
    except GeopyError as exc:
        raise GeocodeError(
            "The address search is not available right now. Try a city name or a postal code."
        ) from exc
    if location is None:
        raise _not_found(text)
    code = location.raw.get("address", {}).get("country_code", "").upper() or None
    return Place(location.latitude, location.longitude, location.address, code, "address")


def settings_from_config(config) -> dict:
    """geocode()'s keyword arguments from an application's settings."""
    return {
        "gazetteer_path": config["GAZETTEER_PATH"],
        "provider": config["GEOCODER"],
        "nominatim_url": config["NOMINATIM_URL"],
        "user_agent": config["NOMINATIM_USER_AGENT"],
    }


def country_at(lat: float, lon: float, *, gazetteer_path: str, **_settings) -> str | None:
    """The country a point most likely lies in: that of the nearest city (None at sea)."""
    city = _gazetteer(gazetteer_path).nearest_city(lat, lon)
    return city.country if city else None


def country_point(code: str, *, gazetteer_path: str, **_settings) -> Place | None:
    """A country's centre as a Place, or None for an unknown code."""
    country = _gazetteer(gazetteer_path).country(code)
    if country is None:
        return None
    return Place(
        lat=country.lat, lon=country.lon, label=country.name, country=country.code, kind="country"
    )


def all_countries(*, gazetteer_path: str, **_settings) -> list:
    """Every country the gazetteer can place on a map."""
    return _gazetteer(gazetteer_path).countries()
