"""The options policy: which practitioners beyond the nearby ones to suggest, and why.

Worth the trip (the nearest anywhere, at home, in each neighbouring country, who welcome
patients from abroad), remote (telehealth in the patient's language) and home visits. No
Flask and no SQL here: `questions()` says what to ask of the index (`nearest.Neighbourhood`
answers them all with a few shared scans) and `choose()` ranks the answers with the travel
model, given the practitioners behind them (loaded once by the caller).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from .details import DETAILS
from .gazetteer import neighbours
from .models import Practitioner
from .nearest import Filters, Hit, Question
from .reasons import ANY_PRACTITIONER, Reason
from .techniques import technique_nouns
from .travel import Trip, estimate_trip, rank_score

TRAVEL_LIMIT = 10
REMOTE_LIMIT = 5
HOME_VISIT_LIMIT = 2
HOME_VISIT_RADIUS_KM = 60.0  # how far a practitioner is assumed to travel to a patient's home
# How many of an answer's practitioners (not shown nearby) the option lists may use: remote
# options also skip those worth the trip, home visits those offered remote.
ROOM = {"remote": REMOTE_LIMIT + TRAVEL_LIMIT, "remote-speaking": REMOTE_LIMIT + TRAVEL_LIMIT,
        "home-visits": HOME_VISIT_LIMIT + REMOTE_LIMIT}  # fmt: skip


@dataclass(frozen=True)
class Origin:
    """Where the patient is: a point, the country it lies in, and the page's language."""

    lat: float
    lon: float
    country: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Option:
    """A practitioner beyond the radius worth the trip, or one who can help from afar."""

    hit: Hit
    reason: Reason
    trip: Trip
    score: float


@dataclass(frozen=True)
class Options:
    travel_worthy: list[Option]
    remote: list[Option]
    # The language nobody offers telehealth in (those shown speak others), if so.
    remote_language_missing: str | None = None


def travel_questions(
    origin: Origin, filters: Filters, shown: frozenset[int] = frozenset()
) -> dict[str, Question]:
    """What to ask the index for options worth the trip (see travel_worthy()); `shown` are
    the practitioners the page lists already: each answer finds that many more."""
    asked = dict(techniques=filters.techniques, country=filters.country, skip=shown)
    home = origin.country
    ask = {
        "anywhere": Question(k=3, **asked),
        "welcoming": Question(k=3, accepts_international=True, **asked),
    }
    if home and filters.country in (None, home):
        ask["home"] = Question(k=2, techniques=filters.techniques, country=home, skip=shown)
    if home and filters.country is None:
        for code in neighbours(home):
            ask[f"neighbour:{code}"] = Question(k=1, techniques=filters.techniques, country=code)
    return ask


def questions(origin: Origin, filters: Filters, shown: frozenset[int]) -> dict[str, Question]:
    """What to ask the index for every option, for a neighbourhood read with
    `base_filters(filters)` and `speaks=origin.language`; `shown` are the practitioners the
    page already lists."""
    ask = travel_questions(origin, filters, shown)
    # Remote options leave the place filter aside; every ticked box still holds. They skip
    # those worth the trip too (at most TRAVEL_LIMIT), home visits those offered remote.
    remote_k = REMOTE_LIMIT + TRAVEL_LIMIT
    ask["remote"] = Question(k=remote_k, techniques=filters.techniques, telehealth=True, skip=shown)
    if not filters.language and origin.language:
        ask["remote-speaking"] = Question(
            k=remote_k, techniques=filters.techniques, telehealth=True, speaks=True, skip=shown
        )
    ask["home-visits"] = Question(
        k=HOME_VISIT_LIMIT + REMOTE_LIMIT,
        skip=shown,
        radius_km=HOME_VISIT_RADIUS_KM,
        techniques=filters.techniques,
        country=filters.country,
        home_visits=True,
    )
    return ask


def base_filters(filters: Filters) -> Filters:
    """The filters every question shares: all but the place (remote options ignore it)."""
    return replace(filters, country=None, accepts_international=None)


