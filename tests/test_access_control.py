"""Who may see and change what: every admin URL, CSRF on every POST, only approved is public."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from finder import open_data as exports
from finder.extensions import db
from finder.models import AuditEvent, ListingChange, OutgoingMail, Practitioner, Submission
from finder.submissions import store_submission
from finder.vetting import CHECKLIST, decide

from .conftest import skip_or_fail
from .factories import make_practitioner

ADMIN_EMAIL = "gatekeeper@example.org"
ADMIN_PASSWORD = "a long enough password"
SEOUL = (37.5665, 126.978)
HIDDEN = {
    "pending": "Hidden Pendingzxq",
    "rejected": "Hidden Rejectedzxq",
    "needs-changes": "Hidden Needschangeszxq",
    "suspended": "Hidden Suspendedzxq",
}
VISIBLE = "Visible Approvedzxq"


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def log_in(client):
    token = token_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def guarded_app(app):
    """The demo app with CSRF on (whatever TestConfig says), an admin and a submission."""
    app.config["WTF_CSRF_ENABLED"] = True
    result = app.test_cli_runner().invoke(
        args=["create-admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def submission_ids(guarded_app):
    """A pending listing made by a real submission: (practitioner id, submission id)."""
    with guarded_app.app_context():
        data = {
            "name": "Queued Submissionzxq",
            "credentials": "",
            "clinic": "",
            "techniques": ["physical-therapy"],
            "patterns": [],
            "languages": ["en"],
            "city": "Vienna",
            "country": "AT",
            "latitude": 48.2,
            "longitude": 16.37,
            "submitter_name": "Private Person",
            "submitter_email": "private@example.org",
            "relation": "patient",
        }
        submission = store_submission(db.session, data)
        db.session.commit()
        return submission.practitioner_id, submission.id


def more_ids(app, practitioner_id: int) -> dict[str, int]:
    """A proposed change to the listing and a message in the outbox, for their admin pages."""
    with app.app_context():
        change = ListingChange(practitioner_id=practitioner_id, proposed={"name": "Proposedzxq"})
        message = OutgoingMail(
            kind="claim-link",
            to_address="someone@example.org",
            subject="A message",
            text_body="Text",
            html_body="<p>Text</p>",
            message_id="<access-control@example.org>",
        )
        db.session.add_all([change, message])
        db.session.commit()
        return {"change_id": change.id, "message_id": message.id}


def admin_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")),
        key=lambda r: r.rule,
    )


def concrete(rule, ids: dict[str, int]) -> str:
    """The rule's URL with each <int:...> argument filled with a real id."""
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<[^>]*:?{name}>", str(ids[name]), url)
    assert "<" not in url, url
    return url


def state(app, practitioner_id: int, submission_id: int) -> tuple:
    """Everything an admin action could change."""
    with app.app_context():
        p = db.session.get(Practitioner, practitioner_id)
        s = db.session.get(Submission, submission_id)
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        decided = db.session.scalars(select(ListingChange.decided_at)).all()
        return (p.name, p.status, s.submitter_name, s.erased_at, events, decided)


POST_BODIES = {
    "admin.decision": {
        "action": "approve",
        "notes": "looks fine",
        **{key: "y" for key in CHECKLIST},
    },
    "admin.edit": {
        "name": "Changed By Attackerzxq",
        "techniques": "physical-therapy",
        "city": "Vienna",
        "country": "AT",
        "latitude": "48.2",
        "longitude": "16.37",
    },
    "admin.erase": {},
    "admin.change": {"decision": "approve", "note": ""},
    "admin.logout": {},
}


