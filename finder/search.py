"""A search, built once: origin, nearby hits, options and the practitioners behind them.

No Flask here. `find()` asks the index (`nearest`) and the options policy (`options`) for
everything a search finds before paging; `run_search()` geocodes the request, takes that from
a cache when the same search was made before on the same data (page 2 of a search does not
search again), and loads the practitioners of one page and of every option in one query.
Both the HTML page and the API serialise the resulting `SearchPage`.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from threading import Lock

from sqlalchemy import bindparam, inspect, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from . import nearest as index
from . import options as policy
from .geo import HALF_CIRCUMFERENCE_KM, geodesic_km, haversine_km
from .geocode import Place, country_at, geocode, largest_city
from .models import PracticeLocation, Practitioner, Technique, practitioner_technique
from .nearest import (
    DEFAULT_RADIUS_KM,
    EVERYONE,
    MAX_RADIUS_KM,
    Filters,
    Hit,
    Neighbourhood,
    Question,
    within,
)
from .options import Option, Options, Origin
from .reasons import describe
from .search_params import SearchRequest

__all__ = [
    "DEFAULT_RADIUS_KM",
    "MAX_RADIUS_KM",
    "Filters",
    "Hit",
    "Option",
    "Origin",
    "Recent",
    "SearchPage",
    "SearchResult",
    "UNDERSERVED_BELOW",
    "find",
    "run_search",
    "search",
]

UNDERSERVED_BELOW = 3  # fewer nearby matches than this and the search is underserved


@dataclass(frozen=True)
class Found:
    """Everything one search finds, before paging: what a cache keeps."""

    # The nearby matches, nearest first: every one, or in a crowd (more than
    # nearest.CROWD_ROWS rows within the radius) those up to the end of the page asked for.
    everything: list[Hit]
    total: int  # how many nearby matches there are
    radius_km: float
    options: Options
    whole_country: bool


@dataclass
class SearchResult:
    """One page of a search: nearby page, totals, and the other option lists."""

    nearby: list[Hit]
    total: int
    radius_km: float
    underserved: bool
    travel_worthy: list[Option]
    remote: list[Option]
    # The language nobody offers telehealth in (those shown speak others), if so.
    remote_language_missing: str | None = None
    # Every match in the country, for the map, when the place searched is a whole country.
    whole_country: list[Hit] = field(default_factory=list)

    @property
    def ids(self) -> set[int]:
        """Every practitioner this page shows."""
        hits = self.nearby + self.whole_country
        return {h.practitioner_id for h in hits} | {
            o.hit.practitioner_id for o in self.travel_worthy + self.remote
        }


# At most this many practitioners are loaded with their locations and languages joined to
# them: for a page's few, a statement less each (at a million listings each ORM statement
# costs 1-3 ms whatever its rows: 26 practitioners 11.2 -> 7.1 ms); for a country's
# thousands the joined rows multiply (languages x locations x patterns), so each is a query
# of its own.
JOINED_UP_TO = 200


def load_practitioners(
    session: Session, ids, located_in: str | None = None
) -> dict[int, Practitioner]:
    """Approved practitioners by id (and, given a country code, every one with a location
    there), with everything a page or an option needs: one query with their patterns and
    latest approval's checklist (and, for a page's few, locations and languages) in it, and
    one per other relationship (for a page's few, their techniques: _give_techniques)."""
    ids = set(ids)
    if located_in:
        statement = _practitioners_loaded(few=False).where(
            or_(
                Practitioner.id.in_(ids),
                Practitioner.locations.any(PracticeLocation.country == located_in),
            )
        )
        return {p.id: p for p in session.scalars(statement).unique()}
    if not ids:
        return {}
    few = len(ids) <= JOINED_UP_TO
    statement = _practitioners_loaded(few=few, by_id=True)
    people = {p.id: p for p in session.scalars(statement, {"ids": list(ids)}).unique()}
    if few:
        _give_techniques(session, people)
    return people


def _give_techniques(session: Session, people: dict[int, Practitioner]) -> None:
    """Each practitioner's techniques, in their relationship's order, from one ORM statement
    of (practitioner, technique) pairs: SQLAlchemy's selectin loader took 2.2 ms of the
    4.7 ms that loading 25 practitioners of a million cost, this 1.0 ms. Those whose
    techniques this session holds already keep them, as a loader would leave them."""
    wanted = [pid for pid, p in people.items() if "techniques" in inspect(p).unloaded]
    if not wanted:
        return
    found: dict[int, list[Technique]] = {pid: [] for pid in wanted}
    for pid, technique in session.execute(_techniques_of(), {"ids": wanted}):
        found[pid].append(technique)
    for pid, techniques in found.items():
        set_committed_value(people[pid], "techniques", techniques)


@functools.cache
def _techniques_of():
    """The (practitioner id, Technique) pairs of the practitioners bound as :ids, in the
    relationship's order (Practitioner.techniques: by position), built once."""
    link = practitioner_technique
    return (
        select(link.c.practitioner_id, Technique)
        .join(Technique, Technique.id == link.c.technique_id)
        .where(link.c.practitioner_id.in_(bindparam("ids", expanding=True)))
        .order_by(Technique.position)
    )


@functools.cache
def _practitioners_loaded(few: bool, by_id: bool = False):
    """The SELECT of listed practitioners with everything a page or an option needs (for
    `few`, locations and languages joined), of the ids bound as :ids when `by_id`: built
    once, so that SQLAlchemy computes its cache key once (building and keying it cost
    about 0.5 ms of every search)."""
    each = joinedload if few else selectinload
    # A page's few get their techniques from _give_techniques; a country's thousands by
    # SQLAlchemy's loader (which reads them in chunks: no statement binds thousands of ids).
    techniques = () if few else (selectinload(Practitioner.techniques),)
    statement = (
        select(Practitioner)
        .where(Practitioner.listed)
        .options(
            *techniques,
            each(Practitioner.language_rows),
            joinedload(Practitioner.pattern_rows),
            each(Practitioner.locations),
            undefer(Practitioner.latest_approval_checklist),  # how each was vetted
        )
    )
    if by_id:
        statement = statement.where(Practitioner.id.in_(bindparam("ids", expanding=True)))
    return statement


def find(
    session: Session,
    origin: Origin,
    filters: Filters = Filters(),
    radius_km: float = DEFAULT_RADIUS_KM,
    whole_country: bool = False,
    page: slice = slice(0, 20),
    today: dt.date | None = None,
) -> tuple[Found, dict[int, Practitioner]]:
    """Nearby matches within the radius, options worth travelling for, telehealth options in
    the patient's language, and the practitioners behind the options and the `page` of
    nearby ones (loaded once).

    With whole_country, "nearby" is every match in the origin's country, nearest to the
    origin first (the country's main population centre), and the radius covers them all.
    In a large directory (nearest.SAMPLES_FROM) a crowd within the radius (more than
    nearest.CROWD_ROWS rows) is counted, not read: the Found holds its nearest as far as
    `page`, and options are sought beyond the circle (Neighbourhood.answer_around)."""
    hood = Neighbourhood(
        session,
        origin.lat,
        origin.lon,
        policy.base_filters(filters),
        speaks=None if filters.language else origin.language,
    )
    large = False
    if whole_country and origin.country and filters.country in (None, origin.country):
        in_country = replace(filters, country=origin.country)
        everything = within(session, origin.lat, origin.lon, in_country, HALF_CIRCUMFERENCE_KM)
        if everything:  # a margin for geodesic distances (within 0.6% of great-circle ones)
            radius_km = max(radius_km, math.ceil(everything[-1].distance_km * 1.006))
    else:
        whole_country, large = False, hood.is_large()
        nearby = Question(
            k=EVERYONE, radius_km=radius_km, techniques=filters.techniques, country=filters.country
        )
    # In a large directory the rows within the radius are counted first: a crowd is read
    # only as far as the page, and options are sought beyond the circle.
    crowd = False
    if large:
        near_ids, rows = hood.practitioners_within(nearby)
        crowd = rows > index.CROWD_ROWS
    if crowd:
        everything = hood.answer({"nearby": replace(nearby, k=page.stop)})["nearby"]
    else:
        if not whole_country:
            everything = hood.answer({"nearby": nearby}, start_km=radius_km)["nearby"]
        near_ids = frozenset(h.practitioner_id for h in everything)
    asked = policy.questions(origin, filters, near_ids)
    if large:
        answers = hood.answer_around(nearby, near_ids, asked)
    else:
        answers = hood.answer(asked, start_km=radius_km)
    # A whole country's listings are all on its map; else the page's are shown.
    listed = near_ids if whole_country else {h.practitioner_id for h in everything[page]}
    ids = policy.candidates(answers, near_ids) | listed
    people = load_practitioners(session, ids)
    chosen = policy.choose(origin, filters, answers, near_ids, people, today or dt.date.today())
    return Found(everything, len(near_ids), radius_km, chosen, whole_country), people


# Far-apart places for warm_up(): cities, oceans, either side of ±180°, near the poles.
WARM_UP_PLACES = (
    (37.57, 126.98, "KR"), (40.71, -74.01, "US"), (-33.87, 151.21, "AU"), (51.51, -0.13, "GB"),
    (22.57, 113.88, "CN"), (-21.69, -43.31, "BR"), (64.68, -47.36, "GL"), (19.7, -155.1, "US"),
    (52.97, 174.04, "US"), (0.0, -140.0, None), (-60.0, 0.0, None), (80.0, 0.0, None),
)  # fmt: skip


def warm_up(session: Session) -> int:
    """Search from WARM_UP_PLACES, with and without a technique and a page language, so that
    a new worker has built the shapes of SQL that searches use (each is compiled once per
    process, up to 10 ms for a wide one) before its first patient does: gunicorn.conf.py's
    post_worker_init. First it compiles every shape a scan of a plain search can take
    (nearest.prepare_statements): a search from mid-ocean reaches shapes that these places do
    not. Reads only; returns how many searches it made."""
    index.prepare_statements(session.connection())
    rare = ("muscle-energy-technique",)
    made = 0
    for lat, lon, country in WARM_UP_PLACES:
        for filters in (Filters(), Filters(techniques=rare)):
            for language in (None, "en", "ko"):
                find(session, Origin(lat, lon, country, language), filters)
                made += 1
    session.rollback()
    return made


# How many new objects a worker makes between two young collections of the cycle collector
# (Python's default: 700). A search makes tens of thousands (rows, hits, ORM state): at the
# default it set off dozens of young collections, and every so often a full one that walks
# everything the worker keeps since it started (kept searches and their hits), about 12 ms
# at a million listings, in whichever search was running. Measured on 200 API searches
# from places never searched, at a million listings, runs alternating: p50 24.3 -> 21.3 ms,
# p99 57.1 -> 50.0 ms (benchmarks/README.md).
YOUNG_OBJECTS = 50_000
OLDER_EVERY = (20, 100)  # young collections a middle one, middle ones a full one


def settle_worker() -> tuple[int, int, int]:
    """What a worker does once loaded and warmed up (gunicorn.conf.py's post_worker_init):
    what it holds so far (the gazetteer's country data, routes, compiled templates and SQL)
    lives as long as it does, moved out of the cycle collector's sight, and the collector
    runs after YOUNG_OBJECTS new objects instead of 700. Returns the thresholds set."""
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *OLDER_EVERY)
    return gc.get_threshold()