def noun(filters: Filters) -> str:
    """'MET practitioner', or 'practitioner' for several or no techniques."""
    if len(filters.techniques) == 1:
        return technique_nouns().get(filters.techniques[0], ANY_PRACTITIONER)
    return ANY_PRACTITIONER


def misfits(p: Practitioner, filters: Filters, language: str | None, today: dt.date) -> int:
    """How many ways the practitioner fits worse than asked (see travel.MISFIT_WEIGHT)."""
    misses = 0
    if filters.techniques and not set(filters.techniques) <= set(p.technique_slugs):
        misses += 1
    if language and language not in p.languages:
        misses += 1
    if not p.patterns:
        misses += 1  # no SI-joint pattern assessment listed
    if p.due_for_review(today):
        misses += 1
    return misses


def trip_to(home: str | None, hit: Hit) -> tuple[Trip, bool]:
    """The estimated trip from the patient's country to a hit, and whether it goes abroad."""
    abroad = bool(home) and hit.country != home
    by_land = not abroad or hit.country in neighbours(home)
    return estimate_trip(hit.distance_km, crosses_border=abroad, by_land=by_land), abroad


def candidates(answers: dict, shown: set[int]) -> set[int]:
    """Every practitioner an option may be made of, to load them in one query: of each
    answer, the first ones not shown, as many as the option lists could take from it."""
    found: set[int] = set()
    for key, hits in answers.items():
        kind = key[-1] if isinstance(key, tuple) else key
        room = ROOM.get(kind, 3)
        fresh = (h.practitioner_id for h in hits if h.practitioner_id not in shown)
        found.update(pid for pid, _ in zip(fresh, range(room), strict=False))
    return found


def travel_worthy(
    origin: Origin,
    filters: Filters,
    answers: dict[str, list[Hit]],
    exclude: set[int],
    people: dict[int, Practitioner],
    today: dt.date,
) -> list[Option]:
    """Up to TRAVEL_LIMIT matches beyond the nearby ones, ranked by the travel model.

    Candidates: the nearest matches anywhere (the single nearest always kept), the nearest
    in the patient's own country and in each neighbouring country, and the nearest who
    accept international patients. Each carries the reason it was picked.
    """
    what = noun(filters)
    home = origin.country
    reasons: dict[int, tuple[Hit, Reason]] = {}

    def beyond(key: str, k: int) -> tuple[list[Hit], bool]:
        """The k nearest answers not shown, and whether a shown one was nearer."""
        hits = answers.get(key, [])
        fresh = [h for h in hits if h.practitioner_id not in exclude][:k]
        return fresh, bool(hits) and hits[0].practitioner_id in exclude

    def offer(hits: list[Hit], reason: Reason) -> None:
        for hit in hits:
            if hit.practitioner_id not in exclude and hit.practitioner_id not in reasons:
                reasons[hit.practitioner_id] = (hit, reason)

    anywhere, shown_nearer = beyond("anywhere", 3)
    offer(anywhere[:1], Reason("nearest-beyond" if shown_nearer else "nearest", what))
    if "home" in answers:
        at_home, shown_nearer = beyond("home", 2)
        first = "more-home" if shown_nearer else "home-country"
        offer(at_home[:1], Reason(first, what, country=home))
        offer(at_home[1:], Reason("more-home", what, country=home))
    for key, hits in answers.items():
        if key.startswith("neighbour:"):
            offer(hits, Reason("neighbour", what, country=key.removeprefix("neighbour:")))
    welcoming = beyond("welcoming", 3)[0]
    # Welcoming patients from abroad is no reason for someone in the patient's own country.
    offer([h for h in welcoming if not home or h.country != home], Reason("international", what))
    offer(
        [h for h in welcoming if home and h.country == home],
        Reason("more-home", what, country=home or ""),
    )
    offer(anywhere[1:], Reason("among-nearest", what))
    language = filters.language or origin.language  # speaking it counts in the fit
    options = []
    for pid, (hit, reason) in reasons.items():
        p = people[pid]
        trip, abroad = trip_to(home, hit)
        score = rank_score(
            trip,
            misfits(p, filters, language, today),
            international_welcome=abroad and p.accepts_international,
        )
        options.append(Option(hit, reason, trip, score))
    options.sort(key=lambda o: (o.score, o.hit.distance_km, o.hit.practitioner_id))
    kept = options[:TRAVEL_LIMIT]
    if anywhere and all(o.hit.practitioner_id != anywhere[0].practitioner_id for o in kept):
        first = next(o for o in options if o.hit.practitioner_id == anywhere[0].practitioner_id)
        kept = sorted(kept[:-1] + [first], key=lambda o: (o.score, o.hit.distance_km))
    return kept


