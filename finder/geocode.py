"""Text -> place: the offline gazetteer, answers cached in GeocodeCache, Nominatim if opted in.

Offline the text may be a postal code (alone, or with a city or country: "10115 Berlin"), a
city name in any language, a country name, or "city, qualifier[, qualifier]" where a qualifier
is a country (name in any language, ISO code) or a US state (code or name). Which country a
bare postal code belongs to is decided by the caller's country hint, then its region hint
(where the code exists there, or the region's codes are known by area only), then the US ZIP
codes, then the one country that has the code; several such countries give candidates.
A city name that fits several places resolves to the
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

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .database import has_writes, writing
from .gazetteer import (
    BUILD_VERSION,
    PROVINCE_ONLY,
    US_TERRITORIES,
    City,
    Country,
    Gazetteer,
    PostalCode,
    compact_code,
    country_name,
    normalise,
)
from .models import GeocodeCache, utcnow
from .words import say

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
MAX_POSTAL_LENGTH = 10  # letters and digits of the longest postal code we try
LOOSE_DIGITS = 7  # digits alone this many fit a dashed format ("1000001" -> "100-0001")

Scope = tuple[str | None, str | None]  # (ISO country code, admin1 code); None means any


@dataclass(frozen=True)
class Place:
    """A geocoded point with a label to show; kind is city, zip, postal, country or address."""

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
    country_hint: str | None = None,
    region_hint: str | None = None,
) -> Place:
    """The place that text names, from the cache or else looked up and cached.

    country_hint (the country the user chose) and region_hint (their browser's region, "DE" or
    "de-DE") say which country a bare postal code belongs to ("10115": Berlin, not New York).
    """
    if provider not in PROVIDERS:
        raise ValueError(f"Unknown geocoding provider {provider!r}")
    text = _checked(text)
    hints = Hints(_region(country_hint), _region(region_hint))
    key = cache_key(text, hints)
    row = session.get(GeocodeCache, (key, provider)) if len(key) <= CACHE_KEY_LENGTH else None
    if row is not None and row.result.get("version") == BUILD_VERSION:
        return _replay(row.result, text)
    stale = row is not None
    try:
        place = _look_up(text, gazetteer_path, provider, nominatim_url, user_agent, hints)
    except AmbiguousPlace as exc:
        found = {"candidates": [asdict(c) for c in exc.candidates]}
        _remember(session, key, provider, found, stale)
        raise
    _remember(session, key, provider, {"place": asdict(place)}, stale)
    return place


@dataclass(frozen=True)
class Hints:
    """Which country a bare postal code is likely in: chosen by the user, or their region."""

    country: str | None = None
    region: str | None = None


def _region(tag: str | None) -> str | None:
    """The ISO country code in "DE", "de-DE" or "de_DE" (None for "de" or nothing)."""
    parts = (tag or "").replace("_", "-").split("-")
    code = (
        parts[0]
        if len(parts) == 1 and len(parts[0]) == 2
        else next((p for p in parts[1:] if len(p) == 2 and p.isalpha()), "")
    )
    return code.upper() if code.isascii() and code.isalpha() and len(code) == 2 else None


def cache_key(text: str, hints: Hints | None = None) -> str:
    """The cache key of text: its comma-separated parts, each normalised, then any hints.

    Hints only matter to postal codes, so text without a digit is cached once for all."""
    key = ", ".join(part for part in map(normalise, text.split(",")) if part)
    if hints and any(c.isdigit() for c in text) and (hints.country or hints.region):
        key += f" | {hints.country or ''} {hints.region or ''}"
    return key


def _checked(text: str) -> str:
    """text stripped, or GeocodeError if it is empty or too long."""
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise GeocodeError(say("Enter a city, a postal code or a country."))
    if len(text) > MAX_LENGTH:
        raise GeocodeError(
            say("That is too long for a place: use at most %(count)s characters.", count=MAX_LENGTH)
        )
    return text


def _replay(result: dict, text: str) -> Place:
    """The cached answer again: a Place, or AmbiguousPlace raised with the cached candidates."""
    if "place" in result:
        return Place(**result["place"])
    raise _ambiguous(text, [Place(**c) for c in result["candidates"]])


def _remember(session: Session, key: str, provider: str, result: dict, stale: bool) -> None:
    """Store result under (key, provider) in a short transaction of its own: the caller's
    session (a GET search) is left as it was, uncommitted. A concurrent store of the same key
    wins quietly. A caller with changes of its own keeps the answer with them (its commit
    stores both; a second writer would wait on its lock)."""
    if len(key) > CACHE_KEY_LENGTH:
        return
    result = {"version": BUILD_VERSION, **result}
    if has_writes(session):
        session.merge(GeocodeCache(query=key, provider=provider, result=result))
        return
    table = GeocodeCache.__table__
    if stale:  # an answer of an older gazetteer build: replace it
        change = (
            update(table)
            .where(table.c.query == key, table.c.provider == provider)
            .values(result=result, created_at=utcnow())
        )
    else:
        change = insert(table).values(query=key, provider=provider, result=result)
    try:
        with writing(), session.get_bind().begin() as connection:
            connection.execute(change)
    except IntegrityError:
        pass  # a concurrent search stored the same answer first


def _look_up(
    text: str,
    gazetteer_path: str,
    provider: str,
    nominatim_url: str | None,
    user_agent: str | None,
    hints: Hints,
) -> Place:
    """The place from the gazetteer, then (if the provider is nominatim) from Nominatim."""
    gazetteer = _gazetteer(gazetteer_path)
    if provider == "offline":
        return resolve_offline(gazetteer, text, hints=hints)
    try:
        return resolve_offline(gazetteer, text, lenient=False, hints=hints)
    except PlaceNotFound:
        return _nominatim(text, nominatim_url or DEFAULT_NOMINATIM, user_agent)


@functools.lru_cache(maxsize=8)
def _gazetteer(path: str) -> Gazetteer:
    """One shared Gazetteer per file (it opens a connection per thread on first use)."""
    return Gazetteer(path)


def _not_found(text: str) -> PlaceNotFound:
    return PlaceNotFound(
        say("We could not find “%(text)s”. Try a city name, a postal code or a country.", text=text)
    )


def _ambiguous(text: str, candidates: list[Place]) -> AmbiguousPlace:
    return AmbiguousPlace(
        say("“%(text)s” could be several places. Choose one.", text=text), candidates
    )


# --- offline --------------------------------------------------------------------------------


def resolve_offline(
    gazetteer: Gazetteer, text: str, *, lenient: bool = True, hints: Hints | None = None
) -> Place:
    """The place text names according to the gazetteer alone.

    With lenient, "city, qualifier" with a qualifier we do not know offers every city of that
    name as a candidate; without it, it is not found (so Nominatim can try the whole text).
    """
    if place := _postal(gazetteer, text, hints or Hints()):
        return place
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
    region_code = False
    for position, qualifier in enumerate(qualifiers, 1):
        options = _scopes(gazetteer, qualifier)
        if position < len(qualifiers) and ADMIN1_CODE.fullmatch(qualifier):
            # "city, region, country" with the region's code as GeoNames gives it ("08" is
            # Ontario in CA, "BS" Basel-City in CH, not the Bahamas): what the directory
            # stores and exports, so that a listing geocodes back.
            options, region_code = [*options, (None, qualifier.upper())], True
        if not options:
            return _unknown_qualifier(gazetteer, city, text, lenient)
        scopes = _narrow(scopes, options)
    if match := ZIP_CODE.fullmatch(city):
        place = _zip_place(gazetteer, match[1], text)
        if any(scope[0] in (None, place.country) for scope in scopes):
            return place
    if cities := _cities_in(gazetteer, city, scopes):
        return _pick(gazetteer, cities, text)
    if region_code:  # not a region code after all ("Paris, ON")
        return _unknown_qualifier(gazetteer, city, text, lenient)
    raise _not_found(text)


ADMIN1_CODE = re.compile(r"[0-9a-z]{1,3}")  # a GeoNames admin1 code, as normalise leaves it


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


# --- postal codes -------------------------------------------------------------------------


def _postal(gazetteer: Gazetteer, text: str, hints: Hints) -> Place | None:
    """The place of a postal code, alone or beside a city or country ("10115 Berlin"), if any.

    None when the text holds no postal code we know, so names are tried next.
    """
    words = text.upper().replace(",", " ").split()
    if not any(c.isdigit() for c in text) or not words:
        return None
    if place := _bare_postal(gazetteer, " ".join(words), text, hints):
        return place
    for cut in range(1, len(words)):
        for code, rest in ((words[:cut], words[cut:]), (words[cut:], words[:cut])):
            if any(c.isdigit() for word in rest for c in word):
                continue
            for country in _countries_named(gazetteer, " ".join(rest)):
                if place := _postal_in(gazetteer, country, " ".join(code)):
                    return place
    return None


def _bare_postal(gazetteer: Gazetteer, code: str, text: str, hints: Hints) -> Place | None:
    """A postal code on its own: see the module's docstring for how its country is chosen."""
    if not _looks_postal(code):
        return None
    if hints.country and (place := _postal_in(gazetteer, hints.country, code)):
        return place
    # Where we know a region's codes by area only (Spain, Korea), its area is good enough.
    coarse = hints.region in PROVINCE_ONLY
    if hints.region and (place := _postal_in(gazetteer, hints.region, code, exact=not coarse)):
        return place
    if (match := ZIP_CODE.fullmatch(normalise(code))) and gazetteer.zip_code(match[1]):
        return _zip_place(gazetteer, match[1], text)
    countries = _postal_countries(gazetteer, code)
    found = [p for p in (_postal_in(gazetteer, c, code, exact=True) for c in countries) if p]
    if len(found) > 1:
        raise _ambiguous(text, found)
    if found:
        return found[0]
    if hints.region and (place := _postal_in(gazetteer, hints.region, code)):
        return place
    if len(countries) == 1:  # a format only one country uses ("100-0001")
        return _postal_in(gazetteer, countries[0], code)
    return None


