"""Load benchmark: the search API, the results page and the world map under concurrent
clients, via gunicorn, beside a static file served by the same application.

Run: .venv/bin/python benchmarks/load.py [--seconds 60] [--clients 50] [--workers 2]
                                         [--rounds 2] [--json FILE] [--repo CHECKOUT]
                                         [--database FILE]

--repo serves another checkout of the project (e.g. an older commit, for before/after
figures measured with the same load generator); the default is this one. --database serves
an existing SQLite database instead of building the demo directory (step 1), e.g. the
million listings benchmarks/api_search.py keeps with --keep.

What it does:

1. Builds a database in a temporary directory with the real commands,
   `flask --app finder init-db` and `flask --app finder seed-demo` (DATABASE_URL pointing
   there; GAZETTEER_PATH from the environment or instance/gazetteer.sqlite).
2. Serves it with gunicorn (--workers workers, the rest from gunicorn.conf.py: threaded
   workers, keep-alive) on a free 127.0.0.1 port, started by tests/servers.py, with rate
   limiting OFF (RATELIMIT_ENABLED=0): a load test from one address would otherwise
   measure the limiter's 429s.
3. Checks every request of the rotation once (each must answer 2xx), runs each repeated
   rotation unmeasured for --warmup seconds (a running site has seen them: both workers
   have answered each request before), then runs the targets, each for an equal share of --seconds, in --rounds interleaved slices
   (static, api, page, countries, ..., static, api, ...) so drift on a shared machine
   touches them alike:
   - static:    GET /static/site.css (a file served by the same application: the cost of
                the stack itself, the baseline);
   - techniques: GET /api/v1/techniques (a small JSON answer from the database);
   - api:       GET /api/v1/search?location=CITY[&technique=SLUG] over a rotation of 80
                (16 cities: well served, underserved, non-Latin, postal code; x 5 techniques);
   - page:      GET /search?... with the same rotation (HTML results with the map);
   - countries: GET /countries[?technique=SLUG] (the world map and table; 5 URLs);
   - api-new, page-new: searches from points never searched before (a fresh point on each
                request: nothing the server kept from an earlier request can answer them).
   --clients threads each hold an http.client connection (keep-alive).
4. Reports per target: requests, requests/s, p50 and p99 latency (ms, measured per request
   by the client), errors (any non-2xx answer or connection error; zero expected), and the
   ratio of each target's requests/s to the baseline's (the stable figure on a noisy
   machine). Also the client's own CPU time (the load generator shares the machine).

Everything stays on loopback; the run is bounded by --seconds (plus start-up and checks).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
if "--repo" in sys.argv:  # serve another checkout with its own code and commands
    REPO = Path(sys.argv[sys.argv.index("--repo") + 1]).resolve()
sys.path.insert(0, str(REPO))

from tests.servers import GunicornServer, app_env, config_reads_ratelimit_enabled  # noqa: E402

CITIES = [
    "London",
    "Austin, TX",
    "Seoul",
    "서울",
    "Berlin",
    "Tokyo",
    "São Paulo",
    "Nairobi",
    "Sydney",
    "Toronto",
    "Mumbai",
    "Paris",
    "Mexico City",
    "Reykjavik",
    "Ulaanbaatar",
    "78701",
]
TECHNIQUES = [
    None,
    "chiropractic",
    "physical-therapy",
    "muscle-energy-technique",
    "si-joint-fusion",
]
BASELINE = "static"
FRESH_POINTS = 200_000  # more than any run requests: each request of api-new/page-new is new


def search_queries() -> list[str]:
    """Query strings for every (city, technique) pair, in an order that mixes both."""
    pairs = list(itertools.product(CITIES, TECHNIQUES))
    pairs.sort(key=lambda pair: (TECHNIQUES.index(pair[1]) + CITIES.index(pair[0])) % 7)
    queries = []
    for city, technique in pairs:
        params = {"location": city}
        if technique:
            params["technique"] = technique
        queries.append(urlencode(params))
    return queries


def fresh_points() -> list[str]:
    """Query strings of points on land-ish latitudes never searched twice (seeded: the same
    points in every run)."""
    rng = random.Random(20261130)
    return [
        urlencode({"lat": f"{rng.uniform(-45, 65):.5f}", "lon": f"{rng.uniform(-180, 180):.5f}"})
        for _ in range(FRESH_POINTS)
    ]


def targets() -> dict[str, list[str]]:
    queries = search_queries()
    points = fresh_points()
    return {
        "static": ["/static/site.css"],
        "techniques": ["/api/v1/techniques"],
        "api": [f"/api/v1/search?{q}" for q in queries],
        "page": [f"/search?{q}" for q in queries],
        "countries": ["/countries"] + [f"/countries?technique={t}" for t in TECHNIQUES if t],
        "api-new": [f"/api/v1/search?{q}" for q in points],
        "page-new": [f"/search?{q}" for q in points[len(points) // 2 :]],
    }


FRESH = ("api-new", "page-new")


def flask(env: dict, *args: str) -> None:
    """Run a flask command against the benchmark database; stop on failure."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "finder", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


