"""Geocoding text to places with the offline gazetteer, and the cache in front of it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import finder.models  # noqa: F401  (registers the tables on db.metadata)
from finder.extensions import db
from finder.gazetteer import (
    BUILD_VERSION,
    Gazetteer,
    built_version,
    country_name,
    ensure_built,
    neighbours,
    normalise,
)
from finder.geo import boxes_around, haversine_km
from finder.geocode import (
    AmbiguousPlace,
    GeocodeError,
    Place,
    PlaceNotFound,
    _remember,
    _Throttle,
    cache_key,
    geocode,
)
from finder.models import GeocodeCache

REPO = Path(__file__).resolve().parent.parent
MISSING_GAZETTEER = "/nonexistent/gazetteer.sqlite"


@pytest.fixture(scope="session")
def gazetteer_path() -> str:
    """The gazetteer file, built once per test session if it is missing or out of date."""
    path = os.environ.get("GAZETTEER_PATH", str(REPO / "instance" / "gazetteer.sqlite"))
    ensure_built(path)
    return path


def _new_session(url: str = "sqlite://") -> Session:
    engine = create_engine(url)
    db.metadata.create_all(engine)
    return Session(engine)


@pytest.fixture
def session(tmp_path):
    """A session on an empty SQLite file with the project's tables."""
    with _new_session(f"sqlite:///{tmp_path / 'geocode.sqlite'}") as s:
        yield s


@pytest.fixture
def find(session, gazetteer_path):
    """geocode() offline on the test session and gazetteer."""

    def find(text: str) -> Place:
        return geocode(session, text, gazetteer_path=gazetteer_path)

    return find


# --- places that resolve --------------------------------------------------------------------

SEOUL = (37.5665, 126.9780)
VIENNA = (48.2082, 16.3738)
AUSTIN = (30.2672, -97.7431)
LONDON = (51.5074, -0.1278)
MONGOLIA = (46.86, 103.85)  # the country's geographic centre

FOUND = [
    ("Seoul", "Seoul, South Korea", "KR", "city", SEOUL, 5),
    ("서울", "Seoul, South Korea", "KR", "city", SEOUL, 5),
    ("Seoul, South Korea", "Seoul, South Korea", "KR", "city", SEOUL, 5),
    ("Seoul South Korea", "Seoul, South Korea", "KR", "city", SEOUL, 5),
    ("Wien, Österreich", "Vienna, Austria", "AT", "city", VIENNA, 5),
    ("  wien  ", "Vienna, Austria", "AT", "city", VIENNA, 5),
    ("78701", "78701 (Austin, Texas), United States", "US", "zip", AUSTIN, 3),
    ("78701-1234", "78701 (Austin, Texas), United States", "US", "zip", AUSTIN, 3),
    ("Mongolia", "Mongolia", "MN", "country", MONGOLIA, 300),
    ("Austin, TX", "Austin, Texas, United States", "US", "city", AUSTIN, 5),
    ("Austin, Texas", "Austin, Texas, United States", "US", "city", AUSTIN, 5),
    ("Austin TX", "Austin, Texas, United States", "US", "city", AUSTIN, 5),
    ("Austin, Texas, United States", "Austin, Texas, United States", "US", "city", AUSTIN, 5),
    ("London", "London, United Kingdom", "GB", "city", LONDON, 5),
    ("London, UK", "London, United Kingdom", "GB", "city", LONDON, 5),
    ("London, CA", "London, Canada", "CA", "city", (42.9849, -81.2453), 5),
    ("Paris", "Paris, France", "FR", "city", (48.8566, 2.3522), 5),
    ("Paris, TX", "Paris, Texas, United States", "US", "city", (33.6609, -95.5555), 5),
    (
        "Springfield, IL",
        "Springfield, Illinois, United States",
        "US",
        "city",
        (39.7817, -89.6501),
        5,
    ),
    ("Rome", "Rome, Italy", "IT", "city", (41.9028, 12.4964), 10),
    ("Singapore", "Singapore, Singapore", "SG", "city", (1.2903, 103.8520), 10),
    ("Deutschland", "Germany", "DE", "country", (51.16, 10.45), 300),
    ("대한민국", "South Korea", "KR", "country", (36.5, 127.8), 200),
    ("Corée du Sud", "South Korea", "KR", "country", (36.5, 127.8), 200),
    ("USA", "United States", "US", "country", (39.8, -98.6), 1000),
]


