"""SQL statements per request, counted as the database sees them, against a budget per page.

A SQLAlchemy event listener counts every statement sent to the engine (BEGIN included) while
one request is served. Each page is measured on its first request for that place, after the
worker has served one other page (its lists of techniques and spoken languages are made once
per data version). Past a budget, a page is doing per-row or per-country work in SQL again.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from finder.extensions import db
from finder.models import PracticeLocation, Practitioner, SearchPoint
from finder.search import load_practitioners
from finder.vetting import CHECKLIST, decide

from .conftest import make_app

RESULTS_BUDGET = 16  # each card says how its listing was vetted: one query for the records
API_SEARCH_BUDGET = 16
PRACTITIONER_BUDGET = 7  # with the vetting record the page says "Vetted … how" from
COUNTRIES_BUDGET = 5
COUNTRY_BUDGET = 15

PLACES = [
    {"location": "Beijing"},
    {"location": "Seoul", "technique": "muscle-energy-technique"},
    {"location": "Seoul", "technique": "muscle-energy-technique", "language": "ko"},
    {"lat": "0", "lon": "-140"},  # mid-Pacific: nobody within thousands of km
    {"lat": "-54.8", "lon": "-68.3", "technique": "si-joint-fusion"},  # Tierra del Fuego
    {"location": "Toronto", "telehealth": "y", "home_visits": "y"},
    {"location": "London", "radius": "20000"},  # everyone is nearby
    {"location": "Mongolia"},  # a whole country with nobody in it
    {"location": "United States"},  # a whole country with many
    {"location": "78701", "gentle": "y"},
]


@contextmanager
def counted(app):
    """Count the statements the application's engine runs inside the block."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements(app, client, url: str, **headers) -> tuple[int, list[str]]:
    with counted(app) as seen:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return len(seen), seen


@pytest.fixture
def warm(app, client):
    """The worker has served a page and a search (from a point no test searches: it counts
    the directory's size once, finder.nearest.Samples)."""
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/search?lat=-45&lon=-150").status_code == 200
    return client


def _url(path: str, params: dict) -> str:
    return path + "?" + "&".join(f"{k}={v}" for k, v in params.items())


@pytest.mark.parametrize("params", PLACES, ids=lambda p: "-".join(p.values()))
@pytest.mark.parametrize("lang", ["en", "ko", "es"])
def test_results_page_stays_within_its_budget(app, warm, params, lang):
    count, seen = statements(app, warm, _url("/search", params), **{"Accept-Language": lang})
    assert count <= RESULTS_BUDGET, "\n".join(seen)
    # The index is read a bounded number of times whatever the place.
    assert sum("FROM search_point" in s for s in seen) <= 6, "\n".join(seen)


@pytest.mark.parametrize("params", PLACES, ids=lambda p: "-".join(p.values()))
def test_api_search_stays_within_its_budget(app, warm, params):
    count, seen = statements(app, warm, _url("/api/v1/search", params))
    assert count <= API_SEARCH_BUDGET, "\n".join(seen)


def test_page_two_does_not_search_again(app, warm):
    statements(app, warm, "/search?location=London&per_page=5")
    _, seen = statements(app, warm, "/search?location=London&per_page=5&page=2")
    assert not any("FROM search_point" in s for s in seen), "\n".join(seen)


def test_practitioner_page_stays_within_its_budget(app, warm):
    with app.app_context():
        ids = db.session.scalars(select(Practitioner.id).where(Practitioner.status == "approved"))
        some = list(ids)[:5]
    for pid in some:
        count, seen = statements(app, warm, f"/practitioners/{pid}")
        assert count <= PRACTITIONER_BUDGET, "\n".join(seen)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_countries_page_stays_within_its_budget(app, client, lang):
    count, seen = statements(app, client, "/countries", **{"Accept-Language": lang})
    assert count <= COUNTRIES_BUDGET, "\n".join(seen)


@pytest.mark.parametrize("code", ["MN", "JP", "KR", "US", "DE", "IS", "BR", "ZA"])
def test_country_page_stays_within_its_budget(app, warm, code):
    count, seen = statements(app, warm, f"/countries/{code}")
    assert count <= COUNTRY_BUDGET, "\n".join(seen)


def _listed(client, url: str) -> list[int]:
    body = client.get(url).get_json()
    return [r["id"] for r in body["nearby"] + body["travel_worthy"] + body["remote"]]


def test_a_change_in_another_worker_reaches_every_kept_answer(app, demo_template, tmp_path):
    """Two workers on one database: one keeps answers, the other suspends a listing."""
    url = "/api/v1/search?location=Sydney&per_page=100"
    first = app.test_client()
    listed = _listed(first, url)
    page = first.get("/search?location=Sydney&per_page=100").get_data(as_text=True)
    assert f"/practitioners/{listed[0]}" in page
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    with other.app_context():
        p = db.session.get(Practitioner, listed[0])
        decide(db.session, p, "suspend", "admin@example.org", "Closed.", {})
        db.session.commit()
        db.engine.dispose()
    assert listed[0] not in _listed(first, url)
    page = first.get("/search?location=Sydney&per_page=100").get_data(as_text=True)
    assert f"/practitioners/{listed[0]}" not in page
    with app.app_context():  # and the index agrees
        rows = db.session.scalars(
            select(SearchPoint).where(SearchPoint.practitioner_id == listed[0])
        )
        assert rows.first() is None