class Slice:
    """Counts and latencies gathered by the clients for one target."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors = 0
        self.error_samples: list[str] = []
        self.seconds = 0.0
        self.positions: dict[int, int] = {}  # client -> where it goes on in the rotation

    def add(self, latencies: list[float], errors: int, samples: list[str]) -> None:
        with self.lock:
            self.latencies += latencies
            self.errors += errors
            self.error_samples += samples[: max(0, 5 - len(self.error_samples))]


def fetch(connection: http.client.HTTPConnection, path: str) -> int:
    connection.request("GET", path, headers={"Accept-Encoding": "identity"})
    response = connection.getresponse()
    response.read()
    return response.status


def client(
    port: int, paths: list[str], number: int, offset: int, stop_at: float, into: Slice
) -> None:
    """One client: request the rotation from `offset` on until `stop_at`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    errors = 0
    samples: list[str] = []
    index = offset
    while time.monotonic() < stop_at:
        path = paths[index % len(paths)]
        index += 1
        started = time.perf_counter()
        try:
            status = fetch(connection, path)
            if not 200 <= status < 300:
                errors += 1
                samples.append(f"HTTP {status} {path}")
        except (OSError, http.client.HTTPException) as error:
            errors += 1
            samples.append(f"{type(error).__name__}: {error} ({path})")
            connection.close()
        latencies.append(time.perf_counter() - started)
    connection.close()
    into.positions[number] = index
    into.add(latencies, errors, samples)


