"""How long /listing/claim takes to answer for a listed email and for an unlisted one, side by
side in the same run (the ratio is what matters: an attacker timing the answers must not
learn which addresses are listed).

    .venv/bin/python benchmarks/claim_answers.py [--instance DIR] [--rounds 60]

Without --instance, a demo directory is built in a temporary folder (`init-db`, `seed-demo`).
Each round posts one listed and one unlisted address, alternately, through the real form (CSRF
token and all) with the test client; prints the median of each and their ratio."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", help="a folder holding a demo finder.sqlite")
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    instance = args.instance or tempfile.mkdtemp(prefix="claim-bench-")
    os.environ["FINDER_INSTANCE"] = instance
    if not args.instance:
        for command in ("init-db", "seed-demo"):
            subprocess.run(
                [sys.executable, "-m", "flask", "--app", "finder", command],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
    from sqlalchemy import select

    from finder import create_app
    from finder.extensions import db
    from finder.models import Practitioner

    app = create_app(overrides={"RATELIMIT_ENABLED": False})
    with app.app_context():
        emails = db.session.scalars(
            select(Practitioner.email)
            .where(Practitioner.status == "approved", Practitioner.email != "")
            .order_by(Practitioner.id)
            .limit(args.rounds)
        ).all()
    client = app.test_client()
    page = client.get("/listing/claim").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    times: dict[str, list[float]] = {"listed": [], "unlisted": []}
    for n, email in enumerate(emails):
        for kind, address in (("listed", email), ("unlisted", f"nobody-{n}@example.org")):
            start = time.perf_counter()
            answer = client.post("/listing/claim", data={"email": address, "csrf_token": token})
            times[kind].append(time.perf_counter() - start)
            assert answer.status_code == 200, answer.status_code
    listed, unlisted = (statistics.median(times[k]) * 1000 for k in ("listed", "unlisted"))
    print(f"rounds: {len(emails)}")
    print(f"median answer, listed email:   {listed:.2f} ms")
    print(f"median answer, unlisted email: {unlisted:.2f} ms (baseline)")
    print(f"ratio listed / unlisted: {listed / unlisted:.2f}")


if __name__ == "__main__":
    main()
