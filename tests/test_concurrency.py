"""SQLite under concurrent writers: WAL, a busy timeout and BEGIN IMMEDIATE lose nothing."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import func, select, text

from finder.database import writing
from finder.extensions import db
from finder.models import AuditEvent

from .conftest import make_app

WRITERS = 4
TRANSACTIONS = 40


def _writer(url: str, number: int, errors) -> None:
    """Read-then-write transactions, as a request that checks and then records does."""
    app = make_app(url)
    try:
        with app.app_context():
            for i in range(TRANSACTIONS):
                with writing():
                    seen = db.session.scalar(select(func.count()).select_from(AuditEvent))
                    db.session.add(
                        AuditEvent(
                            actor=f"writer-{number}",
                            action="test",
                            entity="test",
                            entity_id=i,
                            after={"seen": seen},
                        )
                    )
                    db.session.commit()
    except Exception as error:  # reported to the parent, which fails the test
        errors.put(f"{type(error).__name__}: {error}")


def test_concurrent_writers_never_see_database_is_locked(empty_template, tmp_path):
    url = empty_template.copy(tmp_path, "shared")
    context = multiprocessing.get_context("spawn")
    errors = context.Queue()
    workers = [context.Process(target=_writer, args=(url, n, errors)) for n in range(WRITERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert problems == []
    assert all(worker.exitcode == 0 for worker in workers)
    app = make_app(url)
    with app.app_context():
        total = db.session.scalar(select(func.count()).where(AuditEvent.action == "test"))
        assert total == WRITERS * TRANSACTIONS
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            # the writers read through memory-mapped I/O (config: SQLITE_MMAP_BYTES)
            mapped = db.session.execute(text("PRAGMA mmap_size")).scalar()
            assert mapped == app.config["SQLITE_MMAP_BYTES"] > 0
            assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