def page_of(found: Found, page: int, per_page: int) -> SearchResult:
    """One page of what a search found."""
    start = (page - 1) * per_page
    return SearchResult(
        nearby=found.everything[start : start + per_page],
        total=found.total,
        radius_km=found.radius_km,
        underserved=found.total < UNDERSERVED_BELOW,
        travel_worthy=found.options.travel_worthy,
        remote=found.options.remote,
        remote_language_missing=found.options.remote_language_missing,
        whole_country=found.everything if found.whole_country else [],
    )


def search(
    session: Session,
    origin: Origin,
    filters: Filters = Filters(),
    radius_km: float = DEFAULT_RADIUS_KM,
    page: int = 1,
    per_page: int = 20,
    whole_country: bool = False,
) -> SearchResult:
    """One page of a search (see find())."""
    shown = slice((page - 1) * per_page, page * per_page)
    found, _ = find(session, origin, filters, radius_km, whole_country, shown)
    return page_of(found, page, per_page)


class Recent:
    """The `size` most recently used answers by key (thread-safe), least recently used
    dropped. For what searches found, keys carry the directory's data version
    (models.DirectoryState), so any change to a listing makes every entry unreachable, and
    the date, so that vetting falling due counts."""

    def __init__(self, size: int = 512):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = Lock()

    def get(self, key):
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key, found) -> None:
        with self._lock:
            self._items[key] = found
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass
class SearchPage:
    """What a search found, ready for a page or the API: one page of it and the
    practitioners it shows, loaded once."""

    request: SearchRequest
    origin: Place
    result: SearchResult
    practitioners: dict[int, Practitioner]
    centre: str | None = None  # the city a whole-country search measures from

    @property
    def whole_country(self) -> bool:
        """Whether the place searched was a whole country (every listing in it is nearby)."""
        return self.centre is not None

    def entries(
        self, items: list[Hit] | list[Option], url_for_id: Callable[[int], str], say=describe
    ) -> list[dict]:
        """The contract's result objects for hits or options of this search."""
        return entries_for(self.origin, items, self.practitioners, url_for_id, say)


