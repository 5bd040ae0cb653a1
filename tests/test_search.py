"""The search against a brute-force scan: same top-k, across ±180° and near the poles."""

from __future__ import annotations

import itertools
import math
import random
from contextlib import ExitStack
from dataclasses import replace

import pytest
from geopy.distance import geodesic
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from finder import nearest as nearest_module
from finder import postgis
from finder.database import driver_rows
from finder.extensions import db
from finder.geo import (
    HALF_CIRCUMFERENCE_KM,
    band_ranges,
    boxes_around,
    geodesic_km,
    haversine_km,
    unit_vector,
)
from finder.models import PracticeLocation, Practitioner, SearchPoint, Technique
from finder.nearest import (
    MAX_SCANS,
    READ_LIMIT,
    Filters,
    Neighbourhood,
    Question,
    nearest,
    prepare_statements,
    within,
)
from finder.search import Origin, search
from finder.techniques import load_techniques

from .conftest import force_samples, postgres_schema_engine, skip_or_fail

TECHNIQUES = ["chiropractic", "physical-therapy", "muscle-energy-technique", "si-joint-fusion"]
COUNTRIES = ["US", "FJ", "NZ", "RU", "AQ", "NO", "KR"]
LANGUAGES = ["en", "ko", "es", "ja"]


def _random_point(rng: random.Random) -> tuple[float, float]:
    """Mostly ordinary places, with many near the ±180° meridian and the poles."""
    kind = rng.random()
    if kind < 0.25:
        return rng.uniform(-60, 60), rng.choice([-1, 1]) * rng.uniform(175, 180)
    if kind < 0.4:
        return rng.choice([-1, 1]) * rng.uniform(80, 90), rng.uniform(-180, 180)
    return math.degrees(math.asin(rng.uniform(-1, 1))), rng.uniform(-180, 180)


def build_directory(session: Session, count: int, seed: int = 7) -> None:
    """`count` practitioners, some with two locations, some not approved."""
    rng = random.Random(seed)
    load_techniques(session)
    techniques = {t.slug: t for t in session.query(Technique)}
    for n in range(count):
        p = Practitioner(
            ref=f"t-{n}",
            name=f"Test {n}",
            status=rng.choice(["approved"] * 5 + ["pending", "suspended"]),
            telehealth=rng.random() < 0.3,
            home_visits=rng.random() < 0.2,
            gentle_only=rng.random() < 0.4,
        )
        p.techniques = [techniques[s] for s in rng.sample(TECHNIQUES, rng.randint(1, 2))]
        p.languages = rng.sample(LANGUAGES, rng.randint(1, 2))
        p.locations = []
        for i in range(rng.choice([1, 1, 1, 2])):
            lat, lon = _random_point(rng)
            p.locations.append(
                PracticeLocation(
                    position=i, city="X", country=rng.choice(COUNTRIES), latitude=lat, longitude=lon
                )
            )
        session.add(p)
        if n % 100 == 99:
            session.flush()  # the flush indexes what it writes (finder.listings)
    session.commit()


def _snapshot(session: Session) -> list:
    """Plain copies of every approved listing, read once per database."""
    if "snapshot" not in session.info:
        session.info["snapshot"] = [
            (
                p.id,
                set(p.technique_slugs),
                set(p.languages),
                p.telehealth,
                p.gentle_only,
                [(loc.country, loc.latitude, loc.longitude) for loc in p.locations],
            )
            for p in session.query(Practitioner).filter_by(status="approved")
        ]
    return session.info["snapshot"]


