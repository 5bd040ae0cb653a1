"""Admin pages: one decorator guards them all, CSRF on every POST, throttled sign-in."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from finder.extensions import db
from finder.models import IMPORTING, AuditEvent, LoginAttempt, Practitioner

from .factories import make_practitioner

ADMIN_EMAIL = "vetter@example.org"
ADMIN_PASSWORD = "a long enough password"


def token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1)


def login(client, email=ADMIN_EMAIL, password=ADMIN_PASSWORD):
    token = token_from(client.get("/admin/login").get_data(as_text=True))
    return client.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": token}
    )


@pytest.fixture
def admin_app(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def admin_client(admin_app):
    client = admin_app.test_client()
    assert login(client).status_code == 302
    return client


@pytest.fixture
def pending_id(admin_app):
    with admin_app.app_context():
        return make_practitioner(
            db.session,
            lat=48.2,
            lon=16.37,
            status="pending",
            name="Queued Person (demo)",
            country="AT",
            city="Vienna",
        ).id


def admin_urls(pending_id):
    return [
        "/admin/",
        "/admin/?status=approved&country=US&technique=chiropractic",
        "/admin/?status=due",
        f"/admin/practitioners/{pending_id}",
        "/admin/audit",
        "/admin/admins",
    ]


def test_every_admin_url_needs_an_admin(admin_app, pending_id):
    anonymous = admin_app.test_client()
    for url in admin_urls(pending_id):
        response = anonymous.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "/admin/login" in response.headers["Location"]


def test_every_admin_url_works_for_an_admin_and_is_not_cached(admin_client, pending_id):
    for url in admin_urls(pending_id):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/practitioners/{id}/decision",
        "/admin/logout",
        "/admin/submissions/1/erase",
        "/admin/login",
        "/submit",
    ],
)
def test_posts_without_csrf_token_get_400(admin_client, pending_id, path):
    response = admin_client.post(path.format(id=pending_id), data={"action": "approve"})
    assert response.status_code == 400


def test_approve_needs_the_checklist_and_a_note_then_lists_the_practitioner(
    admin_client, pending_id
):
    page = admin_client.get(f"/admin/practitioners/{pending_id}").get_data(as_text=True)
    token = token_from(page)
    url = f"/admin/practitioners/{pending_id}/decision"
    refused = admin_client.post(
        url,
        data={"csrf_token": token, "action": "approve", "notes": "looks fine"},
        follow_redirects=True,
    )
    assert "Tick every item" in refused.get_data(as_text=True)
    assert admin_client.get("/api/v1/search?lat=48.2&lon=16.37&radius=1").get_json()["total"] == 0
    done = admin_client.post(
        url,
        data={
            "csrf_token": token,
            "action": "approve",
            "notes": "ok",
            "licence": "y",
            "experience": "y",
            "techniques": "y",
            "contact": "y",
        },
        follow_redirects=True,
    )
    assert "approved" in done.get_data(as_text=True)
    found = admin_client.get("/api/v1/search?lat=48.2&lon=16.37&radius=1").get_json()
    assert [r["id"] for r in found["nearby"]] == [pending_id]
    audit = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "approve" in audit and ADMIN_EMAIL in audit


def test_wrong_passwords_slow_down_and_are_recorded_but_the_admin_still_gets_in(admin_app):
    client = admin_app.test_client()
    statuses = [login(client, password="wrong password!!").status_code for _ in range(6)]
    assert statuses[:3] == [401, 401, 401]
    assert 429 in statuses[3:]
    throttled = login(client)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    time.sleep(admin_app.config["LOGIN_DELAY_CAP_SECONDS"] + 0.2)
    assert login(client).status_code == 302
    with admin_app.app_context():
        attempts = db.session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)).all()
        # Checked tries are recorded; refused ones (429) are not failures of their own.
        assert [a.success for a in attempts] == [False] * statuses.count(401) + [True]
        assert all(a.email == ADMIN_EMAIL for a in attempts)


def test_logout_ends_the_session_for_every_copy_of_the_cookie(admin_client):
    stolen = admin_client.get_cookie("session").value
    page = admin_client.get("/admin/").get_data(as_text=True)
    admin_client.post("/admin/logout", data={"csrf_token": token_from(page)})
    admin_client.set_cookie("session", stolen)
    assert admin_client.get("/admin/").status_code == 302


def test_login_refuses_offsite_next(admin_app):
    client = admin_app.test_client()
    token = token_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        "/admin/login?next=//evil.example.org/x",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_audit_records_state_changes(admin_app, admin_client, pending_id):
    with admin_app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login"))
        assert db.session.get(Practitioner, pending_id).status == "pending"


def test_an_edit_is_saved_audited_and_reindexed(admin_client, pending_id):
    form_page = admin_client.get(f"/admin/practitioners/{pending_id}/edit").get_data(as_text=True)
    assert 'value="Queued Person (demo)"' in form_page
    data = {
        "csrf_token": token_from(form_page),
        "name": "Renamed Person (demo)",
        "clinic": "서울 척추 클리닉 <b>",
        "techniques": ["chiropractic"],
        "languages": "de",
        "city": "Graz",
        "country": "AT",
        "latitude": "47.07",
        "longitude": "15.44",
    }
    bad = admin_client.post(f"/admin/practitioners/{pending_id}/edit", data={**data, "npi": "1"})
    assert bad.status_code == 400
    done = admin_client.post(f"/admin/practitioners/{pending_id}/edit", data=data)
    assert done.status_code == 303
    audit = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "Renamed Person (demo)" in audit and "Queued Person (demo)" in audit
    assert "서울 척추 클리닉 &lt;b&gt;" in audit  # readable in its own script, and still text


def test_a_listing_still_being_imported_is_not_found_by_admins(admin_app, admin_client):
    with admin_app.app_context():
        staged = make_practitioner(
            db.session, lat=48.2, lon=16.37, status=IMPORTING, name="Staged Person (demo)"
        ).id
    for url in (f"/admin/practitioners/{staged}", f"/admin/practitioners/{staged}/edit"):
        assert admin_client.get(url).status_code == 404, url
    assert "Staged Person" not in admin_client.get("/admin/?status=all").get_data(as_text=True)
