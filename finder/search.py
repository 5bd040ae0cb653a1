"""Origin + filters -> the nearest approved practitioners, exact, over the SearchPoint index.

No Flask here: every function takes a SQLAlchemy session. Searches read the SearchPoint
table, which holds approved listings only, through its (technique, lat, lon) index: a
latitude/longitude box around the origin (split at ±180°, all longitudes near the poles)
narrows the rows, exact great-circle distances rank them, and the box grows from the hits
found until the k nearest practitioners are certain.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field, replace

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from .directory import technique_nouns
from .gazetteer import neighbours
from .geo import HALF_CIRCUMFERENCE_KM, boxes_around, haversine_km
from .models import ANY_TECHNIQUE, Practitioner, PractitionerLanguage, SearchPoint
from .reasons import ANY_PRACTITIONER, Reason
from .travel import Trip, estimate_trip, rank_score

FIRST_RADIUS_KM = 2.0
UNDERSERVED_BELOW = 3  # fewer nearby matches than this and the search is underserved
DEFAULT_RADIUS_KM = 100.0
MAX_RADIUS_KM = 20000.0


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


@dataclass(frozen=True)
class Hit:
    """A practitioner's nearest matching location and its distance from the origin."""

    practitioner_id: int
    location_id: int
    lat: float
    lon: float
    distance_km: float
    country: str = ""  # of the location, from the index (no extra query for travel estimates)


def _points_query(filters: Filters, box_count: int):
    """The SELECT of index rows inside `box_count` boxes that match the filters.

    Built once per shape of request (values are bound parameters): building and hashing a
    statement costs more than running it on the index."""
    return _statement(
        bool(filters.country),
        bool(filters.language),
        filters.telehealth,
        filters.home_visits,
        filters.gentle,
        filters.accepts_international,
        box_count,
    )


@functools.lru_cache(maxsize=512)
def _statement(country, language, telehealth, home_visits, gentle, international, box_count):
    sp = SearchPoint.__table__
    conditions = [sp.c.technique.in_(bindparam("techniques", expanding=True))]
    conditions.append(
        or_(
            *(
                and_(
                    sp.c.lat.between(bindparam(f"lat_min{i}"), bindparam(f"lat_max{i}")),
                    sp.c.lon.between(bindparam(f"lon_min{i}"), bindparam(f"lon_max{i}")),
                )
                for i in range(box_count)
            )
        )
    )
    if country:
        conditions.append(sp.c.country == bindparam("country"))
    if language:
        lang = PractitionerLanguage.__table__
        conditions.append(
            exists().where(
                lang.c.practitioner_id == sp.c.practitioner_id, lang.c.code == bindparam("language")
            )
        )
    query = select(sp.c.practitioner_id, sp.c.location_id, sp.c.lat, sp.c.lon, sp.c.country)
    flags = {
        "telehealth": telehealth,
        "home_visits": home_visits,
        "gentle_only": gentle,
        "accepts_international": international,
    }
    wanted = {name: value for name, value in flags.items() if value is not None}
    if wanted:
        pr = Practitioner.__table__
        query = query.join(pr, pr.c.id == sp.c.practitioner_id)
        conditions.extend(pr.c[name] == value for name, value in wanted.items())
    return query.where(*conditions)


def _scan(session: Session, lat: float, lon: float, filters: Filters, radius_km: float) -> dict:
    """Every matching practitioner in the boxes around the radius_km circle: practitioner id ->
    nearest Hit. Those within radius_km are exactly the practitioners within it; the others
    (in the boxes' corners) tell nearest() how far to look next."""
    boxes = boxes_around(lat, lon, radius_km)
    params: dict = {"techniques": list(filters.techniques or (ANY_TECHNIQUE,))}
    for i, box in enumerate(boxes):
        params.update(
            {
                f"lat_min{i}": box.lat_min,
                f"lat_max{i}": box.lat_max,
                f"lon_min{i}": box.lon_min,
                f"lon_max{i}": box.lon_max,
            }
        )
    if filters.country:
        params["country"] = filters.country
    if filters.language:
        params["language"] = filters.language
    best: dict[int, Hit] = {}
    for pid, loc_id, plat, plon, country in session.execute(
        _points_query(filters, len(boxes)), params
    ):
        distance = haversine_km(lat, lon, plat, plon)
        known = best.get(pid)
        if known is None or (distance, loc_id) < (known.distance_km, known.location_id):
            best[pid] = Hit(pid, loc_id, plat, plon, distance, country)
    return best