def brute_force(session: Session, lat, lon, filters: Filters, k, radius_km):
    """Every approved location scanned, best per practitioner, nearest first."""
    best = {}
    for pid, techniques, languages, telehealth, gentle, locations in _snapshot(session):
        if filters.techniques and not set(filters.techniques) & techniques:
            continue
        if filters.language and filters.language not in languages:
            continue
        if filters.telehealth is not None and telehealth != filters.telehealth:
            continue
        if filters.gentle is not None and gentle != filters.gentle:
            continue
        for country, plat, plon in locations:
            if filters.country and country != filters.country:
                continue
            d = haversine_km(lat, lon, plat, plon)
            if radius_km is not None and d > radius_km:
                continue
            if pid not in best or d < best[pid]:
                best[pid] = d
    ranked = sorted(best.items(), key=lambda item: (item[1], item[0]))
    return ranked[:k]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite_only),
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("postgis", marks=pytest.mark.postgres),
    ],
)
def directory_session(request, tmp_path_factory):
    """A session on a generated directory: SQLite, PostgreSQL (the band-range search) or PostgreSQL
    with PostGIS (the GiST index's k nearest)."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            from finder.database import configure_sqlite

            engine = create_engine(
                f"sqlite:///{tmp_path_factory.mktemp('search') / 'search.sqlite'}"
            )
            configure_sqlite(engine)
            stack.callback(engine.dispose)
        else:
            engine = stack.enter_context(
                postgres_schema_engine(request.getfixturevalue("postgres_url"))
            )
        db.metadata.create_all(engine)
        if request.param == "postgis":
            with engine.begin() as connection:
                if not postgis.add_geography(connection):
                    skip_or_fail(
                        "PostGIS is not installed (apt-get install postgresql-15-postgis-3)"
                    )
        with Session(engine) as session:
            gis = postgis.schema_for_search(session.connection())
            assert (gis is not None) == (request.param == "postgis")
            build_directory(session, 1500)
            yield session


latitudes = st.one_of(
    st.floats(-90, 90),
    st.floats(84, 90),
    st.floats(-90, -84),
    st.sampled_from([90.0, -90.0, 0.0]),
)
longitudes = st.one_of(
    st.floats(-180, 180),
    st.floats(170, 180),
    st.floats(-180, -170),
    st.sampled_from([180.0, -180.0]),
)
filters = st.builds(
    Filters,
    techniques=st.one_of(
        st.just(()), st.lists(st.sampled_from(TECHNIQUES), min_size=1, max_size=2).map(tuple)
    ),
    country=st.one_of(st.none(), st.sampled_from(COUNTRIES)),
    language=st.one_of(st.none(), st.sampled_from(LANGUAGES)),
    telehealth=st.sampled_from([None, True]),
    gentle=st.sampled_from([None, True, False]),
)


@pytest.mark.parametrize("samples", [False, True], ids=["grown", "sampled"])
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lat=latitudes,
    lon=longitudes,
    wanted=filters,
    k=st.integers(1, 40),
    radius=st.one_of(st.none(), st.floats(1, 20000)),
)
# A scan that hit its limit once claimed the circle to its last row, beyond the boxes read.
@example(
    lat=27.0,
    lon=0.0,
    wanted=Filters(techniques=("chiropractic", "physical-therapy"), country="NZ"),
    k=35,
    radius=None,
)
def test_nearest_matches_brute_force(
    directory_session, monkeypatch, samples, lat, lon, wanted, k, radius
):
    """Also with the sample levels asked how far to read ("sampled": a large directory's
    way, forced here on a small one)."""
    if samples:
        force_samples(monkeypatch)
    got = nearest(directory_session, lat, lon, wanted, k=k, radius_km=radius)
    expected = brute_force(directory_session, lat, lon, wanted, k, radius)
    assert [h.practitioner_id for h in got] == [pid for pid, _ in expected]
    for hit, (_, distance) in zip(got, expected, strict=True):
        assert hit.distance_km == pytest.approx(distance)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lat=latitudes,
    lon=longitudes,
    wanted=filters,
    k=st.integers(1, 10),
    radius=st.one_of(st.none(), st.floats(1, 20000)),
    skipped=st.lists(st.integers(0, 60), max_size=40).map(frozenset),
)
def test_skipped_practitioners_are_listed_but_not_counted(
    directory_session, lat, lon, wanted, k, radius, skipped
):
    """A question that skips practitioners (those a page shows already) finds the k nearest
    others, after the nearest skipped one when it is the nearest of all."""
    ranked = brute_force(directory_session, lat, lon, wanted, 10**9, radius)
    skip = frozenset(ranked[i][0] for i in skipped if i < len(ranked))
    expected = expected_answer(ranked, k, skip)
    hood = Neighbourhood(directory_session, lat, lon, wanted)
    limit = HALF_CIRCUMFERENCE_KM if radius is None else radius
    got = hood.answer({0: Question(k=k, radius_km=limit, skip=skip)})[0]
    assert [h.practitioner_id for h in got] == expected
    distances = dict(ranked)
    for hit in got:
        assert hit.distance_km == pytest.approx(distances[hit.practitioner_id])


def expected_answer(ranked, k, skip):
    """A question's answer from a brute-force ranking: the k nearest not skipped, after the
    nearest skipped one when it is the nearest of all."""
    expected = [item for item in ranked if item[0] not in skip][:k]
    if ranked and ranked[0][0] in skip:
        expected.insert(0, ranked[0])
    return [pid for pid, _ in expected]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lat=latitudes,
    lon=longitudes,
    wanted=filters.map(lambda f: replace(f, country=None)),
    countries=st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3, unique=True),
    k=st.integers(1, 6),
    skipped=st.lists(st.integers(0, 60), max_size=40).map(frozenset),
)
def test_questions_for_several_countries_share_a_neighbourhood(
    directory_session, lat, lon, wanted, countries, k, skipped
):
    """The nearest in each of several countries, some skipping practitioners, and the
    nearest anywhere, asked of one neighbourhood: each the brute-force answer."""
    everywhere = brute_force(directory_session, lat, lon, wanted, 10**9, None)
    skip = frozenset(everywhere[i][0] for i in skipped if i < len(everywhere))
    questions = {"anywhere": Question(k=k + 2, skip=skip)}
    for n, country in enumerate(countries):
        questions[country] = Question(k=k, country=country, skip=skip if n % 2 else frozenset())
    answers = Neighbourhood(directory_session, lat, lon, wanted).answer(questions)
    assert [h.practitioner_id for h in answers["anywhere"]] == expected_answer(
        everywhere, k + 2, skip
    )
    for country in countries:
        ranked = brute_force(
            directory_session, lat, lon, replace(wanted, country=country), 10**9, None
        )
        got = [h.practitioner_id for h in answers[country]]
        assert got == expected_answer(ranked, k, questions[country].skip), country


@pytest.fixture
def sampled(monkeypatch):
    """Searches ask the sample levels; yields the distances they gave (tests.conftest)."""
    return force_samples(monkeypatch)


def test_the_samples_say_how_far_to_read_from_mid_ocean(directory_session, sampled):
    """From Point Nemo the first scan finds nobody; the samples place the k-th nearest, and
    one scan to that distance answers. (PostGIS's index needs no samples.)"""
    gis = postgis.schema_for_search(directory_session.connection())
    for k in (1, 5, 20):
        hood = Neighbourhood(directory_session, -48.9, -123.4)
        hits = hood.answer({0: Question(k=k)})[0]
        expected = brute_force(directory_session, -48.9, -123.4, Filters(), k, None)
        assert [h.practitioner_id for h in hits] == [pid for pid, _ in expected]
        if gis:
            assert not sampled
            continue
        assert sampled and sampled[-1].get(0) is not None  # the samples gave a distance
        assert sampled[-1][0] >= expected[-1][1]  # never short of the k-th nearest
        assert hood.scans == 2  # the first scan, then one to where the samples said


def test_the_kept_samples_place_the_k_th_nearest_practitioner_as_a_loop_over_them_does():
    """Samples.kth_chord (numpy, what the estimates and the nearest in each neighbouring
    country read instead of scanning the sample levels) against a plain loop over the same
    rows: practitioners with several rows, ties, flags asked for, practitioners skipped,
    one country or all, one technique or two, and too few matches."""
    rng = random.Random(11)
    rows: dict[tuple[str, str], list[tuple]] = {}
    for n in range(3000):
        lat, lon = rng.uniform(-90, 90), rng.choice([rng.uniform(-180, 180), 179.9, -179.9])
        if n % 50 == 0:
            lat, lon = 10.0, 20.0  # many at one place: equal chords
        x, y, z = unit_vector(lat, lon)
        key = (rng.choice(TECHNIQUES[:3]), rng.choice(COUNTRIES))
        rows.setdefault(key, []).append((x, y, z, rng.randrange(16), rng.randrange(900)))
    samples = nearest_module.Samples(rows)

    def looped(techniques, country, unit, mask, bits, k, skip):
        best: dict[int, float] = {}
        for (t, c), found in rows.items():
            if t not in techniques or country not in (None, c):
                continue
            for rx, ry, rz, flags, pid in found:
                chord = (rx - unit[0]) ** 2 + (ry - unit[1]) ** 2 + (rz - unit[2]) ** 2
                if flags & mask == bits and pid not in skip:
                    best[pid] = min(chord, best.get(pid, 4.0))
        chords = sorted(best.values())
        return chords[k - 1] if len(chords) >= k else None

    for _ in range(400):
        lat, lon = rng.choice([(rng.uniform(-90, 90), rng.uniform(-180, 180)), (10.0, 20.0)])
        unit = unit_vector(lat, lon)
        techniques = tuple(sorted(rng.sample(TECHNIQUES[:3], rng.choice([1, 2]))))
        country = rng.choice([None, *COUNTRIES])
        mask = rng.choice([0, 1, 5, 15])
        bits = mask & rng.randrange(16)
        k = rng.choice([1, 2, 3, 15, 40, 400])
        skip = frozenset(rng.sample(range(900), rng.choice([0, 5, 300])))
        got = samples.kth_chord(techniques, country, unit, mask, bits, k, skip)
        expected = looped(techniques, country, unit, mask, bits, k, skip)
        if expected is None:
            assert got is None
        else:
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("samples", [False, True], ids=["grown", "sampled"])
def test_a_worker_that_prepared_its_statements_compiles_none_while_searching(
    directory_session, monkeypatch, samples
):
    """After nearest.prepare_statements (a worker's warm-up), searches with one technique or
    none, from anywhere (mid-ocean, the poles, either side of ±180°), with or without a page
    language, compile no statement: none waits for one; nor do the scans of one country's
    rows they make (the nearest in each neighbouring country), or of their options (remote,
    welcoming patients from abroad, home visits). (With PostGIS nothing is prepared: the
    GiST index's scans take few shapes.)"""
    if postgis.schema_for_search(directory_session.connection()):
        assert prepare_statements(directory_session.connection()) == 0  # few shapes there
        return
    if samples:
        force_samples(monkeypatch)
    nearest_module._statement.cache_clear()
    nearest_module._sql.cache_clear()
    prepared = prepare_statements(directory_session.connection())
    assert prepared == nearest_module._sql.cache_info().currsize > 50
    # Every shape a grid three times as dense asks for (throwaway count of _sql's statements:
    # the same 20 shapes, 29 with samples), each circle kind included: ±180°, poles, mid-ocean.
    origins = [(lat, lon) for lat in range(-85, 90, 34) for lon in range(-180, 180, 80)]
    origins += [(90.0, 0.0), (-90.0, 0.0), (0.0, 179.99), (0.0, -179.99), (-48.9, -123.4)]
    for lat, lon in origins:
        for filters in (Filters(), Filters(techniques=("muscle-energy-technique",))):
            for speaks in (None, "en"):
                hood = Neighbourhood(directory_session, lat, lon, filters, speaks=speaks)
                hits = hood.answer({0: Question(k=20)})[0]
                assert len(hits) == 20
                within = Neighbourhood(directory_session, lat, lon, filters, speaks=speaks)
                within.answer({0: Question(k=20, radius_km=2000.0)})
                options = Neighbourhood(directory_session, lat, lon, filters, speaks=speaks)
                answers = options.answer(
                    {
                        "nearest": Question(k=3),
                        "remote": Question(k=15, telehealth=True),
                        "welcoming": Question(k=3, accepts_international=True),
                        "home": Question(k=7, radius_km=60.0, home_visits=True),
                    }
                )
                assert len(answers["remote"]) == 15
                for country in COUNTRIES:
                    abroad = Neighbourhood(directory_session, lat, lon, filters, speaks=speaks)
                    assert abroad.answer({0: Question(k=1, country=country)})[0]
                    one = replace(filters, country=country)
                    alone = Neighbourhood(directory_session, lat, lon, one, speaks=speaks)
                    assert len(alone.answer({0: Question(k=3)})[0]) == 3
        directory_session.rollback()
    assert nearest_module._sql.cache_info().currsize == prepared


def test_a_scan_answers_the_same_whether_or_not_the_engine_is_watched(directory_session):
    """On SQLite a scan runs on the driver's connection while nothing listens to the
    engine's statements (so does the BEGIN of a transaction); with a listener it goes through
    SQLAlchemy, which the listener sees. The answers are the same, the transaction is open on
    the driver either way, and a failing scan raises SQLAlchemy's error either way (the
    site's handler for database errors catches that one)."""
    session = directory_session
    engine = session.get_bind()
    session.rollback()
    if engine.dialect.name == "sqlite":
        assert session.connection().connection.driver_connection.in_transaction
    origins = [(48.85, 2.35), (0.0, -140.0), (-17.7, 178.0), (89.99, 0.0)]
    wanted = Filters(techniques=("muscle-energy-technique",))

    def answers():
        return [
            [(h.practitioner_id, h.location_id, h.distance_km) for h in hits]
            for lat, lon in origins
            for hits in (nearest(session, lat, lon, k=20), nearest(session, lat, lon, wanted, 5))
        ]

    quiet = answers()
    statements: list = []
    event.listen(engine, "before_cursor_execute", keep := _kept(statements))
    try:
        watched = answers()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert watched == quiet
    if engine.dialect.name == "sqlite":
        assert session.connection().connection.driver_connection.in_transaction
    assert all(len(hits) == 20 for hits in quiet[::2])
    assert sum("chord" in sql for sql, _ in statements) >= len(origins) * 2
    for listening in (False, True):
        if listening:
            event.listen(engine, "before_cursor_execute", keep)
        try:
            with pytest.raises(DBAPIError, match="no_such_table"):
                driver_rows(session.connection(), "SELECT * FROM no_such_table")
        finally:
            if listening:
                event.remove(engine, "before_cursor_execute", keep)
        session.rollback()


def test_across_the_antimeridian_and_at_the_pole(directory_session):
    """Hand-picked edge origins give the brute-force answer too."""
    for lat, lon in [
        (0, 179.99),
        (0, -179.99),
        (-17.7, 178.0),
        (65, -179.5),
        (89.99, 0),
        (-89.9, 45),
    ]:
        got = nearest(directory_session, lat, lon, Filters(), k=25)
        expected = brute_force(directory_session, lat, lon, Filters(), 25, None)
        assert [h.practitioner_id for h in got] == [pid for pid, _ in expected]


def test_a_scan_over_most_of_the_table_hands_over_only_the_nearest_rows(directory_session):
    """The globe's box holds every row; the scan returns the READ_LIMIT nearest, ranked in
    SQL, and the answer is still brute force's (here and across the limit's edge)."""
    total = directory_session.scalar(
        select(func.count()).select_from(SearchPoint).where(SearchPoint.technique == "*")
    )
    assert total > READ_LIMIT  # so that the limit is reached
    for k in (5, 60, 400):
        hood = Neighbourhood(directory_session, -48.9, -123.4)  # Point Nemo
        got = hood.answer({0: Question(k=k)})[0]
        expected = brute_force(directory_session, -48.9, -123.4, Filters(), k, None)
        assert [h.practitioner_id for h in got] == [pid for pid, _ in expected]
        assert len(hood.rows) <= READ_LIMIT < total
        assert hood.scans <= MAX_SCANS


def test_within_lists_each_practitioner_once_and_only_approved(directory_session):
    hits = within(directory_session, 0, 178, Filters(), 3000)
    ids = [h.practitioner_id for h in hits]
    assert len(ids) == len(set(ids))
    statuses = dict(directory_session.query(Practitioner.id, Practitioner.status))
    assert hits and all(statuses[i] == "approved" for i in ids)
    assert [h.distance_km for h in hits] == sorted(h.distance_km for h in hits)


def test_search_pages_and_underserved(directory_session):
    full = search(directory_session, Origin(0, 178), Filters(), radius_km=5000, per_page=100)
    assert full.total >= 10 and not full.underserved
    second = search(
        directory_session, Origin(0, 178), Filters(), radius_km=5000, page=2, per_page=5
    )
    assert [h.practitioner_id for h in second.nearby] == [
        h.practitioner_id for h in full.nearby[5:10]
    ]
    lonely = search(
        directory_session,
        Origin(0, 178),
        Filters(techniques=("si-joint-fusion",), country="KR", language="ja", telehealth=True),
        radius_km=10,
    )
    assert lonely.underserved and lonely.total == 0


@pytest.mark.postgres
def test_postgis_gives_each_technique_its_own_index_and_the_search_uses_it(postgres_url):
    """With PostGIS, init-db's index_techniques makes a GiST index on the points of "*" and
    of each technique (once); the k nearest of one technique come from its own index (the
    index on technique and point is 7 times slower at 1M) and equal the brute force."""
    with postgres_schema_engine(postgres_url) as engine:
        db.metadata.create_all(engine)
        with engine.begin() as connection:
            if not postgis.add_geography(connection):
                skip_or_fail("PostGIS is not installed (apt-get install postgresql-15-postgis-3)")
        with Session(engine) as session:
            build_directory(session, 300)
            # add_geography made the one of "*" (no technique was loaded yet).
            made = postgis.index_techniques(session.connection())
            session.commit()
            assert set(made) == {postgis.technique_index(s) for s in TECHNIQUES}
            assert postgis.index_techniques(session.connection()) == []
            for slug in ("muscle-energy-technique", None):
                wanted = Filters(techniques=(slug,)) if slug else Filters()
                statements = []
                event.listen(engine, "before_cursor_execute", keep := _kept(statements))
                hits = nearest(session, 48.85, 2.35, wanted, k=5)
                event.remove(engine, "before_cursor_execute", keep)
                expected = brute_force(session, 48.85, 2.35, wanted, 5, None)
                assert [h.practitioner_id for h in hits] == [pid for pid, _ in expected]
                sql, params = next((s, p) for s, p in statements if "<->" in s)
                session.execute(text("SET LOCAL enable_seqscan = off"))
                cursor = session.connection().connection.cursor()
                cursor.execute("EXPLAIN " + sql, params)
                plan = " ".join(row[0] for row in cursor.fetchall())
                assert postgis.technique_index(slug or "*") in plan, plan
                session.rollback()


def _kept(statements: list):
    def keep(connection, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    return keep


def assert_covered(boxes, lat, lon, radius, parts=(1.0,), step=15, band=None) -> None:
    """Every point `part` of the way from (lat, lon) to the radius_km circle's edge, every
    `step` degrees of bearing, lies in one of the boxes (with `band`, one whose band is
    band(the point's latitude))."""
    p1, l1 = math.radians(lat), math.radians(lon)
    for bearing in range(0, 360, step):
        for part in parts:
            b, reach = math.radians(bearing), radius / 6371.0088 * part
            p2 = math.asin(
                math.sin(p1) * math.cos(reach) + math.cos(p1) * math.sin(reach) * math.cos(b)
            )
            l2 = l1 + math.atan2(
                math.sin(b) * math.sin(reach) * math.cos(p1),
                math.cos(reach) - math.sin(p1) * math.sin(p2),
            )
            plat = math.degrees(p2)
            plon = (math.degrees(l2) + 540) % 360 - 180
            assert any(
                box.lat_min - 1e-6 <= plat <= box.lat_max + 1e-6
                and box.lon_min - 1e-6 <= plon <= box.lon_max + 1e-6
                and (band is None or box.band == band(plat))
                for box in boxes
            ), (plat, plon, boxes)


@given(lat=latitudes, lon=longitudes, radius=st.floats(0.01, 20000))
def test_boxes_contain_the_whole_circle(lat, lon, radius):
    """Every point on the circle's edge lies in one of the boxes (the search relies on it)."""
    assert_covered(boxes_around(lat, lon, radius), lat, lon, radius)


@given(lat=latitudes, lon=longitudes, radius=st.floats(0.01, 20000))
def test_band_ranges_hold_the_whole_circle_and_never_overlap(lat, lon, radius):
    """The band ranges a scan reads hold every point of the circle (its edge, and the points
    between the origin and the edge), each in the range of its own band (floor(lat), as the
    index stores it), and no two share a point: a row is read once."""
    ranges = band_ranges(lat, lon, radius)
    assert_covered(ranges, lat, lon, radius, parts=(1.0, 0.999, 0.7, 0.3), step=10)
    assert_covered(
        ranges, lat, lon, radius, parts=(1.0, 0.5), step=10, band=lambda plat: math.floor(plat)
    )
    for i, one in enumerate(ranges):
        assert one.lat_min <= one.lat_max and one.lon_min <= one.lon_max
        assert one.band <= one.lat_min and one.lat_max <= one.band + 1
        for other in ranges[i + 1 :]:
            apart = one.band != other.band
            assert apart or one.lon_max < other.lon_min or other.lon_max < one.lon_min


@given(
    lat=latitudes,
    lon=longitudes,
    radius=st.floats(1, 20000),
    hole=st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.5, 0.97, 0.999, 1.0])),
)
def test_band_ranges_beyond_a_hole_hold_the_whole_ring_and_leave_the_hole_out(
    lat, lon, radius, hole
):
    """A scan beyond a circle read before (a hole of `hole` × its radius) reads ranges that
    hold every point of the ring, its inner edge included, each in its own band's range, no
    two sharing a point; and, where the hole is wide, little of it: for a ring of the outer
    tenth, under half of the circle's area."""
    hole_km = hole * radius
    ranges = band_ranges(lat, lon, radius, hole_km)
    parts = sorted({1.0, 0.999, hole + (1 - hole) * 0.5, hole * 0.99999 + 1e-9, hole})
    parts = [part for part in parts if hole * 0.999999 <= part <= 1.0]
    assert_covered(ranges, lat, lon, radius, parts=parts, step=10)
    assert_covered(ranges, lat, lon, radius, parts=parts, step=30, band=math.floor)
    for i, one in enumerate(ranges):
        assert one.lat_min <= one.lat_max and one.lon_min <= one.lon_max
        assert -180 <= one.lon_min and one.lon_max <= 180
        assert one.band <= one.lat_min and one.lat_max <= one.band + 1
        for other in ranges[i + 1 :]:
            apart = one.band != other.band
            assert apart or one.lon_max < other.lon_min or other.lon_max < one.lon_min
    whole = band_ranges(lat, lon, radius)
    assert _area(ranges) <= _area(whole) * (1 + 1e-9)
    if hole == 0.97 and 200 <= radius <= 5000 and abs(lat) < 60:
        assert _area(ranges) < 0.5 * _area(whole)