def test_csrf_is_on_for_these_tests(guarded_app):
    assert guarded_app.config.get("WTF_CSRF_ENABLED", True) is True
    page = guarded_app.test_client().get("/admin/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_every_admin_url_turns_strangers_away_and_lets_admins_in(guarded_app, submission_ids):
    practitioner_id, submission_id = submission_ids
    ids = {"practitioner_id": practitioner_id, "submission_id": submission_id}
    ids |= more_ids(guarded_app, practitioner_id)
    rules = admin_rules(guarded_app)
    assert {r.endpoint for r in rules} >= {
        "admin.queue",
        "admin.review",
        "admin.decision",
        "admin.edit",
        "admin.erase",
        "admin.audit_log",
    }
    stranger = guarded_app.test_client()
    # A stranger holds a valid CSRF token of their own: only the login may stop them.
    token = token_from(stranger.get("/admin/login").get_data(as_text=True))
    admin = guarded_app.test_client()
    log_in(admin)
    before = state(guarded_app, *submission_ids)
    visited = []
    for rule in rules:
        url = concrete(rule, ids)
        if rule.endpoint == "admin.login":
            assert stranger.get(url).status_code == 200
            continue
        if "GET" in rule.methods:
            response = stranger.get(url)
            assert response.status_code == 302, (url, response.status_code)
            assert response.headers["Location"].split("?")[0].endswith("/admin/login"), url
            assert admin.get(url).status_code == 200, url
        else:
            assert stranger.get(url).status_code == 405, url
        if "POST" in rule.methods:
            body = {**POST_BODIES.get(rule.endpoint, {}), "csrf_token": token}
            response = stranger.post(url, data=body)
            assert response.status_code in (302, 401, 403), (url, response.status_code)
            if response.status_code == 302:
                assert "/admin/login" in response.headers["Location"], url
            assert state(guarded_app, *submission_ids) == before, f"anonymous POST {url}"
        visited.append(url)
    assert len(visited) == len(rules) - 1
    # The admin's session still works: the stranger's POST to /logout changed nothing.
    assert admin.get("/admin/").status_code == 200


def test_admin_posts_without_a_csrf_token_are_refused(guarded_app, submission_ids):
    practitioner_id, submission_id = submission_ids
    ids = {"practitioner_id": practitioner_id, "submission_id": submission_id}
    ids |= more_ids(guarded_app, practitioner_id)
    admin = guarded_app.test_client()
    log_in(admin)
    before = state(guarded_app, *submission_ids)
    for rule in admin_rules(guarded_app):
        if "POST" not in rule.methods or rule.endpoint == "admin.login":
            continue
        url = concrete(rule, ids)
        response = admin.post(url, data=POST_BODIES.get(rule.endpoint, {}))
        assert response.status_code == 400, (url, response.status_code)
        assert state(guarded_app, *submission_ids) == before, f"POST {url} without a token"
        response = admin.post(url, data={**POST_BODIES.get(rule.endpoint, {}), "csrf_token": "x"})
        assert response.status_code == 400, (url, "forged token", response.status_code)
    # A login form posted without its token does not sign anyone in.
    stranger = guarded_app.test_client()
    response = stranger.post(
        "/admin/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 400
    assert stranger.get("/admin/").status_code == 302
    assert admin.get("/admin/").status_code == 200


@pytest.fixture
def hidden_ids(app):
    """One listing in each non-public status, moved there by the vetting rules, and one
    approved listing nearby to show the checks can see a listing when it is public."""
    ids = {}
    with app.app_context():
        everyone = {key: True for key in CHECKLIST}
        for number, (status, name) in enumerate([*HIDDEN.items(), ("approved", VISIBLE)]):
            p = make_practitioner(
                db.session,
                lat=SEOUL[0] + number * 0.01,
                lon=SEOUL[1],
                status="pending",
                name=name,
                city="Seoul",
                country="KR",
                telehealth=True,
                accepts_international=True,
            )
            if status in ("approved", "suspended"):
                decide(db.session, p, "approve", ADMIN_EMAIL, "ok", everyone)
            if status == "suspended":
                decide(db.session, p, "suspend", ADMIN_EMAIL, "complaint", {})
            elif status in ("rejected", "needs-changes"):
                action = "reject" if status == "rejected" else "needs-changes"
                decide(db.session, p, action, ADMIN_EMAIL, "no", {})
            db.session.commit()
            assert p.status == status
            ids[status] = p.id
    return ids


def assert_only_visible(text: str, where: str):
    for status, name in HIDDEN.items():
        assert name not in text, f"{status} listing {name!r} shown by {where}"


def test_only_approved_listings_are_public_anywhere(app, client, hidden_ids, tmp_path):
    hidden = [pid for status, pid in hidden_ids.items() if status != "approved"]
    lat, lon = SEOUL
    pages = {
        "search page": f"/search?lat={lat}&lon={lon}&radius=50&per_page=100",
        "search page, telehealth": f"/search?lat={lat}&lon={lon}&telehealth=true&per_page=100",
        "search page far away": "/search?lat=-33.87&lon=151.21&radius=10&per_page=100",
        "search by city": "/search?location=Seoul&per_page=100",
        "country page": "/countries/KR",
        "countries page": "/countries",
        "API search": f"/api/v1/search?lat={lat}&lon={lon}&radius=50&per_page=100",
        "API search, telehealth": f"/api/v1/search?lat={lat}&lon={lon}&telehealth=1",
        "API search far away": "/api/v1/search?lat=-33.87&lon=151.21&radius=10",
        "shortlist": "/shortlist?" + "&".join(f"id={i}" for i in hidden_ids.values()),
        "FHIR Location": f"/fhir/Location?near={lat}|{lon}|50|km&_count=100",
    }
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        text = response.get_data(as_text=True)
        assert_only_visible(text, f"{where} ({url})")
        if where in ("search page", "country page", "API search", "shortlist", "FHIR Location"):
            assert VISIBLE in text, f"the approved listing is missing from {url}"
    for pid in hidden:
        for url in (f"/practitioners/{pid}", f"/api/v1/practitioners/{pid}"):
            assert client.get(url).status_code == 404, url
    assert client.get(f"/practitioners/{hidden_ids['approved']}").status_code == 200
    assert client.get(f"/api/v1/practitioners/{hidden_ids['approved']}").status_code == 200

    # Counts: only the approved listing is counted for South Korea.
    with app.app_context():
        approved_kr = db.session.scalar(
            select(func.count(func.distinct(Practitioner.id))).where(
                Practitioner.status == "approved",
                Practitioner.locations.any(country="KR"),
            )
        )
    countries = client.get("/api/v1/countries").get_json()["countries"]
    korea = next(c for c in countries if c["country"] == "KR")
    assert korea["total"] == approved_kr, korea
    assert approved_kr >= 1

    # HSDS: every page of services, and each hidden listing's own service id.
    names = []
    page = 1
    while True:
        body = client.get(f"/api/v1/hsds/services?per_page=100&page={page}").get_json()
        text = json.dumps(body, ensure_ascii=False)
        assert_only_visible(text, f"HSDS services page {page}")
        names.append(text)
        if page >= body.get("total_pages", 1):
            break
        page += 1
    assert any(VISIBLE in t for t in names), "the approved listing is missing from HSDS"
    with app.app_context():
        refs = {p.id: p.ref for p in db.session.scalars(select(Practitioner))}
    for pid in hidden:
        service = exports.stable_id("service", refs[pid])
        response = client.get(f"/api/v1/hsds/services/{service}")
        assert response.status_code == 404, (pid, response.status_code)
    visible = exports.stable_id("service", refs[hidden_ids["approved"]])
    assert client.get(f"/api/v1/hsds/services/{visible}").status_code == 200

    # Every export command.
    runner = app.test_cli_runner()
    csv_path, fhir_path, hsds_dir = tmp_path / "out.csv", tmp_path / "out.json", tmp_path / "hsds"
    result = runner.invoke(args=["export-csv", str(csv_path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["export-fhir", str(fhir_path)])
    assert result.exit_code == 0, result.output
    outputs = {
        "export-csv": csv_path.read_text("utf-8"),
        "export-fhir": fhir_path.read_text("utf-8"),
    }
    if (exports.HSDS_STANDARD_DIR / "datapackage.json").is_file():
        result = runner.invoke(args=["export-hsds", str(hsds_dir)])
        assert result.exit_code == 0, result.output
        outputs["export-hsds"] = "".join(
            path.read_text("utf-8") for path in sorted(hsds_dir.rglob("*")) if path.is_file()
        )
    else:
        skip_or_fail(f"no HSDS standard at {exports.HSDS_STANDARD_DIR}")
    for command, text in outputs.items():
        assert_only_visible(text, command)
        assert VISIBLE in text, f"the approved listing is missing from {command}"