def _inside(found: dict, radius_km: float) -> list[Hit]:
    return [hit for hit in found.values() if hit.distance_km <= radius_km]


def _ranked(hits) -> list[Hit]:
    return sorted(hits, key=lambda h: (h.distance_km, h.practitioner_id))


def nearest(
    session: Session,
    lat: float,
    lon: float,
    filters: Filters = Filters(),
    k: int = 20,
    radius_km: float | None = None,
) -> list[Hit]:
    """The k practitioners nearest to (lat, lon), nearest first, within radius_km if given.

    Exact: a scan sees every practitioner within its radius. The radius starts small and
    doubles while nothing is found; once k practitioners have been seen anywhere in the boxes,
    the k-th smallest of their distances is a radius certain to hold k, and one more scan at
    that radius gives the answer (or the whole radius, or the globe, is covered).
    """
    limit = min(
        radius_km if radius_km is not None else HALF_CIRCUMFERENCE_KM, HALF_CIRCUMFERENCE_KM
    )
    r = min(FIRST_RADIUS_KM, limit)
    while True:
        found = _scan(session, lat, lon, filters, r)
        inside = _inside(found, r)
        if len(inside) >= k or r >= limit:
            return _ranked(inside)[:k]
        if len(found) >= k:
            r = min(_ranked(found.values())[k - 1].distance_km, limit)
            return _ranked(_inside(_scan(session, lat, lon, filters, r), r))[:k]
        if found:
            growth = min(4.0, max(1.5, 1.25 * math.sqrt(k / len(found))))
        else:
            growth = 2.0
        r = min(r * growth, limit)


def within(
    session: Session, lat: float, lon: float, filters: Filters, radius_km: float
) -> list[Hit]:
    """Every matching practitioner within radius_km, nearest first (one entry each)."""
    r = min(radius_km, HALF_CIRCUMFERENCE_KM)
    return _ranked(_inside(_scan(session, lat, lon, filters, r), r))


@dataclass(frozen=True)
class Option:
    """A practitioner beyond the radius worth the trip, or one who can help from afar."""

    hit: Hit
    reason: Reason
    trip: Trip
    score: float


@dataclass
class SearchResult:
    """The answer to a search: nearby page, totals, and the other option lists."""

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


@dataclass(frozen=True)
class Origin:
    """Where the patient is: a point, the country it lies in, and the page's language."""

    lat: float
    lon: float
    country: str | None = None
    language: str | None = None


def search(
    session: Session,
    origin: Origin,
    filters: Filters = Filters(),
    radius_km: float = DEFAULT_RADIUS_KM,
    page: int = 1,
    per_page: int = 20,
    whole_country: bool = False,
) -> SearchResult:
    """Nearby matches within the radius (one page of them), whether the place is underserved,
    options worth travelling for, and telehealth options in the patient's language.

    With whole_country, "nearby" is every match in the origin's country, nearest to the
    origin first (the country's main population centre), and the radius covers them all."""
    if whole_country and origin.country and filters.country in (None, origin.country):
        in_country = replace(filters, country=origin.country)
        everything = within(session, origin.lat, origin.lon, in_country, HALF_CIRCUMFERENCE_KM)
        if everything:  # a margin for geodesic distances (within 0.6% of great-circle ones)
            radius_km = max(radius_km, math.ceil(everything[-1].distance_km * 1.006))
    else:
        whole_country = False
        everything = within(session, origin.lat, origin.lon, filters, radius_km)
    start = (page - 1) * per_page
    near_ids = {h.practitioner_id for h in everything}
    travel = travel_worthy(session, origin, filters, near_ids)
    shown = near_ids | {o.hit.practitioner_id for o in travel}
    # Telehealth in the patient's language; else, when the language is only the page's,
    # those who offer it in other languages (each card says which they speak).
    missing = None
    remote = remote_options(session, origin, filters, shown)
    asked = filters.language or origin.language
    if not remote and asked:
        missing = asked
        if not filters.language:
            remote = remote_options(session, replace(origin, language=None), filters, shown)
    # Home visits belong with the options from home, even when also worth a trip.
    home = home_visit_options(
        session, origin, filters, near_ids | {o.hit.practitioner_id for o in remote}
    )
    visiting = {o.hit.practitioner_id for o in home}
    travel = [o for o in travel if o.hit.practitioner_id not in visiting]
    remote = remote + home
    return SearchResult(
        nearby=everything[start : start + per_page],
        total=len(everything),
        radius_km=radius_km,
        underserved=len(everything) < UNDERSERVED_BELOW,
        travel_worthy=travel,
        remote=remote,
        remote_language_missing=missing,
        whole_country=everything if whole_country else [],
    )


