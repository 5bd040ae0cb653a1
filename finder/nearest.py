"""The exact nearest search over the SearchPoint index: the only module that reads it.

No Flask here: every function takes a SQLAlchemy session. SearchPoint holds approved
listings only, one row per (location, technique) plus one per location under ANY_TECHNIQUE,
indexed by (technique, latitude band, lon, lat). For each one-degree latitude band a circle
around the origin reaches, the longitudes it spans there (geo.band_ranges: split at ±180°,
all longitudes near the poles) are one seek of the index; SQL ranks the rows by distance and
hands over the nearest (at most `READ_LIMIT` a scan, more each time that is not enough),
exact great-circle distances order them, and the circle grows until every question asked of
the neighbourhood is answered for certain.

Several questions ("the 3 nearest", "the nearest in Japan", "the nearest who do home visits
within 60 km") share one `Neighbourhood`: each scan serves them all, so a whole search costs
a bounded number of index scans (at most `MAX_SCANS`) whatever the place. In a large
directory a question still open once the neighbourhood holds `SHARED_ROWS_AT_MOST` rows gets
scans of its own, filtered in SQL (`Neighbourhood._filtered`), with the same answer.

Growing the circle fourfold is cheap until it jumps from nothing (mid-ocean) to a circle that
holds a continent. In a large directory a question still short of k matches once the circle
reaches `SAMPLES_AFTER_KM` asks the sample levels (1 row in 16, 256, 4,096, each a partial
index: models.sample_clause) where its k-th match lies at the farthest, and the next scan
reads that circle, which holds about 16 × k rows wherever the origin is
(`Neighbourhood._estimates`); the level of 1 in 256 is kept in memory by each process and
read as arrays (`Samples`), the densest is scanned.

A search's nearby list in a large directory is counted first (`practitioners_within`): a
crowd (more than CROWD_ROWS rows within the radius, a city of thousands) is read only as far
as the page, and the options, which leave the nearby practitioners out, are sought beyond the
circle by neighbourhoods of their own that start at its edge (`answer_around`).

On PostgreSQL with PostGIS (finder.postgis) the scans ask a GiST index for the nearest rows
instead of reading band ranges.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import math
import time
import weakref
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
from sqlalchemy import (
    Float,
    Integer,
    bindparam,
    column,
    exists,
    func,
    literal,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Join

from . import postgis
from .database import driver_rows
from .geo import EARTH_RADIUS_KM, HALF_CIRCUMFERENCE_KM, band_ranges, boxes_around, unit_vector
from .models import (
    ANY_TECHNIQUE,
    FLAGS,
    SAMPLE_LEVELS,
    SAMPLE_RATIO,
    PractitionerLanguage,
    SearchPoint,
    sample_clause,
)

# The first scan of a neighbourhood reaches at least this far: in a city of a large directory
# it holds the nearest 20 (from 2 km, a second scan was the rule: p50 0.32 -> 0.25 ms at 1M).
FIRST_RADIUS_KM = 8.0
GROWTH = 4.0  # how much farther the next scan reaches while a question has seen too few
# A scan returns at most READ_LIMIT rows, the nearest first (ranked in SQL): the circle read
# then ends at the last of them, and the next scan may return LIMIT_GROWTH times more. So a
# scan whose circle holds most of the table (from mid-ocean) hands over only what is needed.
READ_LIMIT = 1000
LIMIT_GROWTH = 8
EVERY_ROW = 2**62  # the limit that returns every row (SQL's LIMIT has no "all")
# From 8 km: 32, 128, 512, 2048, 8192 km, the globe, and one scan to the distance that
# settles every question: 8 scans; limits reached (1,000, 8,000, 64,000 rows...) add one
# each. A results page starts at its radius (100 km: 400, 1600, 6400 km, the globe).
MAX_SCANS = 12
# Once a neighbourhood holds this many rows, a question still open that asks for something
# SQL can filter (a country, telehealth, a language...) gets scans of its own, filtered in
# SQL: a question nobody nearby answers (telehealth in the patient's language when nobody
# offers it) would otherwise grow the shared neighbourhood to the whole table.
SHARED_ROWS_AT_MOST = 2 * READ_LIMIT
KNN_FIRST_LIMIT = 64  # rows the first scan asks of PostGIS's index (finder.postgis)
# A question still short of k matches after the first scan asks the sample levels how far to
# read (Neighbourhood._estimates) in a directory of at least this many locations; in a
# smaller one growing the circle costs less than reading the samples.
SAMPLES_FROM = 20_000
SAMPLES_AFTER_KM = 120.0  # ... once the circle read reaches this far (nearer, growing is cheap)
SAMPLED_K_AT_MOST = 64  # ... for a question that asks for at most this many
SAMPLE_ROWS_PER_ANSWER = 4  # the sparsest level read is the first that should hold 4 × k
SIZE_LEVEL = 2  # the sample level kept for the directory's size and reaches (Samples)
SMALL_COUNTRY_ROWS = 2 * READ_LIMIT  # a country with fewer rows is read whole, not grown to
SIZE_KEPT_SECONDS = 300.0  # how long a process trusts that count
# What a process keeps per engine for SIZE_KEPT_SECONDS (_kept_for): the samples, who speaks.
_kept: weakref.WeakKeyDictionary[Engine, dict] = weakref.WeakKeyDictionary()
# A neighbourhood filtered by a language spoken by at most this many practitioners reads all
# of their rows at once (few_speak, Neighbourhood.read).
FEW_SPEAKERS = 1000
# In a large directory (SAMPLES_FROM) a search counts the rows within its radius first
# (Neighbourhood.practitioners_within): more than this is a crowd, read only as far as the
# page (search.find); options are sought beyond the circle (Neighbourhood.answer_around),
# each scan reaching BEYOND_GROWTH times farther.
CROWD_ROWS = READ_LIMIT
BEYOND_GROWTH = 2.0
# Every scan beyond reads the crowd's rows again (its ranges hold the circle): the first asks
# for enough rows to answer every question at once (the 15 nearest offering telehealth...).
BEYOND_LIMIT = 512
_INSIDE = object()  # answer_around's key for a question's nearest row inside the circle
DEFAULT_RADIUS_KM = 100.0
MAX_RADIUS_KM = 20000.0
EVERYONE = 10**9  # "k" of a question that wants every match within its radius


@dataclass(frozen=True)
class Filters:
    """What the patient asked for; None means 'any'."""

    techniques: tuple[str, ...] = ()
    country: str | None = None
    language: str | None = None
    telehealth: bool | None = None
    home_visits: bool | None = None
    gentle: bool | None = None
    accepts_international: bool | None = None
    # The decision details a patient can filter on (finder.details; models.FLAGS).
    accepting: bool | None = None  # taking new patients (or a waiting list)
    diagnostic_injection: bool | None = None
    lying_down: bool | None = None
    approach: str | None = None  # posterior or lateral: fusion surgeons offering it

    def detail_flags(self) -> tuple[tuple[str, bool], ...]:
        """The decision-detail answers asked for, as (models.FLAGS name, value) pairs."""
        wanted = {
            "accepting": self.accepting,
            "diagnostic_injection": self.diagnostic_injection,
            "lying_down": self.lying_down,
        }
        if self.approach:
            wanted[f"approach_{self.approach}"] = True
        return tuple((name, value) for name, value in wanted.items() if value is not None)


class Hit(NamedTuple):
    """A practitioner's nearest matching location and its distance from the origin (a tuple:
    a search makes one for every nearby row, thousands in a city)."""

    practitioner_id: int
    location_id: int
    lat: float
    lon: float
    distance_km: float
    country: str = ""  # of the location, from the index (no extra query for travel estimates)


class Row(NamedTuple):
    """One index row read by a scan, with what questions may ask of it."""

    distance_km: float
    practitioner_id: int
    location_id: int
    lat: float
    lon: float
    country: str
    technique: str
    telehealth: bool  # the practitioner's answers (SearchPoint.flags)
    home_visits: bool
    accepts_international: bool
    speaks: bool | None  # speaks the neighbourhood's language (None: none was given)

    def hit(self) -> Hit:
        return Hit(
            self.practitioner_id,
            self.location_id,
            self.lat,
            self.lon,
            self.distance_km,
            self.country,
        )


@dataclass(frozen=True)
class Question:
    """'The k nearest practitioners within radius_km' among the neighbourhood's rows that
    also satisfy the fields set here (None: any), leaving out those in `skip` (practitioners
    a page shows already): the answer starts with the nearest of those when it lies nearer
    than all the others (the page says whether one it shows is nearer)."""

    k: int
    radius_km: float = HALF_CIRCUMFERENCE_KM
    techniques: tuple[str, ...] = ()  # any of these
    country: str | None = None
    telehealth: bool | None = None
    home_visits: bool | None = None
    accepts_international: bool | None = None
    speaks: bool | None = None
    skip: frozenset[int] = frozenset()

    @property
    def limit_km(self) -> float:
        return min(self.radius_km, HALF_CIRCUMFERENCE_KM)

    def covers(self, other: Question) -> bool:
        """Whether this question admits every row `other` admits (k, radius and skip aside)."""
        return (
            (
                not self.techniques
                or (bool(other.techniques) and set(other.techniques) <= set(self.techniques))
            )
            and self.country in (None, other.country)
            and all(getattr(self, name) in (None, getattr(other, name)) for name in ASKED)
        )

    def admits(self, row: Row) -> bool:
        return (
            (not self.techniques or row.technique in self.techniques)
            and (self.country is None or row.country == self.country)
            and (self.telehealth is None or row.telehealth == self.telehealth)
            and (self.home_visits is None or row.home_visits == self.home_visits)
            and (
                self.accepts_international is None
                or row.accepts_international == self.accepts_international
            )
            and (self.speaks is None or row.speaks == self.speaks)
        )


@functools.lru_cache(maxsize=512)
def _statement(
    country,
    language,
    telehealth,
    home_visits,
    gentle,
    international,
    speaks,
    ranges,
    gis=None,
    bounded=False,
    sample=0,
    hole=False,
    techniques=1,
    technique=None,
    ordered=True,
    ids=False,
    speakers=False,
    details=(),
):
    """The SELECT of the `limit` index rows nearest the origin that match the filters (in no
    particular order: the caller sorts them by distance): between :lat_min and :lat_max, in
    the band ranges bound as :ranges when `ranges` names the dialect (geo.band_ranges as
    JSON: _band_ranges), or, when it is a number, in that many bands (:b0, :b1...) between
    :lon_min and :lon_max (a small circle: _bind_circle); ranked by the chord to the origin; or
    with PostGIS (`gis`, its schema) from the GiST index by
    distance, within `within_m` metres when `bounded`; only the rows of sample level `sample`
    (models.sample_clause) when it is not 0; with a `hole`, only rows beyond the circle the
    neighbourhood has read already (:inner: a squared chord, or metres with PostGIS). It
    asks for `techniques` techniques (:t0, :t1...), or the one `technique` (an SQL literal)
    written into it. Not `ordered`, it hands over every row (no ranking, no limit).
    With `ids`, only the practitioner of every row within the circle (:outer, a squared
    chord: _chord_bound), all of them as one value (_IdList). With `speakers` (and no
    ranges), every row of the practitioners who speak :language, wherever they are, found
    through their ids (Neighbourhood.read).

    Built once per shape of request (values are bound parameters, no list expanded at run
    time: _sql() renders it once): building and hashing a statement costs more than running
    it on the index."""
    sp = SearchPoint.__table__
    lang = PractitionerLanguage.__table__
    if speakers:  # not an index term: the practitioners' ids are (SQLite would read every
        # row of the technique instead)
        conditions = [
            func.coalesce(sp.c.technique, "").in_([bindparam(f"t{j}") for j in range(techniques)])
        ]
    elif technique:  # PostGIS: named, so that its own index serves (postgis.technique_literal)
        conditions = [sp.c.technique == literal_column(technique)]
    else:
        conditions = [sp.c.technique.in_([bindparam(f"t{j}") for j in range(techniques)])]
    if gis:
        origin = (
            f"{gis}.ST_SetSRID({gis}.ST_MakePoint(:origin_lon, :origin_lat), 4326)::{gis}.geography"
        )
        point = f"search_point.{postgis.COLUMN}"
        if bounded:
            conditions.append(text(f"{gis}.ST_DWithin({point}, {origin}, :within_m, false)"))
        if hole:
            conditions.append(text(f"NOT {gis}.ST_DWithin({point}, {origin}, :inner, false)"))
        ranking = text(f"{point} OPERATOR({gis}.<->) {origin}")
    else:
        ranking = _chord_squared(sp)
        if hole:
            conditions.append(ranking > bindparam("inner"))

    if ids:  # exactly the rows a neighbourhood finds within the circle
        conditions.append(_chord_squared(sp) <= bindparam("outer"))
    if country and sample:
        # Not an index term: the country's index (all its rows) would beat the sample's.
        conditions.append(func.coalesce(sp.c.country, "") == bindparam("country"))
    elif country:
        conditions.append(sp.c.country == bindparam("country"))
    if sample:
        conditions.append(text(sample_clause(sample, sp.name)))
    if speakers:
        spoken = select(lang.c.practitioner_id).where(lang.c.code == bindparam("language"))
        conditions.append(sp.c.practitioner_id.in_(spoken))
    elif language:
        conditions.append(
            exists().where(
                lang.c.practitioner_id == sp.c.practitioner_id, lang.c.code == bindparam("language")
            )
        )
    wanted = {
        "telehealth": telehealth,
        "home_visits": home_visits,
        "gentle_only": gentle,
        "accepts_international": international,
        **dict(details),  # Filters.detail_flags
    }
    mask, bits = _flag_bits(wanted)
    if mask:  # the practitioner's answers, from the index (SearchPoint.flags)
        conditions.append(sp.c.flags.bitwise_and(mask) == bits)
    located = (sp.c.practitioner_id, sp.c.location_id, sp.c.lat, sp.c.lon, sp.c.country)
    asked = [sp.c.technique]
    asked += [(sp.c.flags.bitwise_and(FLAGS[name]) != 0).label(name) for name in ATTRIBUTES]
    # Ranked on the index alone; only the rows handed over are asked about the languages
    # their practitioner speaks (a circle may hold a continent's rows, the limit a few hundred).
    # The squared chord comes first: the caller measures the great-circle distance from it.
    chord = _chord_squared(sp).label("chord")
    if ids:
        located, asked = (sp.c.practitioner_id,), []
    near = select(chord, *located, *asked).where(*conditions)
    if isinstance(ranges, int) and ranges:  # one box, each band of it a seek of the index
        near = near.where(
            sp.c.band.in_([bindparam(f"b{j}") for j in range(ranges)]),
            sp.c.lon.between(bindparam("lon_min"), bindparam("lon_max")),
            sp.c.lat.between(bindparam("lat_min"), bindparam("lat_max")),
        )
    elif ranges:  # each band's range of longitudes a seek of the index (geo.band_ranges)
        parts = _band_ranges(ranges)
        near = near.select_from(_CrossJoin(parts, sp, true())).where(
            sp.c.band == parts.c.band,
            sp.c.lon.between(parts.c.lon_min, parts.c.lon_max),
            sp.c.lat.between(bindparam("lat_min"), bindparam("lat_max")),
        )
    if ordered:
        near = near.order_by(ranking if gis else chord).limit(bindparam("limit"))
    near = near.subquery("near")
    if ids:
        return select(_IdList(near.c.practitioner_id))
    return select(*near.c, _speaks(near, speaks))


def _statement_for(
    f: Filters,
    speaks: bool,
    ranges: str | int | None,
    *,
    gis: str | None = None,
    bounded: bool = False,
    sample: int = 0,
    hole: bool = False,
    techniques: int = 1,
    technique: str | None = None,
    ordered: bool = True,
    ids: bool = False,
    speakers: bool = False,
):
    """_statement() for a scan with filters `f` (the one way _fetch and prepare_statements
    name a shape, so that both reach the same cached statement)."""
    return _statement(
        bool(f.country),
        bool(f.language),
        f.telehealth,
        f.home_visits,
        f.gentle,
        f.accepts_international,
        speaks,
        ranges,
        gis,
        bounded,
        sample,
        hole,
        techniques,
        technique,
        ordered,
        ids,
        speakers,
        f.detail_flags(),
    )


# What a scan's band ranges are read from: the JSON array of [band, lon_min, lon_max] bound
# as :ranges, one shape of statement however many there are (a VALUES list of 362 rows took
# 35 ms to compile).
_RANGES_SQL = {
    "sqlite": "SELECT json_extract(value, '$[0]') AS band, json_extract(value, '$[1]') AS lon_min,"
    " json_extract(value, '$[2]') AS lon_max FROM json_each(:ranges)",
    "postgresql": "SELECT CAST(e ->> 0 AS integer) AS band,"
    " CAST(e ->> 1 AS double precision) AS lon_min, CAST(e ->> 2 AS double precision) AS lon_max"
    " FROM jsonb_array_elements(CAST(:ranges AS jsonb)) AS e",
}
# Besides a technique (or none), what the scans of a search ask of rows: nothing more, one
# country's (the nearest in each neighbouring country), and the answers of its options' own
# scans (finder.options: telehealth, welcoming patients from abroad, home visits).
PREPARED_FILTERS = (
    Filters(),
    Filters(country="XX"),  # the shape, whichever country
    Filters(telehealth=True),
    Filters(accepts_international=True),
    Filters(home_visits=True),
)


# A circle of at most this many bands that does not cross ±180° is read as its box: reading
# the band ranges costs 12-18 µs more a scan (a city's first scan: 43 → 61 µs when it finds
# nothing), and a box around a circle that small holds little more than the circle.
BOX_SHAPES = (1, 4)  # bands bound a box (more repeat the last)


# A scan beyond a hole at least this wide, and half as wide as its circle, reads the ring's
# band ranges rather than the circle's box: around a city of 20,000 listings the box read
# them all again to keep the few hundred beyond (11.2 ms of a 70 ms search from Dongguan).
RING_FROM_KM = 25.0


def _bind_circle(
    lat: float, lon: float, radius_km: float, dialect: str, params: dict, hole_km: float = 0.0
):
    """Bind in `params` where a scan reads the circle (beyond hole_km, if given, where it
    may leave that out), and return the `ranges` of its statement: for a small circle its
    box's bands and longitudes (the number of bands bound), else its band ranges as JSON
    (the dialect's name)."""
    boxes = boxes_around(lat, lon, radius_km)
    low, high = math.floor(boxes[0].lat_min), math.floor(boxes[0].lat_max)
    ring = hole_km >= RING_FROM_KM and 2 * hole_km >= radius_km
    if len(boxes) == 1 and high - low < BOX_SHAPES[-1] and not ring:
        bands = next(shape for shape in BOX_SHAPES if shape > high - low)
        params.update({f"b{j}": min(low + j, high) for j in range(bands)})
        params.update(zip(("lat_min", "lat_max", "lon_min", "lon_max"), boxes[0], strict=True))
        return bands
    parts = band_ranges(lat, lon, radius_km, hole_km) or band_ranges(lat, lon, radius_km)
    params["ranges"] = json.dumps([(p.band, p.lon_min, p.lon_max) for p in parts])
    params["lat_min"], params["lat_max"] = parts[0].lat_min, parts[-1].lat_max
    return dialect


def prepare_statements(connection) -> int:
    """Compile every shape of statement that the scans of a search with one technique (or
    none) and no other filter can take (PREPARED_FILTERS), with and without a page language:
    what a new worker does before its first search (finder.search.warm_up), so that no
    patient waits for one (a few ms each). Nothing with PostGIS, whose scans take few
    shapes. Returns how many were compiled."""
    if postgis.schema_for_search(connection):
        return 0
    made = 0
    for filters, sample, ranges, hole, speaks in itertools.product(
        PREPARED_FILTERS,
        (0, *SAMPLE_LEVELS),
        (*BOX_SHAPES, connection.dialect.name),
        (False, True),
        (False, True),
    ):
        statement = _statement_for(filters, speaks, ranges, sample=sample, hole=hole)
        _sql(statement, connection.dialect)
        made += 1
    return made


@functools.lru_cache(maxsize=1024)
def _sql(statement, dialect) -> tuple[str, tuple[str, ...] | None, dict]:
    """A _statement() as the driver's SQL, with the order of its parameters' names when the
    driver takes them by position (None: by name), and the values bound in the statement."""
    compiled = statement.compile(dialect=dialect)
    order = tuple(compiled.positiontup) if compiled.positional else None
    return str(compiled), order, dict(compiled.params)


class _CrossJoin(Join):
    """`left CROSS JOIN right` (the conditions go in WHERE): SQLite then reads `left` first,
    as the outer loop. Left to itself, it read every row of a technique once for the crowd
    count's statement, and asked the band ranges about each."""

    inherit_cache = True


@compiles(_CrossJoin)
def _cross_join(join: _CrossJoin, compiler, **kw) -> str:
    kw["asfrom"] = True
    return f"{compiler.process(join.left, **kw)} CROSS JOIN {compiler.process(join.right, **kw)}"


class _IdList(FunctionElement):
    """Every value of an integer column as one list: SQLite's json_group_array (JSON text),
    PostgreSQL's array_agg (NULL over no rows): _id_list reads either. A crowd's count
    hands over its 20,795 practitioners from Dongguan as one value instead of a row each
    (Neighbourhood.practitioners_within: 20.1-32.8 -> 13.3-14.5 ms)."""

    inherit_cache = True
    name = "id_list"


@compiles(_IdList, "sqlite")
def _id_list_sqlite(element: _IdList, compiler, **kw) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(_IdList, "postgresql")
def _id_list_postgresql(element: _IdList, compiler, **kw) -> str:
    return f"array_agg({compiler.process(element.clauses, **kw)})"


def _id_list(value) -> list[int]:
    """The ids of an _IdList as the driver hands it over."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


@functools.lru_cache(maxsize=4)
def _band_ranges(dialect: str):
    """The common table of a scan's band ranges (band, lon_min, lon_max), read from :ranges."""
    columns = (column("band", Integer), column("lon_min", Float), column("lon_max", Float))
    return text(_RANGES_SQL[dialect]).columns(*columns).cte("band_ranges")


def _speaks(rows, speaks: bool):
    """Whether the practitioner of each of `rows` speaks the language bound as :speaks (NULL
    when no language was given)."""
    if not speaks:
        return literal(None).label("speaks")
    lang = PractitionerLanguage.__table__
    return (
        exists()
        .where(lang.c.practitioner_id == rows.c.practitioner_id, lang.c.code == bindparam("speaks"))
        .label("speaks")
    )


def _flag_bits(wanted: dict[str, bool | None]) -> tuple[int, int]:
    """(mask, bits) such that a row's `flags & mask == bits` when it has every answer asked
    for in `wanted` (a FLAGS name -> True, False, or None for any)."""
    asked = {name: value for name, value in wanted.items() if value is not None}
    mask = sum(FLAGS[name] for name in asked)
    return mask, sum(FLAGS[name] for name, value in asked.items() if value)


def _inner_bound(radius_km: float, gis: bool) -> float:
    """What a scan's hole is bound to (see _statement): a hair inside the circle read, so
    that rounding between haversine_km and SQL's distance never hides a row not yet read."""
    if gis:  # metres on PostGIS's sphere (its radius and haversine's differ by 1e-8)
        return max(0.0, radius_km * 1000 * (1 - 1e-6) - 1)
    chord = 2 * math.sin(radius_km / (2 * EARTH_RADIUS_KM))
    return max(0.0, chord - 1e-12) ** 2 * (1 - 1e-9)


def _chord_km(chord_squared: float) -> float:
    """The great-circle distance (as haversine_km measures it) of a squared chord on the
    unit sphere: a square root and an arcsine instead of haversine's eight calls a row."""
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(chord_squared) / 2))