Outcome = SearchPage  # the name the views used first


def entries_for(
    origin: Place, items, practitioners: dict[int, Practitioner], url_for_id, say=describe
) -> list[dict]:
    """Result objects with geodesic distances, plus reason and travel for options.

    `say(reason, trip)` words the reason (English by default; pages pass their language).
    A practitioner no longer approved (changed since the search was cached) is left out."""
    entries = []
    for item in items:
        hit = item.hit if isinstance(item, Option) else item
        practitioner = practitioners.get(hit.practitioner_id)
        if practitioner is None:
            continue
        entry = result_entry(origin, hit, practitioner, url_for_id)
        if isinstance(item, Option):
            entry["reason"] = say(item.reason, item.trip)
            entry["travel"] = item.trip.as_json()
        entries.append(entry)
    return entries


def origin_of(session: Session, request: SearchRequest, geocoder: dict) -> Place:
    """The search's starting point: given coordinates, or the geocoded location text."""
    if request.lat is not None:
        label = request.location or f"{request.lat:.4f}, {request.lon:.4f}"
        country = country_at(request.lat, request.lon, **geocoder)
        return Place(lat=request.lat, lon=request.lon, label=label, country=country, kind="point")
    # The country filter says which country a bare postal code is in ("10115" with DE: Berlin).
    return geocode(session, request.location, country_hint=request.filters.country, **geocoder)


