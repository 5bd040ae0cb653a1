"""A large import-csv on the live database: the site keeps taking submissions, nothing of the
file shows before it is all stored, and a failed or killed import leaves nothing behind."""

from __future__ import annotations

import csv
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from finder import csv_files
from finder.models import stable_id

from .import_files import CENTRE, NAME_PREFIX, TECHNIQUES, generated_row, write_import_file
from .servers import ROOT, app_env, gunicorn
from .test_cli import run, write_rows
from .test_submit import GOOD

ROWS = 4_000  # eight batches of 500: long enough for several submissions to land mid-import
SUBMISSION_BOUND_S = 2.0  # the stated requirement: a submission is stored within 2 seconds
NEAR = {"lat": CENTRE[0], "lon": CENTRE[1], "radius": 100}


def sql(database: Path, query: str, *params):
    """One value read with a plain sqlite3 connection (never part of the app's transactions)."""
    with sqlite3.connect(database, timeout=10) as connection:
        return connection.execute(query, params).fetchone()[0]


def staged(database: Path) -> int:
    return sql(database, "SELECT count(*) FROM practitioner WHERE status = 'importing'")


def published(database: Path) -> bool:
    return bool(sql(database, "SELECT count(*) FROM audit_event WHERE action = 'import-csv'"))