@functools.lru_cache(maxsize=256)
def _chord_bound(radius_km: float) -> float:
    """The largest squared chord whose distance (_chord_km) is at most radius_km: SQL's
    `chord <= bound` keeps exactly the rows a neighbourhood finds within radius_km."""
    if radius_km >= HALF_CIRCUMFERENCE_KM:
        return 4.0
    bound = (2 * math.sin(radius_km / (2 * EARTH_RADIUS_KM))) ** 2
    while bound > 0 and _chord_km(bound) > radius_km:
        bound = math.nextafter(bound, 0.0)
    while _chord_km(math.nextafter(bound, 4.0)) <= radius_km:
        bound = math.nextafter(bound, 4.0)
    return bound


def _chord_squared(sp):
    """The squared straight line from the origin's point on the unit sphere to the row's
    (SearchPoint.x, y, z): it grows with the great-circle distance, so SQL ranks by it."""
    return (
        (sp.c.x - bindparam("x")) * (sp.c.x - bindparam("x"))
        + (sp.c.y - bindparam("y")) * (sp.c.y - bindparam("y"))
        + (sp.c.z - bindparam("z")) * (sp.c.z - bindparam("z"))
    )


ATTRIBUTES = ("telehealth", "home_visits", "accepts_international")
ASKED = (*ATTRIBUTES, "speaks")  # what a question asks of a row besides technique and country


