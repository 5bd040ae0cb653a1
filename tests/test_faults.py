"""Faults and load: concurrent public submissions through gunicorn, and an import killed mid-way."""

from __future__ import annotations

import csv
import http.client
import multiprocessing
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select

from finder.directory import DEMO_FILE
from finder.extensions import db
from finder.models import AuditEvent, Practitioner, Submission

from .conftest import make_app
from .servers import ROOT, app_env, gunicorn

CLIENTS = 8
SUBMISSIONS_EACH = 200
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REFERENCE = re.compile(r"\bS-[A-Z2-9]{8}\b")


def _form(client: int, number: int, token: str) -> str:
    """A complete, valid submission with coordinates, so it is stored without a preview."""
    return urlencode(
        {
            "csrf_token": token,
            "name": f"Load Test {client}-{number} (demo)",
            "credentials": "PT",
            "clinic": "Load Test Clinic",
            "techniques": ["muscle-energy-technique", "physical-therapy"],
            "patterns": ["upslip", "inflare"],
            "teaches_self_correction": "y",
            "languages": "ko; en",
            "telehealth": "y",
            "website": "https://example.org/load",
            "phone": "+82 2-312-3456",
            "email": "load@example.org",
            "registry_name": "Demo registry",
            "registry_number": f"L-{client}-{number}",
            "registry_url": "https://example.org/r",
            "address": f"{number} Demo-ro",
            "city": "Seoul",
            "country": "KR",
            "latitude": f"{37.4 + client * 0.02:.5f}",
            "longitude": f"{126.8 + number * 0.002:.5f}",
            "submitter_name": f"Submitter {client}",
            "submitter_email": f"submitter{client}@example.org",
            "relation": "patient",
            "send": "1",
        },
        doseq=True,
    )


def _cookies(response: http.client.HTTPResponse) -> str:
    return "; ".join(
        value.split(";", 1)[0] for name, value in response.getheaders() if name == "Set-Cookie"
    )


def _submitter(port: int, client: int, results) -> None:
    """One browser-like client: GET the form (CSRF token and session cookie), then POST it
    again and again with a new practitioner each time, on one keep-alive connection."""
    statuses: dict[int, int] = {}
    references: list[str] = []
    problems: list[str] = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/submit")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = _cookies(response)
    token = TOKEN.search(page)
    if response.status != 200 or not token or not cookie:
        results.put(({}, [], [f"GET /submit: HTTP {response.status}, no token or cookie"]))
        return
    for number in range(SUBMISSIONS_EACH):
        try:
            connection.request(
                "POST",
                "/submit",
                body=_form(client, number, token.group(1)),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie,
                },
            )
            response = connection.getresponse()
            page = response.read().decode()
            statuses[response.status] = statuses.get(response.status, 0) + 1
            found = REFERENCE.search(page)
            if response.status == 201 and found:
                references.append(found.group(0))
            else:
                problems.append(f"POST /submit answered {response.status}")
        except (OSError, http.client.HTTPException) as error:
            problems.append(f"{type(error).__name__}: {error}")
            connection.close()
    connection.close()
    results.put((statuses, references, problems))


