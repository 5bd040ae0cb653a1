"""Whoever writes a listing, the search index, the data version and the status rule follow:
no writer has to remember them (finder.listings, migration 0007)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from finder import postgis
from finder.extensions import db
from finder.geo import unit_vector
from finder.listings import data_version
from finder.models import GeocodeCache, PracticeLocation, Practitioner, SearchPoint

from .conftest import ROOT, skip_or_fail


def _first_approved(session) -> Practitioner:
    return session.scalars(
        select(Practitioner).where(Practitioner.status == "approved").order_by(Practitioner.id)
    ).first()


def _nearby_ids(client, **params) -> list[int]:
    body = client.get("/api/v1/search", query_string={**params, "per_page": 100}).get_json()
    return [r["id"] for r in body["nearby"]]


def test_moving_a_location_moves_it_in_search_without_a_reindex_call(app, client):
    with app.app_context():
        p = _first_approved(db.session)
        pid = p.id
        assert pid not in _nearby_ids(client, lat="-77.85", lon="166.67", radius="50")
        loc = p.locations[0]
        loc.latitude, loc.longitude, loc.country = -77.85, 166.67, "AQ"  # McMurdo Station
        db.session.commit()
    assert pid in _nearby_ids(client, lat="-77.85", lon="166.67", radius="50")


def test_a_status_set_directly_takes_the_listing_out_of_search(app, client):
    with app.app_context():
        p = _first_approved(db.session)
        pid, loc = p.id, p.locations[0]
        where = {"lat": str(loc.latitude), "lon": str(loc.longitude), "radius": "5"}
    assert pid in _nearby_ids(client, **where)
    with app.app_context():
        db.session.get(Practitioner, pid).status = "suspended"
        db.session.commit()
        assert (
            db.session.scalars(
                select(SearchPoint).where(SearchPoint.practitioner_id == pid)
            ).first()
            is None
        )
    assert pid not in _nearby_ids(client, **where)


def test_deleting_a_location_drops_its_index_rows(app):
    with app.app_context():
        p = db.session.scalars(
            select(Practitioner)
            .where(Practitioner.status == "approved", Practitioner.locations.any())
            .order_by(Practitioner.id)
        ).first()
        p.locations.append(
            PracticeLocation(city="Reykjavik", country="IS", latitude=64.15, longitude=-21.94)
        )
        db.session.commit()
        rows = db.session.scalars(
            select(SearchPoint.country).where(SearchPoint.practitioner_id == p.id)
        )
        assert "IS" in set(rows)
        p.locations.pop()
        db.session.commit()
        rows = db.session.scalars(
            select(SearchPoint.country).where(SearchPoint.practitioner_id == p.id)
        )
        assert "IS" not in set(rows)


def test_the_data_version_moves_with_listings_only(app):
    with app.app_context():
        first = data_version(db.session)
        assert first
        db.session.add(GeocodeCache(query="somewhere", provider="offline", result={}))
        db.session.commit()
        assert data_version(db.session) == first  # a geocoded place is not a listing
        _first_approved(db.session).phone = "+82 2-312-0000"
        db.session.commit()
        moved = data_version(db.session)
        assert moved != first
        # Within a transaction, a change not yet flushed moves it too (as an ORM query would
        # see it): the version is read after the session's pending changes are written.
        _first_approved(db.session).phone = "+82 2-312-0001"
        assert data_version(db.session) != moved
        db.session.rollback()
        assert data_version(db.session) == moved


def test_an_unknown_status_is_refused_by_the_database(app):
    with app.app_context():
        p = _first_approved(db.session)
        p.status = "approved-ish"
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(Practitioner, p.id).status == "approved"


@pytest.mark.sqlite_only
def test_sqlite_checks_statuses_with_a_constraint_and_its_migration_keeps_every_row(
    demo_template, tmp_path
):
    """Migration 0015 builds practitioner again with a CHECK constraint instead of 0007's
    triggers (which made every insert three times slower): down and up again on the demo
    directory, every row of every table stays, foreign keys hold, and the rule holds on
    both sides."""
    import sqlite3

    database = tmp_path / "migrated.sqlite"
    database.write_bytes(demo_template.path.read_bytes())

    def flask_db(*args):
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "FINDER_INSTANCE": str(tmp_path),
        }
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "finder", "db", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr

    def state():
        with sqlite3.connect(database) as connection:
            tables = [row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND name != 'alembic_version'")]  # fmt: skip
            counts = {
                t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables
            }
            children = connection.execute(
                "SELECT count(*) FROM practice_location l JOIN practitioner p"
                " ON p.id = l.practitioner_id"
            ).fetchone()[0]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            return counts, children

    def refuses_unknown_status():
        with sqlite3.connect(database) as connection:
            with pytest.raises(sqlite3.IntegrityError, match="ck_practitioner_status"):
                connection.execute(
                    "UPDATE practitioner SET status = 'approved-ish'"
                    " WHERE id = (SELECT min(id) FROM practitioner)"
                )
        return True

    before = state()
    assert before[0]["practitioner"] > 600 and before[1] == before[0]["practice_location"]
    flask_db("downgrade", "0014")  # the triggers of 0007
    assert state() == before and refuses_unknown_status()
    flask_db("upgrade")  # the constraint of 0015
    assert state() == before and refuses_unknown_status()
    with sqlite3.connect(database) as connection:
        sql = connection.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'practitioner'"
        ).fetchone()[0]
        triggers = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
        assert "CHECK (status IN" in sql and triggers.fetchone()[0] == 0


@pytest.mark.postgres
def test_migrations_check_statuses_on_postgresql(postgres_url):
    """`flask db upgrade` on PostgreSQL (in a schema of its own) makes the same rule."""
    schema = f"migrations_{uuid.uuid4().hex[:8]}"
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{postgres_url}?options=-csearch_path%3D{schema}"
    try:
        env = {**os.environ, "DATABASE_URL": url}
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "finder", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        with engine.begin() as connection:
            connection.execute(text(f"SET search_path TO {schema}"))
            assert connection.execute(text("SELECT count(*) FROM directory_state")).scalar() == 1
            with pytest.raises(IntegrityError):
                connection.execute(
                    text(
                        "INSERT INTO practitioner (ref, name, credentials, clinic, "
                        "teaches_self_correction, gentle_only, telehealth, home_visits, "
                        "accepts_international, website, phone, email, registry_name, "
                        "registry_number, registry_url, npi, status, demo, created_at, "
                        "updated_at) VALUES ('r', 'n', '', '', false, false, false, false, "
                        "false, '', '', '', '', '', '', '', 'bogus', false, now(), now())"
                    )
                )
        with engine.begin() as connection:
            connection.execute(text(f"SET search_path TO {schema}"))
            # Where the server has PostGIS, revision 0010 gave the index its geography column.
            gis = connection.execute(
                text("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
            ).scalar()
            if not gis:
                skip_or_fail("PostGIS is not installed (apt-get install postgresql-15-postgis-3)")
            assert postgis.schema_for_search(connection) is not None
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def test_every_listing_stores_the_hsds_id_its_ref_gives(app, client):
    from finder.models import stable_id

    with app.app_context():
        rows = db.session.execute(select(Practitioner.ref, Practitioner.service_id)).all()
    assert rows and all(service == stable_id("service", ref) for ref, service in rows)
    ref, service = rows[0]
    body = client.get(f"/api/v1/hsds/services/{service}")
    assert body.status_code in (200, 404)  # 404 only for a listing not approved
    with app.app_context():
        approved = db.session.scalar(
            select(Practitioner.service_id).where(Practitioner.status == "approved")
        )
    assert client.get(f"/api/v1/hsds/services/{approved}").get_json()["id"] == approved


def test_every_index_row_holds_its_point_on_the_unit_sphere_and_its_band(app, tmp_path):
    """x, y, z (what SQL ranks distances by) and the latitude band (what the index seeks)
    follow lat/lon through every writer."""
    from .import_files import generated_row
    from .test_cli import run, write_rows

    with app.app_context():
        p = _first_approved(db.session)
        p.locations[0].latitude, p.locations[0].longitude = -16.5, 179.9999  # the antimeridian
        p.locations.append(
            PracticeLocation(city="Longyearbyen", country="SJ", latitude=89.99, longitude=-180.0)
        )
        db.session.commit()
    path = write_rows(tmp_path / "rows.csv", [generated_row(n, "unit") for n in range(20)])
    assert run(app, "import-csv", str(path), "--status", "approved").exit_code == 0
    with app.app_context():
        rows = db.session.execute(select(SearchPoint.lat, SearchPoint.lon, SearchPoint.x,
                                         SearchPoint.y, SearchPoint.z, SearchPoint.band)).all()  # fmt: skip
    assert len(rows) > 1000
    for lat, lon, x, y, z, band in rows:
        assert (x, y, z) == pytest.approx(unit_vector(lat, lon), abs=1e-12), (lat, lon)
        assert band == math.floor(lat), (lat, band)


def _answer(p: Practitioner, flag: str) -> bool:
    """A practitioner's answer to one of models.FLAGS, from its columns."""
    details = {
        "accepting": p.accepting_new_patients in ("yes", "waitlist"),
        "diagnostic_injection": "diagnostic-injection" in p.diagnostics.split(";"),
        "lying_down": "lying-down" in p.access.split(";"),
        "approach_posterior": p.surgery_approach in ("posterior", "both"),
        "approach_lateral": p.surgery_approach in ("lateral", "both"),
    }
    return details[flag] if flag in details else bool(getattr(p, flag))