def test_kept_pages_get_a_fresh_script_nonce_each_time(app, client):
    url = "/search?location=Sydney"
    nonces = set()
    for _ in range(3):
        response = client.get(url)
        policy = response.headers["Content-Security-Policy"]
        nonce = policy.split("'nonce-")[1].split("'")[0]
        assert f'nonce="{nonce}"' in response.get_data(as_text=True)
        nonces.add(nonce)
    assert len(nonces) == 3


def test_a_nearest_search_reads_the_index_a_bounded_number_of_times(app):
    """From anywhere (cities, oceans, poles, the antimeridian), for few or many matches."""
    import random

    from finder.nearest import MAX_SCANS, Filters, Neighbourhood, Question

    rng = random.Random(7)
    origins = [(90, 0), (-90, 0), (0, 180), (0, -180), (51.5, -0.13), (37.57, 126.98)]
    origins += [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(40)]
    with app.app_context():
        for lat, lon in origins:
            for filters, k in ((Filters(), 20), (Filters(("si-joint-fusion",), "MN"), 3)):
                hood = Neighbourhood(db.session, lat, lon, filters)
                hood.answer({0: Question(k=k), 1: Question(k=1, telehealth=True)})
                assert hood.scans <= MAX_SCANS, (lat, lon, filters, hood.scans)


def test_a_page_s_practitioners_load_in_two_statements_with_everything_in_order(app):
    """A page's practitioners come with their locations, languages, patterns and latest
    approval's checklist in one statement (their techniques in a second), each list in its
    own order: the same as loading each relationship and every vetting record of theirs on
    its own. A whole country's many load each relationship by itself and give the same."""
    with app.app_context():
        approved = select(Practitioner.id).where(Practitioner.status == "approved")
        ids = set(db.session.scalars(approved.order_by(Practitioner.id.desc()).limit(40)))
        with_several = set(
            db.session.scalars(
                select(PracticeLocation.practitioner_id)
                .group_by(PracticeLocation.practitioner_id)
                .having(func.count() > 1)
            )
        ) & set(db.session.scalars(approved))
        assert len(with_several) >= 2  # the demo data has them: the order is put to the test
        ids |= set(sorted(with_several)[:5])
        # Vetted by hand after the import: suspended, then approved with every check ticked
        # (the latest approval is not the first record, nor the latest record the approval).
        again, twice = sorted(ids)[:2]
        everything = dict.fromkeys(CHECKLIST, True)
        for pid in (again, twice):
            p = db.session.get(Practitioner, pid)
            decide(db.session, p, "suspend", "admin@example.org", "Checking.", {})
            decide(db.session, p, "approve", "admin@example.org", "Fine.", everything)
        decide(db.session, db.session.get(Practitioner, twice), "suspend", "a@example.org", "", {})
        db.session.commit()
        ids.discard(twice)  # suspended: not listed
        db.session.expunge_all()

        def described(people: dict) -> dict:
            return {
                pid: (
                    p.name,
                    [(loc.id, loc.city) for loc in p.locations],
                    p.languages,
                    p.patterns,
                    p.technique_slugs,
                    p.vetting_checks,
                )
                for pid, p in people.items()
            }

        with counted(app) as seen:
            loaded = described(load_practitioners(db.session, ids | {twice}))
        selects = [statement for statement in seen if statement.startswith("SELECT")]
        assert len(selects) == 2, "\n".join(seen)
        assert set(loaded) == ids
        assert loaded[again][-1] == list(CHECKLIST)
        db.session.expunge_all()
        one_by_one = {}
        for pid in ids:
            p = db.session.get(Practitioner, pid)
            approvals = [r.checklist for r in p.vetting_records if r.decision == "approved"]
            checks = [name for name, done in approvals[-1].items() if done]
            one_by_one[pid] = (*described({pid: p})[pid][:-1], checks)
        assert loaded == one_by_one
        db.session.expunge_all()
        country = db.session.scalar(
            select(PracticeLocation.country).where(PracticeLocation.practitioner_id.in_(ids))
        )
        whole = described(load_practitioners(db.session, ids, located_in=country))
        assert {pid: whole[pid] for pid in ids} == loaded


def test_practitioners_loaded_again_in_a_session_keep_the_techniques_it_holds(app):
    """Loading a page's practitioners again in the same session reads their techniques no
    more (one SELECT), and a list the session holds stays as it is, as a loader leaves it."""
    with app.app_context():
        ids = set(
            db.session.scalars(
                select(Practitioner.id).where(Practitioner.status == "approved").limit(12)
            )
        )
        first = load_practitioners(db.session, ids)
        slugs = {pid: p.technique_slugs for pid, p in first.items()}
        assert all(slugs.values())
        kept = first[min(ids)].techniques
        with counted(app) as seen:
            again = load_practitioners(db.session, ids)
        selects = [statement for statement in seen if statement.startswith("SELECT")]
        assert len(selects) == 1, "\n".join(seen)
        assert again[min(ids)].techniques is kept
        assert {pid: p.technique_slugs for pid, p in again.items()} == slugs