class Neighbourhood:
    """The index rows around one point that match one set of filters, read outwards.

    `speaks` names a language rows can be asked about (Question.speaks) without filtering on
    it. Each scan reads every matching row in the band ranges of a circle; rows are kept, sorted
    by distance, so that any question within the widest circle read so far is answered
    without another scan."""

    def __init__(
        self,
        session: Session,
        lat: float,
        lon: float,
        filters: Filters = Filters(),
        speaks: str | None = None,
        limit: int = READ_LIMIT,
        sample: int = 0,
    ):
        self.session, self.lat, self.lon = session, lat, lon
        self.sample = sample  # read only the rows of this sample level (0: every row)
        self.filters, self.speaks = filters, speaks
        self.radius_km = 0.0  # every matching row within this distance has been read
        self.rows: list[Row] = []
        self._views_scan, self._views, self._by_country = -1, {}, None  # see _view()
        self.scans = 0
        self.limit = limit  # rows the next scan may return (EVERY_ROW: no limit)
        self.growth = GROWTH  # how much farther each scan reaches (answer())
        # Holding this many rows, a question still open that SQL can filter moves to scans
        # of its own (answer()).
        self.shared_rows = SHARED_ROWS_AT_MOST
        self.unit = unit_vector(lat, lon)
        # PostGIS's schema when the index has its GiST point (finder.postgis), else None.
        self.gis = postgis.schema_for_search(session.connection())

    def read(self, radius_km: float, limit: int | None = None) -> None:
        """Read the matching rows in the band ranges of the radius_km circle (if not yet), the
        nearest first: all of them, or, when the scan's limit (self.limit unless given) is
        reached, those up to the last row returned (self.radius_km then stops there and the
        next limit is higher)."""
        radius_km = min(radius_km, HALF_CIRCUMFERENCE_KM)
        if radius_km <= self.radius_km:
            return
        language = self.filters.language
        if language and not self.scans and not self.sample and few_speak(self.session, language):
            # Few speak it: all of their rows in one scan (through their ids), and the
            # circle is the globe. A box would grow to the globe when none is near, asking
            # each row it reads who speaks the language (1.2 s at a million).
            rows = self._fetch(self.filters, HALF_CIRCUMFERENCE_KM, EVERY_ROW, speakers=True)
            self.rows = sorted(Row(_chord_km(r[0]), *r[1:]) for r in rows)
            self.radius_km, self.scans = HALF_CIRCUMFERENCE_KM, 1
            return
        if self.gis and self.scans == 0 and radius_km <= FIRST_RADIUS_KM and limit is None:
            # The GiST index hands over the nearest rows wherever they are: the first scan
            # asks for a few of them, with no circle to grow.
            radius_km, limit = HALF_CIRCUMFERENCE_KM, min(self.limit, KNN_FIRST_LIMIT)
        limit = self.limit if limit is None else limit
        hole = self.radius_km > 0
        rows = self._fetch(self.filters, radius_km, limit, hole_km=self.radius_km if hole else None)
        found = [Row(_chord_km(r[0]), *r[1:]) for r in rows]
        self.scans += 1
        if hole:  # rows read before that the scan may hand over again lie near the edge
            edge = bisect.bisect_left(
                self.rows, self.radius_km * (1 - 1e-6) - 1e-3, key=lambda row: row.distance_km
            )
            known = {(row.location_id, row.technique) for row in self.rows[edge:]}
            fresh = [row for row in found if (row.location_id, row.technique) not in known]
            self.rows = sorted(self.rows + fresh)
        else:
            self.rows = sorted(found)
        if len(found) >= limit:
            # Rows beyond the last one returned may lie as near as it, give or take rounding
            # between SQL's ranking and haversine: claim the circle a hair short of it
            # (PostGIS's `<->` on geography measures on a sphere of the same radius, within
            # 5e-9 of haversine here: 1e-6 short, and a metre) — and never past the circle
            # asked for: the ranges reach a little beyond it, but rows outside them were not
            # read.
            margin, metres = (1e-6, 1e-3) if self.gis else (1e-9, 1e-6)
            last = max(row.distance_km for row in found) * (1 - margin) - metres
            self.radius_km = max(0.0, min(last, radius_km))
            self.limit = limit * LIMIT_GROWTH
        else:
            self.radius_km = radius_km

    def _fetch(
        self,
        f: Filters,
        radius_km: float,
        limit: int,
        hole_km: float | None = None,
        ids: bool = False,
        speakers: bool = False,
    ) -> list[tuple]:
        """The driver's rows of one scan for the rows matching `f` in the band ranges of the
        radius_km circle (beyond hole_km if given): the `limit` nearest, or with `ids` the
        practitioner of every row inside the circle (one row: _IdList); with `speakers`,
        every row of those who speak f.language, anywhere."""
        gis = self.gis
        # PostGIS bounds a scan by distance only when it wants every row: else the k nearest
        # from the index stop at the limit (ST_DWithin of a wide circle, from mid-ocean, had
        # PostgreSQL collect every row in it first: 400 ms).
        bounded = radius_km < HALF_CIRCUMFERENCE_KM and (limit >= EVERY_ROW or ids)
        techniques = f.techniques or (ANY_TECHNIQUE,)
        params: dict = {f"t{j}": technique for j, technique in enumerate(techniques)}
        params["limit"] = limit
        connection = self.session.connection()
        ranges = None
        if gis:
            params.update(origin_lat=self.lat, origin_lon=self.lon)
            if bounded:  # on the same sphere as haversine_km, with a margin for rounding
                params["within_m"] = radius_km * 1000 * (1 + 1e-6) + 1
        elif not speakers:  # (those are read wherever they are)
            ranges = _bind_circle(
                self.lat, self.lon, radius_km, connection.dialect.name, params, hole_km or 0.0
            )
        params.update(zip("xyz", self.unit, strict=True))
        for name, value in (("country", f.country), ("language", f.language)):
            if value:
                params[name] = value
        if ids:
            params["outer"] = _chord_bound(radius_km)
        speaks = bool(self.speaks) and not ids
        if speaks:
            params["speaks"] = self.speaks
        # Rows well inside the circle read so far are known: the scan hands over the ones
        # beyond it (those near its edge may come again, and are kept once).
        hole = hole_km is not None
        if hole:
            params["inner"] = _inner_bound(hole_km, bool(gis))
        statement = _statement_for(
            f,
            speaks,
            ranges,
            gis=gis,
            bounded=bool(gis) and bounded,
            sample=self.sample,
            hole=hole,
            techniques=len(techniques),
            technique=(
                postgis.technique_literal(techniques[0]) if gis and len(techniques) == 1 else None
            ),
            ordered=limit < EVERY_ROW and not ids,  # every row is sorted anyway: SQL need not rank
            ids=ids,
            speakers=speakers,
        )
        sql, order, defaults = _sql(statement, connection.dialect)
        values = {**defaults, **params}
        if order is not None:
            values = tuple(values[name] for name in order)
        return driver_rows(connection, sql, values)

    def _found(self, question: Question) -> list[Row]:
        """The first k practitioners not skipped that the question admits among the rows
        read, nearest first (each by its nearest admitted location), whether inside the
        circle read or not."""
        seen: set[int] = set()
        found: list[Row] = []
        k, admits = question.k, question.admits
        for row in self._view(question.country, question.skip):
            pid = row.practitioner_id
            if pid not in seen and admits(row):
                seen.add(pid)
                found.append(row)
                if len(found) == k:
                    break
        return found

    def _skipped_first(self, question: Question, found: list[Row]) -> Row | None:
        """The nearest row read that the question admits if it is a skipped practitioner's
        and lies before the `found` ones."""
        if not question.skip:
            return None
        before = found[0] if found else None
        for row in self._view(question.country):
            if row is before:
                return None
            if question.admits(row):
                return row if row.practitioner_id in question.skip else None
        return None

    def _view(self, country: str | None, skip: frozenset[int] = frozenset()) -> list[Row]:
        """The rows read in `country` (None: all) but those of skipped practitioners, kept
        until the next scan: the questions of a search share a few views (the nearest in
        each neighbouring country, those not shown among a city's thousands shown)."""
        if self._views_scan != self.scans:
            self._views_scan, self._views, self._by_country = self.scans, {}, None
        if not skip:
            if country is None:
                return self.rows
            if self._by_country is None:  # every country's rows, in one pass
                self._by_country = {}
                for row in self.rows:
                    self._by_country.setdefault(row.country, []).append(row)
            return self._by_country.get(country, [])
        kept = self._views.get((country, id(skip)))
        if kept is None or kept[0] is not skip:
            rows = [r for r in self._view(country) if r.practitioner_id not in skip]
            kept = self._views[(country, id(skip))] = (skip, rows)
        return kept[1]

    def _answer(self, question: Question) -> tuple[list[Hit] | None, float | None]:
        """The question's answer if the rows read settle it; else None and the distance that
        certainly settles it, or None for that too when not even k matches were seen."""
        found = self._found(question)
        reach = min(self.radius_km, question.limit_km)
        if (found and len(found) >= question.k and found[-1].distance_km <= reach) or (
            self.radius_km >= question.limit_km
        ):
            skipped = self._skipped_first(question, found)
            first = [skipped] if skipped is not None else []
            return [row.hit() for row in first + found if row.distance_km <= reach], None
        if len(found) >= question.k:  # the k-th distance seen holds k for certain
            return None, min(found[-1].distance_km, question.limit_km)
        return None, None

    def _filtered(self, question: Question) -> tuple[Neighbourhood, Question] | None:
        """A neighbourhood of its own whose SQL keeps only the rows `question` admits, and
        the question to ask it; None when the question asks nothing SQL can filter beyond
        this neighbourhood's filters (or asks for what SQL cannot say)."""
        f = self.filters
        narrower: dict = {}
        for name in ("country", "telehealth", "home_visits", "accepts_international"):
            theirs = getattr(question, name)
            if theirs is None:
                continue
            if getattr(f, name) not in (None, theirs):
                return None
            narrower[name] = theirs
        if question.speaks is not None:
            if not question.speaks or not self.speaks or f.language not in (None, self.speaks):
                return None
            narrower["language"] = self.speaks
        if question.techniques and set(question.techniques) != set(f.techniques):
            if not (f.techniques and set(question.techniques) <= set(f.techniques)):
                return None  # this neighbourhood reads other rows (or every technique's "*")
            narrower["techniques"] = question.techniques
        if not any(getattr(f, name) != value for name, value in narrower.items()):
            return None
        hood = Neighbourhood(
            self.session,
            self.lat,
            self.lon,
            replace(f, **narrower),
            limit=limit_for(question.k),
            sample=self.sample,
        )
        hood.growth = self.growth
        # What this neighbourhood read holds every row of the narrower one within its circle
        # (but those of skipped practitioners after the nearest row: nobody asks for them).
        hood.rows = [
            row for row in self._view(question.country, question.skip) if question.admits(row)
        ]
        skipped = self._skipped_first(question, hood.rows)
        if skipped is not None:
            hood.rows.insert(0, skipped)
        hood.radius_km = self.radius_km
        return hood, Question(k=question.k, radius_km=question.radius_km, skip=question.skip)

    def answer(self, questions: dict, start_km: float = FIRST_RADIUS_KM) -> dict:
        """Every question's exact answer (key -> hits, nearest first), sharing the scans.

        While some question has not seen k matches the reach grows GROWTH times, so the
        globe is read by the 4th scan; when every open question knows the distance that
        settles it, one scan to the farthest of those ends the search."""
        start_km = max(start_km, FIRST_RADIUS_KM)
        # Questions for every match within the first circle need every row of it: one scan
        # hands them all over (a limit would read the circle again for each limit reached).
        everyone = all(q.k >= EVERYONE and q.limit_km <= start_km for q in questions.values())
        self.read(start_km, limit=EVERY_ROW if everyone else None)
        answers: dict = {}
        estimates: dict | None = None
        while True:
            certain, unsure, still_open = [], [], []
            for key, question in questions.items():
                if key in answers:
                    continue
                hits, reach = self._answer(question)
                if hits is not None:
                    answers[key] = hits
                    continue
                still_open.append(key)
                if reach is None:
                    unsure.append(key)
                else:
                    certain.append(reach)
            if not still_open:
                return answers
            # In a large directory a question the samples cannot place moves as soon as the
            # samples are asked: growing the shared circle for it is what they avoid.
            sampling = self.radius_km >= SAMPLES_AFTER_KM and self._samples_help()
            if (self.scans and len(self.rows) >= self.shared_rows) or sampling:
                moved = False
                for key in still_open:
                    own = self._filtered(questions[key])
                    if own is not None:
                        hood, question = own
                        # Everything this neighbourhood read is its too: it starts there.
                        start = max(self.radius_km, FIRST_RADIUS_KM)
                        answers[key] = hood.answer({key: question}, start_km=start)[key]
                        moved = True
                if moved:
                    continue
            wider = 0.0
            if unsure:
                # A country's question: the samples kept in memory say how far, no scan.
                kept = {key: self._kept_reach(questions[key]) for key in unsure}
                kept = {key: reach for key, reach in kept.items() if reach is not None}
                if estimates is None and self.radius_km >= SAMPLES_AFTER_KM:
                    estimates = {}
                    plain = {
                        key: questions[key]
                        for key in unsure
                        if key not in kept and self._sampled(questions[key])
                    }
                    if plain and self._samples_help():
                        estimates = self._estimates(plain)
                        if len(estimates) + len(kept) == len(unsure):
                            # About SAMPLE_RATIO × k rows lie that near: hand over a few
                            # (once: a limit reached after this grows as any other).
                            wanted = max(question.k for question in plain.values())
                            self.limit = min(self.limit, limit_for(wanted))
                ahead = [*kept.values()]
                ahead += [d for key in unsure if (d := (estimates or {}).get(key)) is not None]
                if len(ahead) == len(unsure):  # each will have k matches by its estimate
                    wider = min(ahead)
                else:  # no farther than the farthest of them may look
                    farthest = max(questions[key].limit_km for key in unsure)
                    grown = max(self.radius_km * self.growth, FIRST_RADIUS_KM)
                    if self._country_is_small():  # one scan ranks all of its rows
                        grown = farthest
                    wider = min([grown, farthest, *ahead])
            target = max([wider, *certain])
            if target <= self.radius_km:
                # A scan that reached its limit at the origin itself (a clinic of many, its
                # circle claimed 0 km wide): read farther, the limit is higher already.
                target = max(self.radius_km * self.growth, FIRST_RADIUS_KM)
            self.read(target)

    def practitioners_within(self, question: Question) -> tuple[frozenset[int], int]:
        """Every practitioner with a row within the question's radius that it admits (its k
        and skip aside; it asks nothing of the language spoken), and how many rows: one scan
        handing over one number a row, a city's thousands at a fraction of what reading
        them costs."""
        assert question.speaks is None, "SQL says who speaks the language only of rows read"
        asked = self._narrowed(question)
        rows = _id_list(self._fetch(asked, question.limit_km, EVERY_ROW, ids=True)[0][0])
        if not rows and not self.scans and asked == self.filters and not asked.language:
            # None of this neighbourhood's rows lies within the circle (mid-ocean): as good
            # as read, and reading it would find nothing there. (A language few speak is
            # read another way the first time: read().)
            self.radius_km, self.scans = question.limit_km, 1
        return frozenset(rows), len(rows)

    def _narrowed(self, question: Question) -> Filters:
        """This neighbourhood's filters with what the question asks of a row besides the
        language (its techniques, country and answers) in place of theirs."""
        asked = {name: getattr(question, name) for name in ("country", *ATTRIBUTES)}
        return replace(
            self.filters,
            techniques=question.techniques or self.filters.techniques,
            **{name: value for name, value in asked.items() if value is not None},
        )

    def answer_around(self, nearby: Question, shown: frozenset[int], questions: dict) -> dict:
        """answer() for questions asked beside `nearby` (every match within its radius:
        `shown`, by `practitioners_within` when this neighbourhood has read only part of that
        circle, a city's thousands).

        A question that skips `shown` and admits only rows `nearby` admits finds nothing
        inside the circle: a neighbourhood of its own reads beyond it (scans with a hole,
        growing by BEYOND_GROWTH, the first handing over BEYOND_LIMIT rows so that one scan
        answers most), and the nearest row the question admits inside, if any (a shown
        practitioner's), comes first as answer() puts it (found here). One that asks no
        farther than the circle has an empty answer (no shown one first: nobody asks that
        of those). Every other question is answered here, each still open after what this
        neighbourhood read by scans of its own (filtered in SQL)."""
        radius = nearby.limit_km
        outside = {key: q for key, q in questions.items() if q.skip is shown and nearby.covers(q)}
        asked = {key: q for key, q in questions.items() if key not in outside}
        for key, q in outside.items():
            if q.limit_km > radius:
                asked[(_INSIDE, key)] = replace(q, k=1, radius_km=radius, skip=frozenset())
        # What is still open here asks for something SQL can filter (the nearest in a
        # neighbouring country): scans of its own at once, not a shared circle grown for it.
        self.shared_rows = 0
        answers = self.answer(asked)
        if not outside:
            return answers
        beyond = Neighbourhood(
            self.session,
            self.lat,
            self.lon,
            self.filters,
            speaks=self.speaks,
            limit=BEYOND_LIMIT,
            sample=self.sample,
        )
        # After its first scan, what is still open is rare (telehealth in a language few
        # speak): scans of its own at once.
        beyond.radius_km, beyond.growth, beyond.shared_rows = radius, BEYOND_GROWTH, 0
        far = beyond.answer(outside, start_km=radius)
        for key, q in outside.items():
            if q.limit_km <= radius:  # within the circle: only shown ones (not put first)
                answers[key] = []
                continue
            first, hits = answers.pop((_INSIDE, key)), far[key]
            if first and hits and hits[0].practitioner_id in shown:
                hits = hits[1:]  # a shown one beyond the circle: the one inside is nearer
            answers[key] = first + hits
        return answers

    def _sampled(self, question: Question) -> bool:
        """Whether the samples can say how far to read for it: it asks for few matches
        (SAMPLED_K_AT_MOST; where the patient has hundreds nearby, growing the circle is
        cheap) and nothing of a row beyond this neighbourhood's filters (one that does moves
        to scans of its own, filtered in SQL)."""
        return (
            question.k <= SAMPLED_K_AT_MOST
            and not question.skip  # a level's k-th match may be one of those skipped
            and set(question.techniques) in (set(), set(self.filters.techniques))
            and question.country is None
            and question.telehealth is None
            and question.home_visits is None
            and question.accepts_international is None
            and question.speaks is None
        )

    def is_large(self) -> bool:
        """Whether the directory holds SAMPLES_FROM locations or more (by the samples)."""
        return self._estimated_rows((ANY_TECHNIQUE,), None) >= SAMPLES_FROM

    def _samples_help(self) -> bool:
        """Whether to ask the sample levels how far to read: on the band-range search (PostGIS's
        index needs no samples) of a large directory and, for a country's rows, of a country
        with many (a circle that holds a small country whole costs little to read)."""
        if self.sample or self.gis:
            return False
        language = self.filters.language
        if language and not self.scans and few_speak(self.session, language):
            return False  # its first scan reads every speaker's rows (read())
        size = self._estimated_rows((ANY_TECHNIQUE,), None)
        here = self._estimated_rows((ANY_TECHNIQUE,), self.filters.country)
        return min(size, here) >= SAMPLES_FROM

    def _country_is_small(self) -> bool:
        """Whether this neighbourhood reads one country's rows and it has so few (about
        SMALL_COUNTRY_ROWS at most, by the samples) that one scan may rank them all: growing
        the circle fourfold towards a far country costs a scan a step, each finding nothing."""
        country = self.filters.country
        if country is None or self.sample:
            return False
        return self._estimated_rows((ANY_TECHNIQUE,), country) < SMALL_COUNTRY_ROWS

    def _estimated_rows(self, techniques: tuple[str, ...], country: str | None) -> int:
        """About how many index rows of these techniques (in that country; None: anywhere)
        the directory holds, from the sample level kept (Samples.estimated_rows)."""
        return _samples(self.session).estimated_rows(techniques, country)

    def _kept_reach(self, question: Question) -> float | None:
        """For a question of one country (the nearest in a neighbouring one...), a distance
        within which it has k matches by the sample rows kept in memory (_samples), with
        no scan; None when too few of them match or it asks for a language (not kept)."""
        f = self.filters
        asked = self._narrowed(question)
        if asked.country is None or f.language or question.speaks is not None or self.sample:
            return None
        techniques = set(f.techniques or (ANY_TECHNIQUE,))
        if question.techniques:
            techniques &= set(question.techniques)
        return self._reach_in_samples(asked, tuple(sorted(techniques)), question)

    def _reach_in_samples(
        self, asked: Filters, techniques: tuple[str, ...], question: Question
    ) -> float | None:
        """A distance within which the question has k matches of `asked` (its country and
        answers; not a language) among the sample rows kept in memory: their k-th nearest
        practitioner's, a hair farther for rounding between engines; None when fewer match."""
        wanted = {name: getattr(asked, name) for name in ATTRIBUTES}
        mask, bits = _flag_bits(
            {**wanted, "gentle_only": asked.gentle, **dict(asked.detail_flags())}
        )
        chord = _samples(self.session).kth_chord(
            techniques, asked.country, self.unit, mask, bits, question.k, question.skip
        )
        if chord is None:
            return None
        return min(_chord_km(chord) * (1 + 1e-9) + 1e-6, question.limit_km)

    def _estimates(self, questions: dict) -> dict:
        """For each question, a distance within which it certainly has k matches (or None),
        read from the sample levels, the sparsest first (models.SAMPLE_LEVELS).

        A level's rows are real rows, so the k-th nearest match among them is no nearer than
        the k-th nearest among all: its distance holds k for certain, and the circle it draws
        holds about SAMPLE_RATIO × k rows of the level below, wherever the origin is (a level
        is a random sample of every region's rows alike). The level this process keeps in
        memory (SIZE_LEVEL, 1 in 256: Samples) answers without a scan, for that level and the
        sparser ones, unless the neighbourhood asks for a language (not kept); each denser
        level is read only as far as the level above placed its answers. (Scanning levels 3
        and 2 cost 1.9 ms of a never-seen search from mid-ocean at a million listings; the
        kept rows answer in tens of microseconds.)"""
        reach: dict = {}
        widest = max(q.k for q in questions.values())
        f = self.filters
        techniques = tuple(sorted(f.techniques or (ANY_TECHNIQUE,)))
        rows = self._estimated_rows(techniques, f.country)
        # From the sparsest level expected to hold enough matches (a technique's share varies).
        levels = [
            level
            for level in sorted(SAMPLE_LEVELS)
            if level == min(SAMPLE_LEVELS)
            or rows // SAMPLE_RATIO**level >= SAMPLE_ROWS_PER_ANSWER * widest
        ]
        if not f.language:
            # The level kept in memory (and those sparser) without a scan: the same rows as
            # its scan would read, as of when they were kept (Samples).
            for key, question in questions.items():
                found = self._reach_in_samples(f, techniques, question)
                if found is not None:
                    reach[key] = found
                elif question.limit_km < HALF_CIRCUMFERENCE_KM:
                    reach[key] = question.limit_km  # its own radius settles it
            levels = [level for level in levels if level < SIZE_LEVEL]
        for level in reversed(levels):
            hood = Neighbourhood(
                self.session,
                self.lat,
                self.lon,
                self.filters,
                speaks=self.speaks,
                limit=limit_for(widest),
                sample=level,
            )
            asked = {
                key: replace(q, radius_km=reach.get(key, q.radius_km))
                for key, q in questions.items()
            }
            start = min(reach.values(), default=HALF_CIRCUMFERENCE_KM)
            for key, hits in hood.answer(asked, start_km=start).items():
                if len(hits) >= questions[key].k:
                    reach[key] = hits[-1].distance_km
                elif questions[key].limit_km < HALF_CIRCUMFERENCE_KM:
                    reach[key] = questions[key].limit_km  # its own radius settles it
        return reach