@pytest.mark.parametrize(("text", "label", "country", "kind", "point", "km"), FOUND)
def test_text_resolves_to_place(find, text, label, country, kind, point, km):
    place = find(text)
    assert (place.label, place.country, place.kind) == (label, country, kind)
    assert haversine_km(place.lat, place.lon, *point) < km


def test_zip_code_of_a_territory_is_labelled_with_its_country(find):
    place = find("00901")
    assert (place.label, place.country) == ("00901 (San Juan), Puerto Rico", "PR")


# --- places that do not ---------------------------------------------------------------------


def test_springfield_is_ambiguous_with_candidates_in_several_states(find):
    with pytest.raises(AmbiguousPlace) as caught:
        find("Springfield")
    candidates = caught.value.candidates
    states = {c.label.split(", ")[1] for c in candidates}
    assert len(candidates) >= 3 and len(states) >= 3
    assert len(candidates) <= 10
    assert candidates[0].label == "Springfield, Missouri, United States"
    assert all(c.label.endswith(", United States") and c.kind == "city" for c in candidates)
    assert "Springfield" in caught.value.message


def test_a_name_two_countries_share_is_ambiguous(find):
    with pytest.raises(AmbiguousPlace) as caught:
        find("Kongo")
    assert {c.country for c in caught.value.candidates} == {"CD", "CG"}


def test_an_unknown_qualifier_offers_every_city_of_that_name(find):
    with pytest.raises(AmbiguousPlace) as caught:
        find("Paris, Ontario")
    assert "Paris, Canada" in [c.label for c in caught.value.candidates]


@pytest.mark.parametrize(
    "text", ["xqzzyv blorp", "<script>alert(1)</script>", "Paris, Germany", "00000", ",,,"]
)
def test_unknown_text_is_not_found_with_a_message(find, text):
    with pytest.raises(PlaceNotFound) as caught:
        find(text)
    assert caught.value.message.startswith(f"We could not find “{text.strip()}”.")
    assert "city name, a postal code or a country" in caught.value.message


@pytest.mark.parametrize("text", ["", "   ", "x" * 500, "Seoul " * 40])
def test_empty_or_too_long_text_is_refused(find, text):
    with pytest.raises(GeocodeError) as caught:
        find(text)
    assert caught.value.message


# --- the cache ------------------------------------------------------------------------------


def test_second_call_is_answered_from_the_cache(session, find):
    first = find("Seoul, South Korea")
    assert session.get(GeocodeCache, ("seoul, south korea", "offline")) is not None
    # A gazetteer file that does not exist would fail any lookup: the cache must answer.
    again = geocode(session, "SEOUL,  south korea", gazetteer_path=MISSING_GAZETTEER)
    assert again == first


def test_ambiguous_candidates_are_cached_too(session, find):
    with pytest.raises(AmbiguousPlace) as first:
        find("Springfield")
    with pytest.raises(AmbiguousPlace) as again:
        geocode(session, "springfield", gazetteer_path=MISSING_GAZETTEER)
    assert again.value.candidates == first.value.candidates


def test_a_cached_answer_of_another_build_is_looked_up_again(session, find):
    stale = {
        "version": BUILD_VERSION - 1,
        "place": {"lat": 0, "lon": 0, "label": "Nowhere", "country": None, "kind": "city"},
    }
    session.add(GeocodeCache(query="seoul", provider="offline", result=stale))
    session.commit()
    assert find("Seoul").label == "Seoul, South Korea"
    assert session.get(GeocodeCache, ("seoul", "offline")).result["version"] == BUILD_VERSION


def test_a_concurrent_insert_of_the_same_key_is_harmless(tmp_path):
    url = f"sqlite:///{tmp_path / 'cache.sqlite'}"
    result = {"place": {"lat": 1.0, "lon": 2.0, "label": "X", "country": None, "kind": "city"}}
    with _new_session(url) as first, _new_session(url) as second:
        assert first.get(GeocodeCache, ("x", "offline")) is None  # both miss ...
        _remember(second, "x", "offline", result, False)  # ... the other one stores first
        _remember(first, "x", "offline", result, False)  # no IntegrityError escapes
        first.rollback()  # the request's read ends
        assert first.get(GeocodeCache, ("x", "offline")).result["place"]["label"] == "X"


