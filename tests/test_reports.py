"""Report a problem with a listing: the real form, its refusals, the admin queue and purge."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from config import TestConfig
from finder import create_app
from finder.extensions import db
from finder.models import AuditEvent, ListingReport, Practitioner, utcnow

from .conftest import GAZETTEER
from .factories import make_practitioner

ADMIN_EMAIL = "reports-admin@example.org"
ADMIN_PASSWORD = "reports admin password"


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def text(response) -> str:
    return response.get_data(as_text=True)


def approved_id(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Practitioner.id).where(Practitioner.status == "approved").limit(1)
        )


def reports(app) -> list[ListingReport]:
    with app.app_context():
        rows = db.session.scalars(select(ListingReport).order_by(ListingReport.id)).all()
        db.session.expunge_all()
        return rows


def send(client, pid: int, data: dict, headers=None):
    """Fill the form the page gives (its CSRF token) and send it."""
    page = client.get(f"/practitioners/{pid}/report", headers=headers)
    assert page.status_code == 200
    return client.post(
        f"/practitioners/{pid}/report",
        data={"csrf_token": token_from(text(page)), **data},
        headers=headers,
    )


def login(client):
    token = token_from(text(client.get("/admin/login")))
    response = client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


@pytest.fixture
def admin_client(app):
    app.config["WTF_CSRF_ENABLED"] = True
    result = app.test_cli_runner().invoke(
        args=["create-admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    login(client)
    return client


def test_the_practitioner_page_links_to_the_report_form(app, client):
    pid = approved_id(app)
    page = text(client.get(f"/practitioners/{pid}"))
    assert f'href="/practitioners/{pid}/report"' in page
    assert "Report a problem with this listing" in page


def test_a_report_through_the_form_is_stored_and_thanked_for(app, client):
    pid = approved_id(app)
    response = send(
        client,
        pid,
        {"reason": "wrong-contact", "details": "The phone number rings a bakery.",
         "email": "reporter@example.org"},
    )  # fmt: skip
    assert response.status_code == 201
    page = text(response)
    assert "Thank you" in page and "What happens next" in page
    assert "We will email you to say what we did." in page
    [report] = reports(app)
    assert (report.practitioner_id, report.reason, report.details, report.reporter_email) == (
        pid,
        "wrong-contact",
        "The phone number rings a bakery.",
        "reporter@example.org",
    )
    assert report.resolved_at is None
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report"))
        assert event.after == {"practitioner_id": pid, "reason": "wrong-contact"}
        assert "reporter@example.org" not in str(event.before) + str(event.after)


def test_the_thank_you_page_is_in_the_page_language(app, client):
    pid = approved_id(app)
    response = send(client, pid, {"reason": "moved-or-closed"}, headers={"Accept-Language": "ko"})
    assert response.status_code == 201
    page = text(response)
    assert '<html lang="ko"' in page
    assert reports(app)[0].reporter_email is None


def test_other_needs_details(app, client):
    pid = approved_id(app)
    response = send(client, pid, {"reason": "other", "details": "   "})
    assert response.status_code == 400
    assert "Tell us what is wrong." in text(response)
    assert 'aria-invalid="true"' in text(response)
    assert reports(app) == []
    assert (
        send(client, pid, {"reason": "other", "details": "Retired last year."}).status_code == 201
    )


@pytest.mark.parametrize(
    "data",
    [
        {},  # no reason
        {"reason": "made-up"},
        {"reason": "moved-or-closed", "details": "x" * 2001},
        {"reason": "moved-or-closed", "email": "not an email"},
        {"reason": "moved-or-closed", "email": "a" * 250 + "@example.org"},
    ],
    ids=["no-reason", "unknown-reason", "long-details", "bad-email", "long-email"],
)
def test_bad_reports_are_refused(app, client, data):
    response = send(client, approved_id(app), data)
    assert response.status_code == 400
    assert 'class="error-summary"' in text(response)
    assert reports(app) == []


@pytest.mark.parametrize("field", ["details", "email"])
def test_hidden_characters_are_refused(app, client, field):
    value = {"details": "Moved\u202e away", "email": "a\u200bb@example.org"}[field]
    response = send(client, approved_id(app), {"reason": "other", "details": "ok", field: value})
    assert response.status_code == 400
    assert "Remove the invisible control characters" in text(response)
    assert reports(app) == []


def test_the_honeypot_refuses_robots(app, client):
    response = send(client, approved_id(app), {"reason": "moved-or-closed", "nickname": "bot"})
    assert response.status_code == 400
    assert reports(app) == []


@pytest.mark.parametrize("status", ["pending", "rejected", "suspended", "needs-changes", None])
def test_only_public_listings_can_be_reported(app, client, status):
    if status is None:
        pid = 10**9  # nobody
    else:
        with app.app_context():
            pid = make_practitioner(db.session, lat=1.0, lon=1.0, status=status).id
    assert client.get(f"/practitioners/{pid}/report").status_code == 404
    token = token_from(text(client.get(f"/practitioners/{approved_id(app)}/report")))
    posted = client.post(
        f"/practitioners/{pid}/report", data={"csrf_token": token, "reason": "moved-or-closed"}
    )
    assert posted.status_code == 404
    assert reports(app) == []


def test_a_report_without_its_csrf_token_is_refused(app, client):
    response = client.post(
        f"/practitioners/{approved_id(app)}/report", data={"reason": "moved-or-closed"}
    )
    assert response.status_code == 400
    assert reports(app) == []


def test_reports_are_rate_limited_by_their_setting(demo_template, tmp_path):
    url = demo_template.copy(tmp_path, "limited")
    app = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "GAZETTEER_PATH": GAZETTEER,
            "RATELIMIT_ENABLED": True,
            "REPORT_RATE_LIMIT": "2 per hour",
        },
    )
    try:
        client = app.test_client()
        pid = approved_id(app)
        statuses = [send(client, pid, {"reason": "moved-or-closed"}).status_code for _ in range(3)]
        assert statuses == [201, 201, 429]
        refused = send(client, pid, {"reason": "moved-or-closed"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert len(reports(app)) == 2
        assert client.get(f"/practitioners/{pid}/report").status_code == 200  # reading is free
    finally:
        with app.app_context():
            db.engine.dispose()


def test_an_open_report_shows_in_the_queue_and_on_the_review_page_and_is_resolved(
    app, client, admin_client
):
    pid = approved_id(app)
    send(client, pid, {"reason": "technique-not-offered", "details": "No MET <b>here</b>.",
                       "email": "tell.me@example.org"})  # fmt: skip
    [report] = reports(app)
    with app.app_context():
        name = db.session.get(Practitioner, pid).name

    queue = text(admin_client.get("/admin/"))
    section = queue[queue.index("Problem reports") :]
    assert name in section
    assert "They do not offer this technique" in section  # the reason in words
    assert "technique-not-offered" not in section.split("<form")[0]
    assert "No MET &lt;b&gt;here&lt;/b&gt;." in section
    assert "tell.me@example.org" in section
    assert report.created_at.strftime("%Y-%m-%d") in section
    assert f'href="/admin/practitioners/{pid}"' in section
    review = text(admin_client.get(f"/admin/practitioners/{pid}"))
    assert "Open problem reports" in review and "No MET &lt;b&gt;here&lt;/b&gt;." in review

    # Mark resolved: without the token refused, with it done and audited.
    url = "/admin/reports/resolve"
    assert admin_client.post(url, data={"report_id": report.id, "note": "x"}).status_code == 400
    assert reports(app)[0].resolved_at is None
    done = admin_client.post(
        url,
        data={
            "csrf_token": token_from(queue),
            "report_id": report.id,
            "note": "Removed MET.",
            "next": "/admin/",
        },
    )
    assert done.status_code == 303 and done.headers["Location"] == "/admin/"
    [report] = reports(app)
    assert report.resolved_at is not None
    assert report.resolved_by == ADMIN_EMAIL and report.resolution_note == "Removed MET."
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "resolve-report"))
        assert (event.actor, event.entity, event.entity_id) == (
            ADMIN_EMAIL,
            "listing-report",
            report.id,
        )
        assert event.after["note"] == "Removed MET."
    queue = text(admin_client.get("/admin/"))
    assert "No open problem reports." in queue and "No MET" not in queue
    assert "Open problem reports" not in text(admin_client.get(f"/admin/practitioners/{pid}"))
    audit = text(admin_client.get("/admin/audit"))
    assert "problem report resolved" in audit and "Removed MET." in audit
    # An offsite "next" is not followed.
    again = admin_client.post(
        url,
        data={
            "csrf_token": token_from(queue),
            "report_id": report.id,
            "next": "//evil.example.org/",
        },
    )
    assert again.headers["Location"] == "/admin/"
    with app.app_context():  # resolving again changes nothing
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "resolve-report")
        ).all()
        assert len(events) == 1
    unknown = {"csrf_token": token_from(queue), "report_id": "999999", "next": "/admin/"}
    assert admin_client.post(url, data=unknown).status_code == 404


def test_deleting_a_listing_deletes_its_reports(app, client):
    pid = approved_id(app)
    send(client, pid, {"reason": "moved-or-closed"})
    with app.app_context():
        db.session.delete(db.session.get(Practitioner, pid))
        db.session.commit()
    assert reports(app) == []


def test_purge_erases_old_reporter_emails_and_says_how_many(app, client):
    pid = approved_id(app)
    for email in ("old@example.org", "new@example.org"):
        send(client, pid, {"reason": "moved-or-closed", "email": email})
    with app.app_context():
        old = db.session.scalar(
            select(ListingReport).where(ListingReport.reporter_email == "old@example.org")
        )
        old.created_at = utcnow() - dt.timedelta(days=40)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge-submitters", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert "1 problem report(s)" in result.output
    assert [r.reporter_email for r in reports(app)] == [None, "new@example.org"]
    result = app.test_cli_runner().invoke(args=["purge-submitters", "--older-than", "0"])
    assert "1 problem report(s)" in result.output
    assert [r.reporter_email for r in reports(app)] == [None, None]
    assert all(r.reason == "moved-or-closed" for r in reports(app))  # the report itself stays