def run_slice(port: int, paths: list[str], clients: int, seconds: float, into: Slice) -> None:
    stop_at = time.monotonic() + seconds
    started = time.monotonic()
    # Fresh rotations are split between the clients so that no point is requested twice.
    step = len(paths) // clients if len(paths) > 1000 else 7
    threads = [
        threading.Thread(
            target=client,
            args=(port, paths, n, into.positions.get(n, n * step), stop_at, into),
            daemon=True,
        )
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    into.seconds += time.monotonic() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def check_each(port: int, paths: dict[str, list[str]]) -> None:
    """Every request of the rotation answers 2xx once before the clock starts."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    bad = []
    for name, items in paths.items():
        for path in items[-100:] if name in FRESH else items:  # fresh: never reached later
            status = fetch(connection, path)
            if not 200 <= status < 300:
                bad.append(f"{name}: HTTP {status} {path}")
    connection.close()
    if bad:
        sys.exit("Requests in the rotation fail before any load:\n" + "\n".join(bad))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measured time in all")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--repo", type=Path, help="serve this checkout instead (see above)")
    parser.add_argument(
        "--warmup", type=float, default=15.0, help="unmeasured seconds per repeated target first"
    )
    parser.add_argument("--rounds", type=int, default=2, help="interleaved slices per target")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--database",
        type=Path,
        help="serve this SQLite database (made by the commands, e.g. a million imported"
        " listings: benchmarks/api_search.py --keep) instead of building the demo directory",
    )
    args = parser.parse_args()
    if not 1 <= args.clients <= 500 or not 1 <= args.seconds <= 3600:
        parser.error("--clients must be 1-500 and --seconds 1-3600")

    paths = targets()
    work = Path(tempfile.mkdtemp(prefix="finder-load-"))
    gazetteer = os.environ.get("GAZETTEER_PATH", str(REPO / "instance" / "gazetteer.sqlite"))
    database = args.database.resolve() if args.database else work / "demo.sqlite"
    env = {**os.environ, **app_env(database, gazetteer)}
    server = None
    try:
        if args.database:
            print(f"Serving {database}", flush=True)
        else:
            print(f"Building the demo database in {work} (init-db, seed-demo) ...", flush=True)
            flask(env, "init-db")
            flask(env, "seed-demo")
        server = GunicornServer(
            app_env(database, gazetteer),
            workers=args.workers,
            rate_limits=False,
            log_path=work / "gunicorn.log",
        ).start()
        how = (
            "RATELIMIT_ENABLED=0"
            if config_reads_ratelimit_enabled()
            else "override RATELIMIT_ENABLED=False (the settings do not read the variable)"
        )
        print(
            f"gunicorn: {args.workers} workers on {server.url}; rate limiting OFF ({how})",
            flush=True,
        )
        check_each(server.port, paths)
        print(
            f"Load: {args.clients} clients, {args.seconds:g} s in {args.rounds} round(s) of "
            f"{len(paths)} targets ...",
            flush=True,
        )
        # Unmeasured: each worker meets the repeated rotations first (what a running site
        # has seen); the fresh rotations are never warmed.
        for name, items in paths.items():
            if name not in FRESH and args.warmup > 0:
                run_slice(server.port, items, args.clients, args.warmup, Slice())
        slices = {name: Slice() for name in paths}
        share = args.seconds / (len(paths) * args.rounds)
        cpu_before = os.times()
        for _ in range(args.rounds):
            for name, items in paths.items():
                run_slice(server.port, items, args.clients, share, slices[name])
        cpu_after = os.times()
        log = server.log()
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    base_rate = len(slices[BASELINE].latencies) / slices[BASELINE].seconds
    figures = {}
    for name, data in slices.items():
        rate = len(data.latencies) / data.seconds
        figures[name] = {
            "path": paths[name][0] if len(paths[name]) == 1 else paths[name][0].split("?")[0],
            "distinct_requests": len(paths[name]),
            "requests": len(data.latencies),
            "seconds": round(data.seconds, 1),
            "requests_per_s": round(rate, 1),
            "p50_ms": round(percentile(data.latencies, 0.50) * 1000, 1),
            "p99_ms": round(percentile(data.latencies, 0.99) * 1000, 1),
            "errors": data.errors,
            "error_samples": data.error_samples,
            "vs_baseline": round(rate / base_rate, 3),
        }
    client_cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
    tracebacks = log.count("Traceback")
    timeouts = log.count("WORKER TIMEOUT")
    print()
    print("| target | path | requests | req/s | p50 ms | p99 ms | errors | req/s vs static |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, f in figures.items():
        print(
            f"| {name} | `{f['path']}` ({f['distinct_requests']} URLs) | {f['requests']:,} | "
            f"{f['requests_per_s']:,.1f} | {f['p50_ms']:.1f} | {f['p99_ms']:.1f} | "
            f"{f['errors']} | {f['vs_baseline']:.3f} |"
        )
    print()
    print(
        f"clients {args.clients}, gunicorn {args.workers} workers ({REPO}), rate limiting off; "
        f"load generator CPU {client_cpu:.1f} s over {args.seconds:g} s; "
        f"server log: {tracebacks} tracebacks, {timeouts} worker timeouts; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    for name, f in figures.items():
        for sample in f["error_samples"]:
            print(f"  {name} error: {sample}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    if any(f["errors"] for f in figures.values()) or tracebacks:
        sys.exit(1)


if __name__ == "__main__":
    main()