def test_a_lookup_stores_its_answer_without_committing_the_callers_session(session, gazetteer_path):
    """A GET search must not commit the caller's transaction: the cache has its own."""
    assert session.get(GeocodeCache, ("seoul", "offline")) is None  # a read: a transaction
    reading = session.get_transaction()
    geocode(session, "Seoul", gazetteer_path=gazetteer_path)
    assert session.get_transaction() is reading  # still the caller's read, not committed
    with Session(session.get_bind()) as other:  # stored for everyone
        assert other.get(GeocodeCache, ("seoul", "offline")).result["version"] == BUILD_VERSION


def test_a_caller_with_changes_of_its_own_keeps_the_answer_with_them(session, gazetteer_path):
    session.add(GeocodeCache(query="caller's own row", provider="offline", result={}))
    geocode(session, "Seoul", gazetteer_path=gazetteer_path)
    session.rollback()  # the caller gives up its work: nothing of it is stored
    assert session.get(GeocodeCache, ("caller's own row", "offline")) is None
    assert session.get(GeocodeCache, ("seoul", "offline")) is None


def test_cache_key_keeps_commas_and_normalises_parts():
    assert cache_key(" Wien ,  ÖSTERREICH ") == "wien, osterreich"
    assert cache_key("Austin TX") != cache_key("Austin, TX")


# --- the gazetteer --------------------------------------------------------------------------


def test_gazetteer_is_built_by_this_version_and_rebuilt_only_when_needed(gazetteer_path):
    assert built_version(gazetteer_path) == BUILD_VERSION
    before = os.stat(gazetteer_path).st_mtime_ns
    ensure_built(gazetteer_path)
    assert os.stat(gazetteer_path).st_mtime_ns == before