def start_import(database: Path, gazetteer_path: str, file: Path, log: Path):
    env = {**os.environ, **app_env(database, gazetteer_path)}
    command = [sys.executable, "-m", "flask", "--app", "finder", "import-csv", str(file)]
    handle = open(log, "wb")
    process = subprocess.Popen(
        [*command, "--status", "approved"],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    return process


def submitter(url: str, database: Path, stop: threading.Event, results: list) -> None:
    """POST good listings one after another until `stop`; each result is (seconds, status,
    stored, whether rows of the import were staged before or after it)."""
    browser = requests.Session()
    page = browser.get(f"{url}/submit", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    number = 0
    while not stop.is_set():
        name = f"Live Submission {number} (demo)"
        staged_before = staged(database) > 0
        start = time.monotonic()
        response = browser.post(
            f"{url}/submit", data={**GOOD, "name": name, "csrf_token": token}, timeout=30
        )
        seconds = time.monotonic() - start
        confirmed = response.status_code == 201 and "S-" in response.text
        stored = sql(database, "SELECT count(*) FROM practitioner WHERE name = ?", name)
        results.append((seconds, confirmed, stored, staged_before or staged(database) > 0))
        number += 1


def watcher(url: str, database: Path, stop: threading.Event, partial: list) -> None:
    """Search near the file's listings until `stop`; note any answer that shows some of them
    before the import published them all."""
    while not stop.is_set():
        api_total, page_shows = visible_generated(url)
        if ((api_total or page_shows) and not published(database)) or api_total not in (0, ROWS):
            partial.append((api_total, page_shows))
        stop.wait(0.01)  # look again at once, but leave the machine to the import between looks


def visible_generated(url: str) -> tuple[int, bool]:
    """How many generated listings the API finds near their centre, and whether the search
    page shows any of them."""
    api = requests.get(f"{url}/api/v1/search", params=NEAR, timeout=30).json()["total"]
    page = requests.get(f"{url}/search", params=NEAR, timeout=30).text
    return api, NAME_PREFIX in page


def in_file(file: Path) -> dict[str, tuple]:
    """ref -> (latitude, longitude, techniques, languages) as the import file gives them."""
    with open(file, encoding="utf-8", newline="") as handle:
        return {
            row["ref"]: (
                float(row["latitude"]),
                float(row["longitude"]),
                frozenset(row["techniques"].split(";")),
                frozenset(row["languages"].split(";")),
            )
            for row in csv.DictReader(handle)
        }


def stored_as_in_file(database: Path) -> dict[str, tuple]:
    """The same, as stored: each practitioner's location, techniques and languages."""
    with sqlite3.connect(database, timeout=10) as connection:
        rows = connection.execute(
            "SELECT p.ref, l.latitude, l.longitude,"
            " (SELECT group_concat(t.slug, ';') FROM practitioner_technique pt"
            "  JOIN technique t ON t.id = pt.technique_id WHERE pt.practitioner_id = p.id),"
            " (SELECT group_concat(code, ';') FROM practitioner_language"
            "  WHERE practitioner_id = p.id)"
            " FROM practitioner p JOIN practice_location l ON l.practitioner_id = p.id"
            " WHERE p.ref LIKE 'gen-%'"
        ).fetchall()
    return {
        ref: (lat, lon, frozenset(techniques.split(";")), frozenset(languages.split(";")))
        for ref, lat, lon, techniques, languages in rows
    }


# The batches and pauses of an import are there for SQLite's one write lock; these tests read
# its file with sqlite3 and kill the importer part way through its batches.
@pytest.mark.sqlite_only
@pytest.mark.slow
def test_submissions_are_stored_within_two_seconds_during_a_large_import(
    empty_template, gazetteer_path, tmp_path
):
    database = Path(empty_template.copy(tmp_path, "live").removeprefix("sqlite:///"))
    file = write_import_file(tmp_path / "large.csv", ROWS)
    log = tmp_path / "import.log"
    results, partial, stop = [], [], threading.Event()
    with gunicorn(app_env(database, gazetteer_path), workers=3, rate_limits=False) as server:
        importer = start_import(database, gazetteer_path, file, log)
        threads = [
            threading.Thread(target=submitter, args=(server.url, database, stop, results)),
            threading.Thread(target=watcher, args=(server.url, database, stop, partial)),
        ]
        try:
            for thread in threads:
                thread.start()
            assert importer.wait(300) == 0, log.read_text()
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
            if importer.poll() is None:
                importer.kill()
                importer.wait()
        api_total, page_shows = visible_generated(server.url)
    assert all(confirmed and stored for _, confirmed, stored, _ in results)
    slow = [round(seconds, 2) for seconds, *_ in results if seconds >= SUBMISSION_BOUND_S]
    assert slow == [], f"submissions that took 2 s or more: {slow}"
    during = sum(1 for *_, staging in results if staging)
    assert during >= 3, f"only {during} of {len(results)} submissions ran while rows were stored"
    assert partial == [], "some of the import showed before it was complete"
    assert api_total == ROWS and page_shows
    assert staged(database) == 0
    assert sql(database, "SELECT count(*) FROM practitioner WHERE status = 'approved'") == ROWS
    assert sql(database, "SELECT count(*) FROM practitioner WHERE status = 'pending'") == len(
        results
    )
    assert stored_as_in_file(database) == in_file(file)
    output = log.read_text()
    for phase in ("Checking and storing rows", "Publishing"):
        assert phase in output
    assert f"Imported {ROWS} practitioners as approved." in output


@pytest.mark.sqlite_only
def test_a_store_time_failure_removes_every_batch_already_stored(empty_app, tmp_path):
    """The database refuses the last row (a trigger stands in for any storage failure)."""
    rows = [generated_row(n, "fail") for n in range(1200)]
    rows[-1]["city"] = "Failtown"
    path = write_rows(tmp_path / "fails-late.csv", rows)
    database = Path(empty_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TRIGGER refuse_failtown BEFORE INSERT ON practice_location"
            " WHEN NEW.city = 'Failtown' BEGIN SELECT RAISE(ABORT, 'storage refused'); END"
        )
    result = run(empty_app, "import-csv", str(path), "--status", "approved")
    assert result.exit_code != 0
    assert "storage refused" in result.output and "nothing was imported" in result.output
    removed = re.search(r"its ([\d,]+) stored listings were removed", result.output)
    assert removed, result.output  # batches had gone in before the failing one
    assert int(removed.group(1).replace(",", "")) >= csv_files.IMPORT_BATCH
    for table in ("practitioner", "practice_location", "practitioner_language", "search_point"):
        assert sql(database, f"SELECT count(*) FROM {table}") == 0, table
    assert not published(database)


def practitioners_stored(database: Path) -> None:
    """From now on, every practitioner row ever inserted is counted in `stored_ever`, even
    those deleted later."""
    with sqlite3.connect(database) as connection:
        connection.executescript(
            "CREATE TABLE stored_ever (id INTEGER);"
            "CREATE TRIGGER count_stored AFTER INSERT ON practitioner"
            " BEGIN INSERT INTO stored_ever VALUES (NEW.id); END;"
        )


@pytest.mark.sqlite_only
def test_a_problem_met_after_storing_began_refuses_the_whole_file_and_leaves_nothing(
    empty_app, tmp_path
):
    """Rows are stored while the rest of the file is checked; a bad row near the end still
    refuses the whole file, names every problem, and what was stored is gone."""
    rows = [generated_row(n, "late") for n in range(3000)]
    rows[-2]["email"] = "not an address"
    rows[-1]["techniques"] = "reiki"
    path = write_rows(tmp_path / "late-problem.csv", rows)
    database = Path(empty_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    practitioners_stored(database)
    result = run(empty_app, "import-csv", str(path), "--status", "approved")
    assert result.exit_code != 0
    assert "line 3000, email:" in result.output and "line 3001, techniques:" in result.output
    assert "2 problem(s) in late-problem.csv; nothing was imported." in result.output
    assert sql(database, "SELECT count(*) FROM stored_ever") >= csv_files.IMPORT_BATCH
    for table in ("practitioner", "practice_location", "practitioner_language", "search_point"):
        assert sql(database, f"SELECT count(*) FROM {table}") == 0, table
    assert not published(database)
    client = empty_app.test_client()
    assert client.get("/api/v1/search", query_string=NEAR).get_json()["total"] == 0


@pytest.mark.sqlite_only
def test_a_ref_on_the_first_and_last_lines_is_stored_once_with_both_places(
    empty_app, tmp_path, monkeypatch
):
    """A practitioner is stored only once all its rows are checked, however far apart, and
    practitioners keep the order of their first lines; here the file is checked by another
    process in uneven chunks while the rows are stored."""
    monkeypatch.setattr(csv_files, "CHECK_IN_PARALLEL_FROM", 100)
    monkeypatch.setattr(csv_files, "CHECK_CHUNK", 97)
    rows = [generated_row(n, "far") for n in range(1500)]
    again = dict(rows[0], city="Darkhan", latitude="49.48667", longitude="105.92278")
    rows.append(again)
    rows.insert(700, dict(rows[3], city="Erdenet", latitude="49.02821", longitude="104.04440"))
    path = write_rows(tmp_path / "far-apart.csv", rows)
    database = Path(empty_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    practitioners_stored(database)
    result = run(empty_app, "import-csv", str(path), "--status", "approved")
    assert result.exit_code == 0, result.output
    assert "Imported 1500 practitioners as approved." in result.output
    assert sql(database, "SELECT count(*) FROM stored_ever") == 1500
    with sqlite3.connect(database) as connection:
        places = connection.execute(
            "SELECT p.ref, l.city, l.latitude FROM practitioner p"
            " JOIN practice_location l ON l.practitioner_id = p.id"
            " WHERE p.ref IN ('far-000000', 'far-000003') ORDER BY p.ref, l.position"
        ).fetchall()
        order = [ref for (ref,) in connection.execute("SELECT ref FROM practitioner ORDER BY id")]
    assert places == [
        ("far-000000", "Ulaanbaatar", float(rows[0]["latitude"])),
        ("far-000000", "Darkhan", 49.48667),
        ("far-000003", "Ulaanbaatar", float(rows[3]["latitude"])),
        ("far-000003", "Erdenet", 49.02821),
    ]
    assert order == [f"far-{n:06d}" for n in range(1500)]
    client = empty_app.test_client()
    darkhan = {"lat": 49.48667, "lon": 105.92278, "radius": 5}
    found = client.get("/api/v1/search", query_string=darkhan).get_json()
    assert [item["name"] for item in found["nearby"]] == [rows[0]["name"]]


@pytest.mark.sqlite_only
def test_a_killed_import_shows_nothing_and_the_next_import_removes_its_rows(
    empty_app, gazetteer_path, tmp_path
):
    database = Path(empty_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    file = write_import_file(tmp_path / "large.csv", ROWS, prefix="killed")
    importer = start_import(database, gazetteer_path, file, tmp_path / "import.log")
    try:
        deadline = time.monotonic() + 120
        while staged(database) < 1000 and importer.poll() is None:
            assert time.monotonic() < deadline, "the import stored nothing within 2 minutes"
            time.sleep(0.01)
        os.kill(importer.pid, signal.SIGKILL)
    finally:
        importer.wait()
    left = staged(database)
    assert 0 < left < ROWS, f"{left} rows staged: the import was not killed part way"
    assert sql(database, "PRAGMA integrity_check") == "ok"

    client = empty_app.test_client()
    assert client.get("/api/v1/search", query_string=NEAR).get_json()["total"] == 0
    assert NAME_PREFIX not in client.get("/search", query_string=NEAR).get_data(as_text=True)
    assert client.get("/api/v1/hsds/services").get_json()["total_items"] == 0
    assert "MN" not in client.get("/api/v1/countries").get_data(as_text=True)
    export = tmp_path / "export.csv"
    assert run(empty_app, "export-csv", str(export)).exit_code == 0
    assert NAME_PREFIX not in export.read_text(encoding="utf-8")

    again = run(empty_app, "import-csv", str(write_rows(tmp_path / "small.csv", [
        generated_row(1, "after")
    ])))  # fmt: skip
    assert again.exit_code == 0, again.output
    assert f"Removed {left:,} unfinished listings left by an import that stopped" in again.output
    assert staged(database) == 0
    assert sql(database, "SELECT count(*) FROM practitioner") == 1
    assert sql(database, "SELECT count(*) FROM practice_location") == 1


@pytest.mark.sqlite_only
def test_an_import_gives_each_listing_its_service_id_at_the_swap(empty_app, tmp_path):
    """On SQLite the service ids are stored by the swap (their unique index built once when
    the import is most of the table, kept and updated when it is not): each listing has the
    id its ref gives, the index is there after either import, and the API reads by it."""
    database = Path(empty_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    first = write_rows(tmp_path / "first.csv", [generated_row(n, "sid") for n in range(1200)])
    assert run(empty_app, "import-csv", str(first), "--status", "approved").exit_code == 0
    then = write_rows(tmp_path / "then.csv", [generated_row(n, "sid2") for n in range(30)])
    assert run(empty_app, "import-csv", str(then), "--status", "approved").exit_code == 0
    with sqlite3.connect(database) as connection:
        stored = dict(connection.execute("SELECT ref, service_id FROM practitioner"))
        index = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_practitioner_service_id'"
        ).fetchone()
    assert len(stored) == 1230
    assert stored == {ref: stable_id("service", ref) for ref in stored}
    assert index and index[0].startswith("CREATE UNIQUE INDEX")
    client = empty_app.test_client()
    for ref in ("sid-000000", "sid-001199", "sid2-000029"):
        answer = client.get(f"/api/v1/hsds/services/{stored[ref]}")
        assert answer.status_code == 200
        assert answer.get_json()["id"] == stored[ref]
    # A service id is unique: the index refuses a second row with one.
    with sqlite3.connect(database) as connection, pytest.raises(sqlite3.IntegrityError):
        connection.execute(
            "UPDATE practitioner SET service_id = ? WHERE ref = 'sid-000001'",
            (stored["sid-000000"],),
        )


def test_rows_checked_side_by_side_give_the_same_drafts_and_errors(monkeypatch):
    """A large file is checked by several processes; drafts, their order and every error with
    its line are what one process finds."""
    rows = [generated_row(n, "par") for n in range(60)]
    rows[7]["email"] = "not an address"
    rows[33]["latitude"] = "north"
    rows[52]["techniques"] = "reiki"
    for n in (20, 21, 45):  # a refused value met again is refused again, on every line
        rows[n]["languages"] = "mn;xx"
    good = [row for n, row in enumerate(rows) if n not in (7, 20, 21, 33, 45, 52)]
    slugs = set(TECHNIQUES)
    monkeypatch.setattr(csv_files, "CHECK_IN_PARALLEL_FROM", 10)
    monkeypatch.setattr(csv_files, "CHECK_CHUNK", 7)  # chunks that cut the file unevenly
    alone = csv_files.read_csv(good, slugs, processes=0)
    together = csv_files.read_csv(good, slugs, processes=2)
    assert [d.ref for d in together] == [d.ref for d in alone] == [r["ref"] for r in good]
    assert together == alone
    with pytest.raises(csv_files.ImportRejected) as rejected:
        csv_files.read_csv(rows, slugs, processes=2)
    assert [(e.line, e.field) for e in rejected.value.errors] == [
        (9, "email"),
        (22, "languages"),
        (23, "languages"),
        (35, "latitude"),
        (47, "languages"),
        (54, "techniques"),
    ]
    # Drafts that list the same languages do not share one list.
    together[0].languages.append("ko")
    assert together[1].languages == ["mn", "en"]
    # ... and the checking did happen in other processes.
    monkeypatch.setattr(csv_files, "_check_row", lambda line, row, slugs: (line, os.getpid()))
    lines = list(range(2, len(good) + 2))
    checked = list(csv_files._checked_rows(good, lines, slugs, processes=2))
    assert [line for line, _ in checked] == lines
    assert os.getpid() not in {pid for _, pid in checked}


def test_a_value_written_once_into_a_batch_statement_is_the_same_in_every_row():
    """A column is written into a batch's INSERT as one literal only when every row holds
    that value: one that differs in a single row between the first and the last (where a
    sample of every 64th row does not look) is bound row by row."""
    rows = [{"a": "", "b": 0, "c": None, "d": "x", "e": n} for n in range(200)]
    rows[100]["a"] = "only here"
    rows[150]["c"] = 7
    assert csv_files._same_in_every_row(rows) == {"b": "0", "d": "'x'"}
    rows[100]["a"] = rows[150]["c"] = None
    assert csv_files._same_in_every_row(rows) == {"b": "0", "c": "NULL", "d": "'x'"}
    assert csv_files._same_in_every_row(rows[:1]) == {
        "a": "''", "b": "0", "c": "NULL", "d": "'x'", "e": "0"
    }  # fmt: skip