def limit_for(k: int) -> int:
    """The rows a scan for k practitioners hands over at first: a few more than k (some
    practitioners have several locations), at most READ_LIMIT; more when that is not enough."""
    return min(READ_LIMIT, max(2 * k + 16, KNN_FIRST_LIMIT))


def _kept_for(session: Session, key, compute):
    """compute(session), computed at most once per SIZE_KEPT_SECONDS per engine and key:
    for what decides how to read (the samples, who speaks a language), never what a search
    finds."""
    kept = _kept.setdefault(session.get_bind(), {})
    now = time.monotonic()
    known = kept.get(key)
    if known is None or now - known[0] >= SIZE_KEPT_SECONDS:
        known = kept[key] = (now, compute(session))
    return known[1]


class Samples:
    """The rows of sample level SIZE_LEVEL (1 in 256) by technique and country, each as
    (x, y, z, flags, practitioner): a few thousand at a million locations. Real rows, so the
    k-th nearest that a question admits among them lies no nearer than its answer's k-th
    (Neighbourhood._kept_reach); a row removed since only makes a scan find too few, and the
    search reads on. Counted (× 256), they say about how large the directory is."""

    def __init__(self, rows: dict[tuple[str, str], list[tuple]]):
        self.rows = rows
        self._estimates: dict = {}
        self._arrays: dict = {}

    def _table(self, techniques: tuple[str, ...], country: str | None):
        """The kept rows of these techniques (in that country; None: anywhere) as arrays:
        unit vectors (n × 3), flags and practitioner ids (built once per process and key)."""
        key = (techniques, country)
        if key not in self._arrays:
            found = [
                row
                for (t, c), rows in self.rows.items()
                if t in techniques and country in (None, c)
                for row in rows
            ]
            table = np.array(found, dtype=np.float64).reshape(-1, 5)
            self._arrays[key] = (
                np.ascontiguousarray(table[:, :3]),
                table[:, 3].astype(np.int64),
                table[:, 4].astype(np.int64),
            )
        return self._arrays[key]

    def kth_chord(self, techniques, country, unit, mask: int, bits: int, k: int, skip=()):
        """The squared chord from `unit` to the k-th nearest practitioner (leaving out `skip`)
        among the kept rows of these techniques (in that country) whose `flags & mask ==
        bits`, or None when fewer than k match: vectorised (numpy), a few thousand rows in
        tens of microseconds instead of milliseconds in a Python loop."""
        points, flags, ids = self._table(techniques, country)
        if mask:
            keep = (flags & mask) == bits
            points, ids = points[keep], ids[keep]
        if len(ids) < k:
            return None
        offsets = points - np.asarray(unit)
        chords = np.einsum("ij,ij->i", offsets, offsets)
        nearest = min(len(chords), 4 * k + 16)
        while True:  # the nearest few first; more when practitioners repeat or are skipped
            if nearest < len(chords):
                picked = np.argpartition(chords, nearest - 1)[:nearest]
            else:
                picked = np.arange(len(chords))
            seen: set[int] = set()
            for i in picked[np.argsort(chords[picked], kind="stable")].tolist():
                pid = int(ids[i])
                if pid in skip:
                    continue
                seen.add(pid)
                if len(seen) == k:
                    return float(chords[i])
            if nearest == len(chords):
                return None
            nearest = min(len(chords), nearest * 4)

    def estimated_rows(self, techniques: tuple[str, ...], country: str | None) -> int:
        """About how many index rows of these techniques (in that country; None: anywhere)
        the directory holds (several times a search: summed once)."""
        key = (techniques, country)
        if key not in self._estimates:
            rows = sum(
                len(found)
                for (t, c), found in self.rows.items()
                if t in techniques and country in (None, c)
            )
            self._estimates[key] = rows * SAMPLE_RATIO**SIZE_LEVEL
        return self._estimates[key]


