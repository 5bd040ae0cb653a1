"""`flask --app finder backup FILE`: a consistent SQLite copy, even while the site writes."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config import TestConfig
from finder import create_app
from finder.extensions import db

from .conftest import GAZETTEER, make_app

# Each transaction writes two audit events for the same n (10 KB each, so the file grows to
# many backup steps); a consistent copy holds both rows of n = 1..k and nothing else.
WRITER = """
import sqlite3, sys, time
from pathlib import Path
path, stop = sys.argv[1], Path(sys.argv[2])
connection = sqlite3.connect(path, isolation_level=None)
connection.execute("PRAGMA busy_timeout=10000")
payload = '"' + "x" * 10000 + '"'
deadline = time.monotonic() + 30
n = 0
while not stop.exists() and time.monotonic() < deadline:
    n += 1
    connection.execute("BEGIN IMMEDIATE")
    for half in ("first", "second"):
        connection.execute(
            "INSERT INTO audit_event (at, actor, action, entity, entity_id, after)"
            " VALUES (datetime('now'), 'writer', ?, 'probe', ?, ?)",
            (half, n, payload),
        )
    connection.execute("COMMIT")
connection.close()
"""


def practitioner_count(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM practitioner").fetchone()[0]


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def probes_written(path: Path) -> int:
    with sqlite3.connect(path, timeout=10) as connection:
        return connection.execute(
            "SELECT count(*) FROM audit_event WHERE entity = 'probe' AND action = 'second'"
        ).fetchone()[0]


def database_path(app) -> Path:
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


@pytest.mark.sqlite_only  # `flask backup` copies a SQLite file
def test_backup_copies_the_demo_database(app, tmp_path):
    target = tmp_path / "copy.sqlite"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert f"to {target}" in result.output
    assert integrity(target) == "ok"
    assert practitioner_count(target) == practitioner_count(database_path(app)) >= 500
    assert not list(tmp_path.glob(".copy.sqlite.*"))  # no partial file left behind


@pytest.mark.sqlite_only  # `flask backup` copies a SQLite file
def test_backup_taken_while_another_process_writes_restores_consistently(app, tmp_path):
    source = database_path(app)
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(source), str(stop)])
    try:
        deadline = time.monotonic() + 20
        while probes_written(source) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert probes_written(source) >= 300, "the writer did not get going"
        target = tmp_path / "backup.sqlite"
        # A backup takes a fraction of a second: on a busy machine the writer may not be
        # given the processor within one. Up to five backups, each checked below the same
        # way, until one ran while a write landed (a backup that blocked writers never would).
        for _attempt in range(5):
            before = probes_written(source)
            result = app.test_cli_runner().invoke(args=["backup", str(target)])
            after = probes_written(source)
            assert result.exit_code == 0, result.output
            if after > before:
                break
    finally:
        stop.touch()
        writer.wait(timeout=30)
    assert writer.returncode == 0
    assert after > before, "no write happened while the backup ran"

    # Restore as README says: stop the site, put the copy in place of the database (and of
    # its -wal/-shm files), start the site on it.
    practitioners = practitioner_count(source)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for leftover in (source, Path(f"{source}-wal"), Path(f"{source}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copy(target, source)
    assert integrity(source) == "ok"
    with sqlite3.connect(source) as connection:
        rows = connection.execute(
            "SELECT entity_id, count(*) FROM audit_event"
            " WHERE entity = 'probe' GROUP BY entity_id ORDER BY entity_id"
        ).fetchall()
    copied = len(rows)
    assert before <= copied <= after
    assert [row[0] for row in rows] == list(range(1, copied + 1))  # a prefix, no gaps
    assert all(row[1] == 2 for row in rows)  # never half of a transaction

    site = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        client = site.test_client()
        assert client.get("/").status_code == 200
        answer = client.get("/api/v1/search?location=Berlin&radius=20000")
        assert answer.status_code == 200 and answer.get_json()["nearby"]
        assert practitioner_count(source) == practitioners
    finally:
        with site.app_context():
            db.engine.dispose()


@pytest.mark.sqlite_only  # `flask backup` copies a SQLite file
def test_backup_to_an_unwritable_place_says_so(app, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = app.test_cli_runner().invoke(args=["backup", str(blocker / "copy.sqlite")])
    assert result.exit_code != 0
    assert "Cannot write" in result.output and "copy.sqlite" in result.output
    missing = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "no" / "copy.sqlite")])
    assert missing.exit_code != 0 and "Cannot write" in missing.output


@pytest.mark.sqlite_only  # `flask backup` copies a SQLite file
def test_backup_over_the_database_itself_is_refused(app):
    source = database_path(app)
    size = source.stat().st_size
    result = app.test_cli_runner().invoke(args=["backup", str(source)])
    assert result.exit_code != 0 and "database itself" in result.output
    assert integrity(source) == "ok" and source.stat().st_size == size


def test_backup_of_postgresql_points_to_pg_dump():
    site = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://finder:secret@db.invalid/finder",
            "GAZETTEER_PATH": GAZETTEER,
        },
    )
    result = site.test_cli_runner().invoke(args=["backup", "copy.dump"])
    assert result.exit_code != 0
    assert "pg_dump" in result.output and "pg_restore" in result.output
    assert "secret" not in result.output  # the password is not echoed