def run_search(
    session: Session,
    request: SearchRequest,
    geocoder: dict,
    language: str | None = None,
    cache: Recent | None = None,
    version: str | None = None,
) -> SearchPage:
    """Geocode, search (or take the search from `cache`, valid for data `version`) and load
    the practitioners of the page in one query.

    `language` is the page's language: remote options prefer practitioners who speak it.
    A country as the place means the whole country, measured from its largest city.
    """
    origin = origin_of(session, request, geocoder)
    centre = None
    if origin.kind == "country" and origin.country:
        found = largest_city(origin.country, **geocoder)
        if found is not None:
            origin = replace(origin, lat=found.lat, lon=found.lon)
            # With a country filter elsewhere it is searched around that point as usual.
            if request.filters.country in (None, origin.country):
                centre = found.name
    where = Origin(origin.lat, origin.lon, origin.country, language)
    today = dt.date.today()
    key = (version, today, where, request.filters, request.radius_km, centre is not None)
    shown = slice((request.page - 1) * request.per_page, request.page * request.per_page)
    found = cache.get(key) if cache is not None and version is not None else None
    people = None
    if found is None or len(found.everything) < min(shown.stop, found.total):
        # Not found before, or a crowd read as far as an earlier page only.
        found, people = find(
            session, where, request.filters, request.radius_km, centre is not None, shown, today
        )
        if cache is not None and version is not None:
            cache.put(key, found)
    result = page_of(found, request.page, request.per_page)
    if people is None or not result.ids <= people.keys():
        people = load_practitioners(session, result.ids)
    result.nearby = fresh_first(result.nearby, people, today)
    return SearchPage(request, origin, result, people, centre)


def overdue(p: Practitioner, today: dt.date) -> bool:
    """Past the date its vetting fell due."""
    return p.revet_due is not None and p.revet_due < today


EQUAL_KM = 0.1  # distances the same to this (as a page shows them) are equal


def fresh_first(hits: list[Hit], people: dict[int, Practitioner], today: dt.date) -> list[Hit]:
    """Hits nearest first as before, but among those at an equal distance, listings past
    their re-vetting date after fresh ones (a stable sort: the order is otherwise kept)."""

    def stale(hit: Hit) -> bool:
        p = people.get(hit.practitioner_id)
        return p is not None and overdue(p, today)

    return sorted(hits, key=lambda h: (round(h.distance_km / EQUAL_KM), stale(h)))


def result_entry(origin: Place, hit: Hit, practitioner: Practitioner, url_for_id) -> dict:
    """One result as the API contract shapes it."""
    location = next(loc for loc in practitioner.locations if loc.id == hit.location_id)
    distance = geodesic_km(origin.lat, origin.lon, hit.lat, hit.lon)
    return {
        "id": practitioner.id,
        "name": practitioner.name,
        "techniques": practitioner.technique_slugs,
        "city": location.city,
        "country": location.country,
        "lat": hit.lat,
        "lon": hit.lon,
        "distance_km": round(distance, 2),
        "languages": practitioner.languages,
        "telehealth": practitioner.telehealth,
        "home_visits": practitioner.home_visits,
        "gentle_only": practitioner.gentle_only,
        "vetted_on": practitioner.last_vetted_at.date().isoformat()
        if practitioner.last_vetted_at
        else None,
        "vetting_checks": practitioner.vetting_checks,
        "revet_overdue": overdue(practitioner, dt.date.today()),
        "phone": practitioner.phone or None,
        "email": practitioner.email or None,
        "website": practitioner.website or None,
        "url": url_for_id(practitioner.id),
    }


def nearest_distance_km(practitioner: Practitioner, lat: float, lon: float) -> float | None:
    """How far the practitioner's nearest practice location is from a point."""
    distances = [
        haversine_km(lat, lon, loc.latitude, loc.longitude) for loc in practitioner.locations
    ]
    return min(distances) if distances else None
