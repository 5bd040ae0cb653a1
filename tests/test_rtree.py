"""SQLite's R*Tree over the search index: in step with search_point whoever writes, made for
databases older than it, and the path every SQLite search takes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event, select

from finder.extensions import db
from finder.models import SEARCH_RTREE, TECHNIQUE_SPACING, PracticeLocation, Practitioner
from finder.nearest import Filters, Neighbourhood, Question, nearest
from finder.techniques import load_techniques

from .conftest import ROOT, make_app
from .import_files import generated_row
from .test_cli import run, write_rows

MIGRATIONS = str(ROOT / "migrations")


def database_of(app) -> Path:
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def disagreements(database: Path) -> list[tuple]:
    """search_point rows whose R*Tree box is missing or does not hold the row's point and
    technique, and R*Tree boxes with no row; [] when the two agree."""
    with sqlite3.connect(database) as connection:
        codes = dict(connection.execute("SELECT slug, id * ? FROM technique", (TECHNIQUE_SPACING,)))
        codes["*"] = 0
        boxes = {row[0]: row[1:] for row in connection.execute(f"SELECT * FROM {SEARCH_RTREE}")}
        rows = connection.execute("SELECT id, technique, lat, lon FROM search_point").fetchall()
    wrong = []
    for id_, technique, lat, lon in rows:
        box = boxes.pop(id_, None)
        code = codes[technique]
        if box is None or not (
            box[0] <= code <= box[1] and box[2] <= lat <= box[3] and box[4] <= lon <= box[5]
        ):
            wrong.append((id_, technique, lat, lon, box))
    return wrong + [("no row", id_, box) for id_, box in boxes.items()]


def test_the_rtree_follows_every_kind_of_write(app, client, tmp_path):
    database = database_of(app)
    with sqlite3.connect(database) as connection:
        rows, boxes = (
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("search_point", SEARCH_RTREE)
        )
    assert rows == boxes > 1000  # the demo data, through init-db and seed-demo
    assert disagreements(database) == []
    with app.app_context():
        approved = db.session.scalars(
            select(Practitioner).where(Practitioner.status == "approved").order_by(Practitioner.id)
        ).all()
        # A location moved to the other side of the ±180° meridian, one added near the pole,
        # one listing suspended, one location deleted.
        approved[0].locations[0].latitude, approved[0].locations[0].longitude = -16.5, 179.9999
        approved[1].locations.append(
            PracticeLocation(city="Longyearbyen", country="SJ", latitude=89.99, longitude=-180.0)
        )
        approved[2].status = "suspended"
        if len(approved[3].locations) > 1:
            approved[3].locations.pop()
        else:
            approved[3].locations[0].latitude = 0.0
        db.session.commit()
        moved, polar = approved[0].id, approved[1].id
    assert disagreements(database) == []
    path = write_rows(tmp_path / "rows.csv", [generated_row(n, "rtree") for n in range(30)])
    result = run(app, "import-csv", str(path), "--status", "approved")
    assert result.exit_code == 0, result.output
    assert disagreements(database) == []
    with app.app_context():
        found = nearest(db.session, -16.5, -179.9999, k=1)
        assert found[0].practitioner_id == moved  # found across the meridian
        found = nearest(db.session, 90.0, 0.0, k=1)
        assert found[0].practitioner_id == polar  # and at the pole


def test_sqlite_searches_find_rows_through_the_rtree(app):
    """The planner must not fall back to scanning a latitude band of the B-tree index, whose
    cost grows with the box (the whole globe for a rare technique far from anyone)."""
    statements = []
    with app.app_context():
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda _c, _cur, sql, params, _ctx, _many: statements.append((sql, params)),
        )
        for filters in (Filters(), Filters(techniques=("muscle-energy-technique",))):
            assert nearest(db.session, -48.9, -123.4, filters, k=3)  # Point Nemo
    searches = [(sql, params) for sql, params in statements if SEARCH_RTREE in sql]
    assert len(searches) >= 2
    with sqlite3.connect(database_of(app)) as connection:
        for sql, params in searches:
            plan = " | ".join(
                row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            )
            assert "VIRTUAL TABLE" in plan and "INTEGER PRIMARY KEY" in plan, plan
            assert "ix_search_point_technique_lat_lon_covering" not in plan, plan


def test_a_database_made_before_the_rtree_gets_it_when_upgraded(tmp_path, gazetteer_path):
    app = make_app(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0008")
        load_techniques(db.session)
        db.session.commit()
    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(database_of(app)) as connection:
        assert not connection.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ?", (SEARCH_RTREE,)
        ).fetchone()
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        found = [hit.practitioner_id for hit in nearest(db.session, 43.65, -79.38, k=10)]
        hood = Neighbourhood(db.session, 43.65, -79.38)
        hood.rtree = False  # the B-tree alone, as before the upgrade
        wanted = [hit.practitioner_id for hit in hood.answer({0: Question(k=10)})[0]]
        db.session.remove()
        db.engine.dispose()
    assert disagreements(database_of(app)) == []
    assert found == wanted and len(found) == 10