def test_a_scan_reads_its_band_ranges_first_and_seeks_each_in_the_index(directory_session):
    """Every prepared shape of scan, and the crowd count's, is planned by SQLite with the band
    ranges as the outer loop and one seek of an index by technique, band and longitude for
    each (a small circle's box: one a band): never a scan of the search index (left to
    itself, SQLite read every row of a technique for the crowd count and asked the ranges
    about each)."""
    connection = directory_session.connection()
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL plans by its statistics: a test table is read whole
    hood = Neighbourhood(directory_session, 48.85, 2.35)
    plans = []
    for filters in nearest_module.PREPARED_FILTERS:
        for sample in (0, 1, 2):
            hood.sample, hood.speaks = sample, "en"
            asked = replace(filters, country=filters.country and "US")
            for radius, scan in itertools.product(
                (8.0, 300.0),
                (dict(limit=64), dict(limit=64, hole_km=5.0), dict(limit=1, ids=True)),
            ):
                if sample and scan.get("ids"):
                    continue
                plans.append(_plan(connection, hood, asked, radius, scan))
    assert sum(plan[0].startswith("SCAN json_each") for plan in plans) == len(plans) / 2
    for plan in plans:
        assert plan[0].startswith(("SCAN json_each", "SEARCH search_point")), plan
        searches = [step for step in plan if "search_point" in step]
        assert searches and all(step.startswith("SEARCH search_point") for step in searches)
        assert all("band=?" in step and "lon>?" in step for step in searches), plan


