"""Server time of the map pages, as ratios to a baseline request measured in the same run.

Run: .venv/bin/python benchmarks/pages.py [--database PATH] [--repeat 9]

Without --database it builds the demo directory (`flask init-db` + `flask seed-demo`) in a
temporary folder. Each page is requested once to warm up, then --repeat times through
Flask's test client (no network, no browser: the server's share only). The baseline is
`/api/v1/techniques` (one small query, JSON), so the ratio column stays comparable on a
shared, noisy machine. Since maps became data-only, folium draws only the frame and the
browser draws the markers, so /countries (245 markers) costs the server about what a
search costs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PAGES = [
    "/api/v1/techniques",  # baseline
    "/countries",
    "/countries/JP",
    "/countries/MN",
    "/search?location=Toronto",
    "/search?location=Beijing",
    "/search?location=Seoul&technique=muscle-energy-technique",
    "/practitioners/1",
]


def build_demo(folder: Path) -> Path:
    path = folder / "bench.sqlite"
    env = {"DATABASE_URL": f"sqlite:///{path}", "FINDER_INSTANCE": str(folder)}
    flask = [sys.executable, "-m", "flask", "--app", "finder"]
    for command in (["init-db"], ["seed-demo"]):
        subprocess.run(
            flask + command,
            cwd=REPO,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    from config import Config
    from finder import create_app

    with tempfile.TemporaryDirectory() as tmp:
        database = args.database or build_demo(Path(tmp))
        app = create_app(
            Config,
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "RATELIMIT_ENABLED": False},
        )
        client = app.test_client()
        medians = {}
        for url in PAGES:
            assert client.get(url).status_code == 200, url
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, url
            medians[url] = statistics.median(times)
        base = medians[PAGES[0]]
        print(f"{'page':60s} {'median ms':>10s} {'× baseline':>11s}")
        for url, median in medians.items():
            print(f"{url:60s} {median * 1000:10.1f} {median / base:11.1f}")


if __name__ == "__main__":
    main()