def _looks_postal(code: str) -> bool:
    """Whether code could be a postal code: a digit, and not too many letters and digits."""
    return any(c.isdigit() for c in code) and 0 < len(compact_code(code)) <= MAX_POSTAL_LENGTH


def _postal_countries(gazetteer: Gazetteer, code: str) -> list[str]:
    """Countries (but the US) whose postal code format code fits, by code."""
    return [
        c for c in sorted(gazetteer.postal_formats()) if c != "US" and _fits(gazetteer, c, code)
    ]


def _fits(gazetteer: Gazetteer, country: str, code: str) -> bool:
    """Whether code has country's postal format (digits alone may stand for a dashed one)."""
    pattern, form = gazetteer.postal_formats().get(country, (None, ""))
    if pattern is None:
        return False
    digits = code.replace(" ", "")
    return bool(pattern.fullmatch(code)) or (
        digits.isdigit()
        and len(digits) >= LOOSE_DIGITS
        and form.count("#") == len(digits) == len(form) - 1
        and bool(pattern.fullmatch(_fill(form, digits)))
    )


def _fill(form: str, digits: str) -> str:
    """Digits put into a format's # places ("###-####", "1000001" -> "100-0001")."""
    it = iter(digits)
    return "".join(next(it) if c == "#" else c for c in form)