def _plan(connection, hood, filters, radius, scan) -> list[str]:
    """SQLite's plan of one scan of `hood` (EXPLAIN QUERY PLAN of the statement it runs)."""
    seen = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if "search_point" in statement and not statement.startswith("EXPLAIN"):
            seen.append((statement, parameters))

    engine = connection.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        hood._fetch(filters, radius, **scan)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    (statement, parameters), *_ = seen
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return [row[3] for row in rows if "SCAN" in row[3] or "SEARCH" in row[3]]


def _area(boxes) -> float:
    """Area on the unit sphere of latitude/longitude boxes (steradians)."""
    return sum(
        (math.sin(math.radians(b.lat_max)) - math.sin(math.radians(b.lat_min)))
        * math.radians(b.lon_max - b.lon_min)
        for b in boxes
    )


@given(lat=latitudes, lon=longitudes, radius=st.floats(1000, 9000))
def test_band_ranges_hold_little_more_than_the_circle(lat, lon, radius):
    """A scan reads little more than its circle, wherever it is: the band ranges of a wide
    circle cover at most 1.15 times its area (1.11 around a pole, where a band's every
    longitude is in the circle's reach; a box around it up to 3 times, from Beijing at
    6,000 km, and its rows crowd where the box is widest: the nearest in Pakistan read
    11,715 rows of a 3,600 km circle's box, 42 of them inside the circle)."""
    circle = 2 * math.pi * (1 - math.cos(radius / 6371.0088))
    assert _area(band_ranges(lat, lon, radius)) <= 1.15 * circle


