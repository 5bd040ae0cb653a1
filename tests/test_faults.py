"""Faults and load: concurrent public submissions through gunicorn lose nothing.

(An import killed mid-way: tests/test_import_batches.py.)"""

from __future__ import annotations

import http.client
import queue
import re
import sqlite3
import threading
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, make_url, select

from finder.extensions import db
from finder.models import AuditEvent, Practitioner, Submission

from .conftest import make_app
from .servers import app_env, gunicorn

CLIENTS = 8
# 120 submissions in all: the eight clients still send at once for several seconds on two
# workers (30 each took 10 s alone, 30 s beside another test worker, for no more overlap).
SUBMISSIONS_EACH = 15
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


@pytest.mark.slow
def test_eight_clients_submitting_at_once_through_gunicorn_lose_nothing(
    demo_template, gazetteer_path, tmp_path
):
    url = demo_template.copy(tmp_path, "submissions")
    app = make_app(url)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Submission))
    results = queue.Queue()
    with gunicorn(
        app_env(url, gazetteer_path), workers=2, rate_limits=False, log_path=tmp_path / "g.log"
    ) as server:
        # Threads are enough for the clients: each waits on its socket nearly all the time.
        clients = [
            threading.Thread(target=_submitter, args=(server.port, n, results), daemon=True)
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
    if url.startswith("sqlite:"):
        with sqlite3.connect(make_url(url).database) as check:
            assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