TELEHEALTH_COUNTRIES = DETAILS["telehealth_countries"]


def remote(
    origin: Origin,
    filters: Filters,
    answers: dict[str, list[Hit]],
    exclude: set[int],
    people: dict[int, Practitioner],
) -> tuple[list[Option], str | None]:
    """Telehealth practitioners who speak the patient's language, nearest first (time zones),
    and the language nobody offers it in, if so. Those who list the countries whose patients
    they see by telehealth are offered only to patients there; those who do not say are
    offered with a reason that asks the patient to check.

    When the language is only the page's and nobody speaks it, those who offer telehealth in
    other languages are shown, each reason naming the languages they speak."""

    def pick(key: str, language: str | None) -> list[Option]:
        hits = [h for h in answers.get(key, []) if h.practitioner_id not in exclude]
        options = []
        for hit in hits:
            p = people[hit.practitioner_id]
            serves = TELEHEALTH_COUNTRIES.listed(p.telehealth_countries)
            if origin.country and serves and origin.country not in serves:
                continue  # licensed for patients elsewhere: not an option from here
            # Unknown: the reason asks the patient to check (licensing follows the patient).
            ask = origin.country if origin.country and not serves else ""
            trip, _ = trip_to(origin.country, hit)
            spoken = () if language else tuple(sorted(p.languages))
            reason = Reason(
                "telehealth", noun(filters), country=ask, language=language or "", languages=spoken
            )
            options.append(Option(hit, reason, trip, trip.hours))
            if len(options) == REMOTE_LIMIT:
                break
        return options

    if filters.language:
        found = pick("remote", filters.language)
        return found, None if found else filters.language
    if origin.language:
        found = pick("remote-speaking", origin.language)
        if found:
            return found, None
        return pick("remote", None), origin.language
    return pick("remote", None), None


def home_visits(
    origin: Origin,
    filters: Filters,
    answers: dict[str, list[Hit]],
    exclude: set[int],
    people: dict[int, Practitioner],
) -> list[Option]:
    """For a patient who cannot travel: practitioners within reach who come to the home."""
    hits = [h for h in answers.get("home-visits", []) if h.practitioner_id not in exclude]
    language = filters.language or origin.language
    options = []
    for hit in hits[:HOME_VISIT_LIMIT]:
        trip, _ = trip_to(origin.country, hit)
        speaks = tuple(sorted(people[hit.practitioner_id].languages))
        # Say which languages they speak when the patient's is not among them.
        others = speaks if language and language not in speaks else ()
        reason = Reason("home-visits", noun(filters), languages=others)
        options.append(Option(hit, reason, trip, trip.hours))
    return options


def choose(
    origin: Origin,
    filters: Filters,
    answers: dict[str, list[Hit]],
    near_ids: set[int],
    people: dict[int, Practitioner],
    today: dt.date,
) -> Options:
    """The options of one search from the index's answers to `questions()`."""
    travel = travel_worthy(origin, filters, answers, near_ids, people, today)
    shown = near_ids | {o.hit.practitioner_id for o in travel}
    far, missing = remote(origin, filters, answers, shown, people)
    # Home visits belong with the options from home, even when also worth a trip.
    home = home_visits(
        origin, filters, answers, near_ids | {o.hit.practitioner_id for o in far}, people
    )
    visiting = {o.hit.practitioner_id for o in home}
    travel = [o for o in travel if o.hit.practitioner_id not in visiting]
    return Options(travel, far + home, missing)