def _samples(session: Session) -> Samples:
    """The sample level kept by this process (read at most once per SIZE_KEPT_SECONDS)."""
    return _kept_for(session, "samples", _read_samples)


def _read_samples(session: Session) -> Samples:
    sp = SearchPoint.__table__
    read = select(
        sp.c.technique, sp.c.country, sp.c.x, sp.c.y, sp.c.z, sp.c.flags, sp.c.practitioner_id
    ).where(text(sample_clause(SIZE_LEVEL, sp.name)))
    rows: dict[tuple[str, str], list[tuple]] = {}
    for technique, country, *row in session.execute(read):
        rows.setdefault((technique, country), []).append(tuple(row))
    return Samples(rows)


def few_speak(session: Session, language: str) -> bool:
    """Whether at most FEW_SPEAKERS practitioners speak the language (counted no further),
    asked at most once per SIZE_KEPT_SECONDS per engine and language: it only decides how
    a neighbourhood reads, never what it finds."""

    def count(session: Session) -> bool:
        lang = PractitionerLanguage.__table__
        some = select(literal(1)).where(lang.c.code == language).limit(FEW_SPEAKERS + 1)
        return session.scalar(select(func.count()).select_from(some.subquery())) <= FEW_SPEAKERS

    return _kept_for(session, ("speaks", language), count)


def nearest(
    session: Session,
    lat: float,
    lon: float,
    filters: Filters = Filters(),
    k: int = 20,
    radius_km: float | None = None,
) -> list[Hit]:
    """The k practitioners nearest to (lat, lon), nearest first, within radius_km if given."""
    limit = HALF_CIRCUMFERENCE_KM if radius_km is None else radius_km
    question = Question(k=k, radius_km=limit)
    return Neighbourhood(session, lat, lon, filters, limit=limit_for(k)).answer({0: question})[0]


def within(
    session: Session, lat: float, lon: float, filters: Filters, radius_km: float
) -> list[Hit]:
    """Every matching practitioner within radius_km, nearest first (one entry each)."""
    question = Question(k=EVERYONE, radius_km=radius_km)
    return Neighbourhood(session, lat, lon, filters).answer({0: question}, start_km=radius_km)[0]


def locations_within(session: Session, lat: float, lon: float, radius_km: float) -> list[Row]:
    """Every approved practice location within radius_km (one row each), nearest first."""
    # The 'any technique' rows: one per location.
    hood = Neighbourhood(session, lat, lon, limit=EVERY_ROW)
    hood.read(radius_km)
    return [row for row in hood.rows if row.distance_km <= radius_km]