def test_a_practitioners_answers_follow_into_the_index_through_every_writer(app, client, tmp_path):
    """SearchPoint.flags (what "offers telehealth" and the other ticks are answered from)
    equal the practitioner's own answers after an edit and after an import, and a search
    for telehealth finds the practitioner only while they offer it."""
    from finder.models import FLAGS

    from .import_files import generated_row
    from .test_cli import run, write_rows

    with app.app_context():
        p = _first_approved(db.session)
        pid, loc = p.id, p.locations[0]
        where = {"lat": str(loc.latitude), "lon": str(loc.longitude), "radius": "5"}
        p.telehealth, p.home_visits, p.gentle_only = False, True, True
        db.session.commit()
    assert pid not in _nearby_ids(client, **where, telehealth="y")
    assert pid in _nearby_ids(client, **where, home_visits="y", gentle="y")
    with app.app_context():
        db.session.get(Practitioner, pid).telehealth = True
        db.session.commit()
    assert pid in _nearby_ids(client, **where, telehealth="y")
    path = write_rows(tmp_path / "rows.csv", [generated_row(n, "flags") for n in range(20)])
    assert run(app, "import-csv", str(path), "--status", "approved").exit_code == 0
    with app.app_context():
        answers = {
            p.id: sum(bit for name, bit in FLAGS.items() if _answer(p, name))
            for p in db.session.scalars(select(Practitioner))
        }
        rows = db.session.execute(select(SearchPoint.practitioner_id, SearchPoint.flags)).all()
    assert {flags for _, flags in rows} != {0}
    assert all(flags == answers[pid] for pid, flags in rows)