TRAVEL_LIMIT = 10
REMOTE_LIMIT = 5
HOME_VISIT_LIMIT = 2
HOME_VISIT_RADIUS_KM = 60.0  # how far a practitioner is assumed to travel to a patient's home


def _noun(filters: Filters) -> str:
    """'MET practitioner', or 'practitioner' for several or no techniques."""
    if len(filters.techniques) == 1:
        return technique_nouns().get(filters.techniques[0], ANY_PRACTITIONER)
    return ANY_PRACTITIONER


def _misfits(p: Practitioner, filters: Filters, language: str | None, today: dt.date) -> int:
    misses = 0
    if filters.techniques and not set(filters.techniques) <= set(p.technique_slugs):
        misses += 1
    if language and language not in p.languages:
        misses += 1
    if not p.patterns:
        misses += 1  # no SI-joint pattern assessment listed
    if p.revet_due and p.revet_due < today:
        misses += 1
    return misses


def travel_worthy(
    session: Session, origin: Origin, filters: Filters, exclude: set[int]
) -> list[Option]:
    """Up to TRAVEL_LIMIT matches beyond the nearby ones, ranked by the travel model.

    Candidates: the nearest matches anywhere (the single nearest always kept), the nearest
    in the patient's own country and in each neighbouring country, and the nearest who
    accept international patients. Each carries the reason it was picked.
    """
    noun = _noun(filters)
    home = origin.country
    reasons: dict[int, tuple[Hit, Reason]] = {}

    def beyond(wanted: Filters, k: int) -> tuple[list[Hit], bool]:
        """The k nearest matches not already shown, and whether a shown one was nearer."""
        hits = nearest(session, origin.lat, origin.lon, wanted, k=k + _skip(exclude))
        fresh = [h for h in hits if h.practitioner_id not in exclude][:k]
        return fresh, bool(hits) and hits[0].practitioner_id in exclude

    def offer(hits: list[Hit], reason: Reason) -> None:
        for hit in hits:
            if hit.practitioner_id not in exclude and hit.practitioner_id not in reasons:
                reasons[hit.practitioner_id] = (hit, reason)

    anywhere, shown_nearer = beyond(filters, 3)
    offer(anywhere[:1], Reason("nearest-beyond" if shown_nearer else "nearest", noun))
    if home and filters.country in (None, home):
        at_home, shown_nearer = beyond(replace(filters, country=home), 2)
        first = "more-home" if shown_nearer else "home-country"
        offer(at_home[:1], Reason(first, noun, country=home))
        offer(at_home[1:], Reason("more-home", noun, country=home))
    if home and filters.country is None:
        for code in neighbours(home):
            offer(
                nearest(session, origin.lat, origin.lon, replace(filters, country=code), k=1),
                Reason("neighbour", noun, country=code),
            )
    welcoming = beyond(replace(filters, accepts_international=True), 3)[0]
    # Welcoming patients from abroad is no reason for someone in the patient's own country.
    offer([h for h in welcoming if not home or h.country != home], Reason("international", noun))
    offer(
        [h for h in welcoming if home and h.country == home],
        Reason("more-home", noun, country=home or ""),
    )
    offer(anywhere[1:], Reason("among-nearest", noun))
    if not reasons:
        return []
    people = {
        p.id: p
        for p in session.scalars(
            select(Practitioner)
            .where(Practitioner.id.in_(reasons))
            .options(
                selectinload(Practitioner.techniques),
                selectinload(Practitioner.language_rows),
                selectinload(Practitioner.pattern_rows),
            )
        )
    }
    today = dt.date.today()
    language = filters.language or origin.language  # speaking it counts in the fit
    options = []
    for pid, (hit, reason) in reasons.items():
        p = people[pid]
        trip, abroad = trip_to(home, hit)
        score = rank_score(
            trip,
            _misfits(p, filters, language, today),
            international_welcome=abroad and p.accepts_international,
        )
        options.append(Option(hit, reason, trip, score))
    options.sort(key=lambda o: (o.score, o.hit.distance_km, o.hit.practitioner_id))
    kept = options[:TRAVEL_LIMIT]
    if (
        anywhere
        and anywhere[0].practitioner_id in reasons
        and all(o.hit.practitioner_id != anywhere[0].practitioner_id for o in kept)
    ):
        first = next(o for o in options if o.hit.practitioner_id == anywhere[0].practitioner_id)
        kept = sorted(kept[:-1] + [first], key=lambda o: (o.score, o.hit.distance_km))
    return kept