def test_a_clinic_of_many_at_the_origin_does_not_stall_the_search(app):
    """More rows at the origin itself than a scan hands over: the first scan's circle is
    claimed 0 km wide, and a question none of them answers (telehealth) must still read on
    and find the one who does, 111 km away, instead of asking for the same circle forever."""
    import threading

    with app.app_context():
        techniques = list(db.session.query(Technique))[:2]
        for n in range(80):
            p = Practitioner(ref=f"clinic-{n}", name=f"Clinic {n}", status="approved")
            p.techniques = techniques
            p.locations = [PracticeLocation(city="N'Djamena", country="TD", latitude=10.0,
                                            longitude=10.0)]  # fmt: skip
            db.session.add(p)
        far = Practitioner(ref="far", name="Far", status="approved", telehealth=True)
        far.techniques = techniques[:1]
        far.locations = [PracticeLocation(city="Y", country="TD", latitude=11.0, longitude=10.0)]
        db.session.add(far)
        db.session.commit()
        answers = []

        def ask():
            with app.app_context():
                hood = Neighbourhood(db.session, 10.0, 10.0, limit=64)
                answers.append(hood.answer({0: Question(k=1, telehealth=True), 1: Question(k=3)}))

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        asking.join(30)
        assert answers, "the search did not finish"
        [answer] = answers
        assert [h.practitioner_id for h in answer[0]] == [far.id]
        assert answer[0][0].distance_km == pytest.approx(111.2, abs=0.1)
        assert len(answer[1]) == 3 and all(h.distance_km == 0 for h in answer[1])


@settings(max_examples=300, deadline=None)
@given(latitudes, longitudes, latitudes, longitudes)
@example(0.0, 0.0, 0.5, 179.7)  # nearly antipodal: the hardest case for an iteration
@example(-0.0, 0.0, 0.0, 180.0)
@example(89.9999, 12.0, -89.9999, -170.0)  # pole to pole
@example(45.0, 179.9999, 45.0, -179.9999)  # across ±180°
@example(51.5, -0.1, 51.5, -0.1)
def test_a_card_s_distance_is_geopy_s_geodesic_distance(lat1, lon1, lat2, lon2):
    """A result card's distance is what geopy's geodesic says (WGS84), to a micrometre."""
    expected = geodesic((lat1, lon1), (lat2, lon2)).km
    assert geodesic_km(lat1, lon1, lat2, lon2) == pytest.approx(expected, abs=1e-9)