def test_eight_clients_submitting_at_once_through_gunicorn_lose_nothing(
    demo_template, gazetteer_path, tmp_path
):
    path = tmp_path / "submissions.sqlite"
    shutil.copy(demo_template, path)
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Submission))
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    with gunicorn(
        app_env(path, gazetteer_path), workers=2, rate_limits=False, log_path=tmp_path / "g.log"
    ) as server:
        clients = [
            context.Process(target=_submitter, args=(server.port, n, results))
            for n in range(CLIENTS)
        ]
        started = time.monotonic()
        for client in clients:
            client.start()
        deadline = started + 240
        try:
            outcomes = [results.get(timeout=max(1, deadline - time.monotonic())) for _ in clients]
        finally:
            for client in clients:
                client.join(max(1, deadline - time.monotonic()))
                if client.is_alive():
                    client.terminate()
                    client.join(5)
        elapsed = time.monotonic() - started
        log = server.log()
    statuses: dict[int, int] = {}
    references: list[str] = []
    problems: list[str] = []
    for client_statuses, client_references, client_problems in outcomes:
        for status, count in client_statuses.items():
            statuses[status] = statuses.get(status, 0) + count
        references += client_references
        problems += client_problems
    total = CLIENTS * SUBMISSIONS_EACH
    print(f"{total} submissions by {CLIENTS} clients in {elapsed:.1f} s; statuses {statuses}")
    assert problems == [], problems[:10]
    assert not [status for status in statuses if status >= 500]
    assert statuses == {201: total}
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log, log[-3000:]
    assert len(set(references)) == total
    with app.app_context():
        stored = set(
            db.session.scalars(
                select(Submission.reference)
                .join(Practitioner, Submission.practitioner_id == Practitioner.id)
                .where(Practitioner.status == "pending", Practitioner.name.like("Load Test %"))
            )
        )
        assert stored == set(references)
        assert db.session.scalar(select(func.count()).select_from(Submission)) == before + total
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "submit")) >= total
        db.engine.dispose()
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


COPIES = 5  # of the demo file; storing it takes seconds, so a kill lands mid-transaction


def _big_import_file(path: Path) -> int:
    """The demo file repeated with fresh refs: every practitioner in it is new."""
    with open(DEMO_FILE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for copy in range(COPIES):
            for row in rows:
                writer.writerow({**row, "ref": f"killed-{copy}-{row['ref']}", "demo": "false"})
    return COPIES * len(rows)


def _holds_write_lock(path: Path) -> bool:
    """True while another connection is inside a write transaction on the database."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            return True
        raise
    finally:
        probe.close()


def _practitioners(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as connection:
        total = connection.execute("SELECT count(*) FROM practitioner").fetchone()[0]
        killed = connection.execute(
            "SELECT count(*) FROM practitioner WHERE ref LIKE 'killed-%'"
        ).fetchone()[0]
    return total, killed


def test_an_import_killed_half_way_leaves_nothing_of_its_file(
    demo_template, gazetteer_path, tmp_path
):
    path = tmp_path / "import.sqlite"
    shutil.copy(demo_template, path)
    source = tmp_path / "big.csv"
    rows = _big_import_file(source)
    before = _practitioners(path)
    env = {**app_env(path, gazetteer_path), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "finder", "import-csv", str(source)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    deadline = time.monotonic() + 60
    try:
        # Wait for the storing stage, then for the write transaction to be open a moment.
        while time.monotonic() < deadline and process.poll() is None:
            line = process.stdout.readline()
            output.append(line)
            if line.startswith("Storing"):
                break
        assert process.poll() is None, "".join(output)
        storing = time.monotonic()
        time.sleep(1.0)
        while time.monotonic() < deadline and not _holds_write_lock(path):
            assert process.poll() is None, "the import ended before it could be killed"
            time.sleep(0.05)
        assert process.poll() is None, (
            f"the import of {rows} rows finished before it could be killed: make it bigger"
        )
        process.send_signal(signal.SIGKILL)
        print(f"import of {rows} rows killed {time.monotonic() - storing:.1f} s into storing")
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute(
            "SELECT count(*) FROM audit_event WHERE action = 'import-csv' AND after LIKE ?",
            ("%big.csv%",),
        ).fetchone() == (0,)
    assert _practitioners(path) == before
    # The directory still takes the same file afterwards: nothing of it is half there.
    small = tmp_path / "small.csv"
    with open(source, encoding="utf-8", newline="") as handle:
        lines = handle.readlines()[:41]
    small.write_text("".join(lines), encoding="utf-8")
    refs = len({row["ref"] for row in csv.DictReader(lines)})
    app = make_app(f"sqlite:///{path}")
    result = app.test_cli_runner().invoke(args=["import-csv", str(small)])
    assert result.exit_code == 0, result.output
    assert f"Imported {refs} practitioners as pending." in result.output
    with app.app_context():
        db.engine.dispose()
    assert _practitioners(path) == (before[0] + refs, refs)