SKIP_AT_MOST = 500  # shown matches looked past in one nearest() call


def _skip(exclude: set[int]) -> int:
    """How many extra matches to fetch so that the shown ones can be left out."""
    return min(len(exclude), SKIP_AT_MOST)


def trip_to(home: str | None, hit: Hit) -> tuple[Trip, bool]:
    """The estimated trip from the patient's country to a hit, and whether it goes abroad."""
    abroad = bool(home) and hit.country != home
    by_land = not abroad or hit.country in neighbours(home)
    return estimate_trip(hit.distance_km, crosses_border=abroad, by_land=by_land), abroad


def remote_options(
    session: Session, origin: Origin, filters: Filters, exclude: set[int]
) -> list[Option]:
    """Telehealth practitioners who speak the patient's language, nearest first (time zones).

    Without a language (none asked, none from the page), each option's reason names the
    languages the practitioner speaks."""
    language = filters.language or origin.language
    # Every other ticked filter still holds (home visits, gentle-only): only the place widens.
    wanted = replace(filters, telehealth=True, language=language, country=None)
    hits = [
        h
        for h in nearest(session, origin.lat, origin.lon, wanted, k=REMOTE_LIMIT + _skip(exclude))
        if h.practitioner_id not in exclude
    ][:REMOTE_LIMIT]
    spoken = {} if language else _languages_of(session, [h.practitioner_id for h in hits])
    options = []
    for hit in hits:
        trip, _ = trip_to(origin.country, hit)
        reason = Reason(
            "telehealth",
            _noun(filters),
            language=language or "",
            languages=spoken.get(hit.practitioner_id, ()),
        )
        options.append(Option(hit, reason, trip, trip.hours))
    return options


def _languages_of(session: Session, ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Practitioner id -> the language codes they speak, sorted."""
    spoken: dict[int, list[str]] = {}
    rows = session.execute(
        select(PractitionerLanguage.practitioner_id, PractitionerLanguage.code)
        .where(PractitionerLanguage.practitioner_id.in_(ids))
        .order_by(PractitionerLanguage.practitioner_id, PractitionerLanguage.code)
    )
    for pid, code in rows:
        spoken.setdefault(pid, []).append(code)
    return {pid: tuple(codes) for pid, codes in spoken.items()}


def home_visit_options(
    session: Session, origin: Origin, filters: Filters, exclude: set[int]
) -> list[Option]:
    """For a patient who cannot travel: practitioners within reach who come to the home."""
    visiting = replace(filters, home_visits=True)  # a ticked telehealth box still holds
    hits = nearest(
        session,
        origin.lat,
        origin.lon,
        visiting,
        k=HOME_VISIT_LIMIT + _skip(exclude),
        radius_km=HOME_VISIT_RADIUS_KM,
    )
    hits = [h for h in hits if h.practitioner_id not in exclude][:HOME_VISIT_LIMIT]
    language = filters.language or origin.language
    spoken = _languages_of(session, [h.practitioner_id for h in hits])
    options = []
    for hit in hits:
        trip, _ = trip_to(origin.country, hit)
        speaks = spoken.get(hit.practitioner_id, ())
        # Say which languages they speak when the patient's is not among them.
        others = speaks if language and language not in speaks else ()
        reason = Reason("home-visits", _noun(filters), languages=others)
        options.append(Option(hit, reason, trip, trip.hours))
    return options