def _countries_named(gazetteer: Gazetteer, name: str) -> list[str]:
    """Countries a name points to: its cities' (biggest first), a country's, a US state's."""
    codes = [c.country for c in gazetteer.find_cities(name)]
    codes += [c.code for c in gazetteer.find_countries(name)]
    if gazetteer.us_state(name):
        codes.append("US")
    return list(dict.fromkeys(codes))


def _postal_in(gazetteer: Gazetteer, country: str, code: str, exact: bool = False) -> Place | None:
    """The place of code in country (a US ZIP, or a known code or area); exact: known codes only."""
    if country == "US":
        match = ZIP_CODE.fullmatch(normalise(code))
        return (
            _zip_place(gazetteer, match[1], code)
            if match and gazetteer.zip_code(match[1])
            else None
        )
    if not _fits(gazetteer, country, code):
        return None
    postal = gazetteer.postal_code(country, code)
    if postal is None or (exact and not postal.exact):
        return None
    return _postal_place(gazetteer, postal, code)


def _postal_place(gazetteer: Gazetteer, postal: PostalCode, code: str) -> Place:
    """A postal code labelled "10115 (Berlin), Germany"."""
    label = (
        f"{' '.join(code.split())} ({postal.place}), {_country_label(gazetteer, postal.country)}"
    )
    return Place(postal.lat, postal.lon, label, postal.country, "postal")


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
            say("The address search is not available right now. Try a city name or a postal code.")
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


@functools.lru_cache(maxsize=512)
def largest_city(code: str, *, gazetteer_path: str, **_settings) -> City | None:
    """A country's main population centre, where a whole-country search measures from."""
    return _gazetteer(gazetteer_path).largest_city(code)


def country_label(code: str, *, gazetteer_path: str, **_settings) -> str:
    """The country's name as place labels end with it ("Seoul, South Korea")."""
    return _country_label(_gazetteer(gazetteer_path), code)


TRIMMED = "\"'`.,;:!?()[]{}<>«»“”„‘’「」『』 "  # around a typed name, not part of it


def local_city_label(
    label: str, country: str, lang: str, typed: str = "", *, gazetteer_path: str, **_settings
) -> str:
    """A place label with its city named in language lang when the gazetteer knows that name:
    "Seoul, South Korea" -> "서울, South Korea", "06236 (Seoul), South Korea" -> "06236 (서울), …";
    the country part is left as it is.

    A patient who typed another of the city's names, in their own letters or capitalised
    ("北京", "München", "القاهرة", "Genf"; not "munich", nor "Montreal" for "Montréal"), sees
    the city named as they typed it."""
    code, paren, rest = label.partition(" (")
    prefix, text = (f"{code}{paren}", rest) if paren else ("", label)
    city, separator, tail = text.partition(", ")
    if paren and ")" in city:
        city, closing, after = city.partition(")")
        tail, separator = f"{closing}{after}{separator}{tail}", ""
    gazetteer = _gazetteer(gazetteer_path)
    own = " ".join(typed.split(",")[0].split()).strip(TRIMMED)
    named = own and (not own.isascii() or own != own.lower()) and normalise(own) != normalise(city)
    if named and gazetteer.is_city_name(own, city, country):
        local = own
    else:
        local = gazetteer.local_city_name(city, country, lang)
    return f"{prefix}{local}{separator}{tail}" if local else label


def all_countries(*, gazetteer_path: str, **_settings) -> list:
    """Every country the gazetteer can place on a map."""
    return _gazetteer(gazetteer_path).countries()