class RecordingGazetteer(Gazetteer):
    """The real gazetteer, keeping every query it runs."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.queries: list[tuple[str, tuple]] = []

    def _rows(self, sql, params=()):
        self.queries.append((sql, tuple(params)))
        return super()._rows(sql, params)


def test_the_lookups_a_page_makes_are_answered_from_an_index(gazetteer_path):
    """Each card's city in the page's language, a country's biggest city, a place's names:
    none of them reads a whole table (they did: 2-4 ms each, 20 a results page)."""
    gazetteer = RecordingGazetteer(gazetteer_path)
    assert gazetteer.local_city_name("Toronto", "CA", "ko") == "토론토"
    assert gazetteer.local_city_name("Toronto", "CA", "xx") is None
    assert gazetteer.is_city_name("토론토", "Toronto", "CA")
    assert gazetteer.largest_city("US").name == "New York City"
    assert gazetteer.largest_city("ZZ") is None
    assert gazetteer.find_cities("Wien", country="AT")[0].name == "Vienna"
    assert gazetteer.find_countries("Österreich")[0].code == "AT"
    assert gazetteer.nearest_city(64.1, -21.9).country == "IS"
    assert gazetteer.us_state("Texas") == "TX"
    plans = {}
    for sql, params in list(gazetteer.queries):
        steps = gazetteer._rows(f"EXPLAIN QUERY PLAN {sql}", params)
        plans[sql] = [step[-1] for step in steps]
    whole = {sql: plan for sql, plan in plans.items() if any(s.startswith("SCAN") for s in plan)}
    assert not whole, whole


def test_gazetteer_is_opened_read_only(gazetteer_path):
    gazetteer = Gazetteer(gazetteer_path)
    assert gazetteer.find_cities("Wien", country="AT")[0].name == "Vienna"
    with pytest.raises(Exception, match="readonly"):
        gazetteer._rows("DELETE FROM city")


def test_gazetteer_lookups(gazetteer_path):
    gazetteer = Gazetteer(gazetteer_path)
    assert [c.admin1 for c in gazetteer.find_cities("Springfield", "US", "IL")] == ["IL"]
    assert [c.code for c in gazetteer.find_countries("Österreich")] == ["AT"]
    assert [c.code for c in gazetteer.find_countries("KOR")] == ["KR"]
    assert gazetteer.find_countries("KOR", codes=False) == []
    assert gazetteer.us_state("texas") == gazetteer.us_state("TX") == "TX"
    assert gazetteer.zip_code("78701").city == "Austin"


def test_country_names_and_neighbours():
    assert country_name("KR") == "South Korea"
    assert country_name("AT", "de") == "Österreich"
    assert country_name("KR", "no-such-locale") == "South Korea"
    assert set(neighbours("AT")) >= {"DE", "CH", "IT"}
    assert neighbours("XX") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("  São-Paulo ", "sao paulo"), ("St. John's", "st johns"), ("ＷＩＥＮ", "wien"),
     ("Łódź", "lodz"), ("Côte d’Ivoire", "cote divoire"), ("서울", "서울")],
)  # fmt: skip
def test_normalise(text, expected):
    assert normalise(text) == expected


@given(st.text())
def test_normalise_is_idempotent(text):
    assert normalise(normalise(text)) == normalise(text)


def test_throttle_spaces_calls_by_its_interval():
    throttle = _Throttle(0.2)
    start = time.monotonic()
    for _ in range(3):
        throttle.wait()
    assert time.monotonic() - start >= 0.4


# --- any text at all ------------------------------------------------------------------------

WORDS = ["Seoul", "서울", "Springfield", "TX", "Texas", "US", "78701", "Paris", "Georgia", "Kongo"]
TEXTS = st.one_of(
    st.text(max_size=250),
    st.lists(st.sampled_from([*WORDS, ",", " ", "-", ".", "'"]), max_size=12).map("".join),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS)
def test_any_text_gives_a_place_or_a_geocode_error(find, text):
    try:
        place = find(text)
    except GeocodeError as exc:
        assert isinstance(exc.message, str) and exc.message
        if isinstance(exc, AmbiguousPlace):
            assert 1 <= len(exc.candidates) <= 10
    else:
        assert place.kind in {"city", "zip", "postal", "country", "address"}
        assert -90 <= place.lat <= 90 and -180 <= place.lon <= 180


_near_cities = st.tuples(  # around the gazetteer's own cities (dense regions weigh most)
    st.integers(0, 69_000), st.floats(-0.5, 0.5), st.floats(-0.5, 0.5)
)


@settings(max_examples=300, deadline=None)
@given(
    point=st.one_of(
        _near_cities,
        st.tuples(st.floats(-90, 90), st.floats(-180, 180)),
        st.tuples(st.floats(-90, 90), st.sampled_from([179.9, -179.9, 180.0, -180.0])),
        st.tuples(st.sampled_from([89.9, -89.9, 70.0, -60.0]), st.floats(-180, 180)),
    )
)
def test_the_nearest_city_is_the_nearest_in_the_boxes_around_300_km(gazetteer_path, point):
    """nearest_city reads outwards, but answers what reading every city in the boxes around
    the 300 km circle answers (the nearest of them, by haversine; none at sea), from
    Frankfurt's thousands of neighbours to the poles and either side of ±180°."""
    gazetteer = Gazetteer(gazetteer_path)
    if len(point) == 3:
        at, dlat, dlon = point
        rows = gazetteer._rows("SELECT lat, lon FROM city LIMIT 1 OFFSET ?", (at,))
        lat = max(-90.0, min(90.0, rows[0][0] + dlat))
        lon = (rows[0][1] + dlon + 180.0) % 360.0 - 180.0
    else:
        lat, lon = point
    every = []
    for box in boxes_around(lat, lon, 300):
        every += gazetteer._rows(
            "SELECT name, country, lat, lon FROM city WHERE lat BETWEEN ? AND ?"
            " AND lon BETWEEN ? AND ?",
            box,
        )
    city = gazetteer.nearest_city(lat, lon)
    if not every:
        assert city is None
        return
    nearest = min(haversine_km(lat, lon, c[2], c[3]) for c in every)
    assert city is not None
    assert haversine_km(lat, lon, city.lat, city.lon) == nearest
