"""Admin pages: one decorator guards them all, CSRF on every POST, throttled sign-in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from finder.extensions import db
from finder.models import IMPORTING, AuditEvent, LoginAttempt, Practitioner, UnmetNeed
from finder.vetting import CHECKLIST

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


def test_wrong_passwords_slow_down_and_are_recorded_but_the_admin_still_gets_in(admin_app, clock):
    client = admin_app.test_client()
    statuses = [login(client, password="wrong password!!").status_code for _ in range(6)]
    assert statuses[:3] == [401, 401, 401]
    assert 429 in statuses[3:]
    throttled = login(client)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    clock.advance(admin_app.config["LOGIN_DELAY_CAP_SECONDS"] + 0.2)
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
    """A sign-in and a decision each leave an event: who, what, which listing, before/after."""
    ticks = dict.fromkeys(CHECKLIST, "y")
    approved = decide_with(
        admin_client, pending_id, action="approve", notes="Registry checked.", **ticks
    )
    assert approved.status_code == 303  # back to the listing, decided
    with admin_app.app_context():
        login = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login"))
        assert login.actor == ADMIN_EMAIL and login.entity == "admin"
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "approve", AuditEvent.entity_id == pending_id
            )
        )
        assert event is not None and event.actor == ADMIN_EMAIL
        assert event.entity == "practitioner"
        assert event.before["status"] == "pending" and event.after["status"] == "approved"
        assert db.session.get(Practitioner, pending_id).status == "approved"


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


def decide_with(client, pid, **data):
    token = token_from(client.get(f"/admin/practitioners/{pid}").get_data(as_text=True))
    return client.post(f"/admin/practitioners/{pid}/decision", data={"csrf_token": token, **data})


def test_a_refused_approval_keeps_the_note_and_the_ticks(admin_app, admin_client, pending_id):
    note = "Registry entry 12345 checked by phone <today>"
    refused = decide_with(
        admin_client, pending_id, action="approve", notes=note, licence="y", contact="y"
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Tick every item of the checklist before approving." in page
    assert "Registry entry 12345 checked by phone &lt;today&gt;</textarea>" in page
    assert re.search(r'<input[^>]*checked[^>]*id="licence"|id="licence"[^>]*checked', page)
    assert re.search(r'<input[^>]*checked[^>]*id="contact"|id="contact"[^>]*checked', page)
    assert not re.search(r'id="experience"[^>]*checked', page)
    with admin_app.app_context():
        assert db.session.get(Practitioner, pending_id).status == "pending"
    # A decision the status does not allow: the same page again, the note still there.
    suspended = decide_with(admin_client, pending_id, action="suspend", notes=note)
    assert suspended.status_code == 409
    assert "cannot be given" in suspended.get_data(as_text=True)
    assert "checked by phone &lt;today&gt;</textarea>" in suspended.get_data(as_text=True)
    # No note at all: the ticks stay.
    no_note = decide_with(admin_client, pending_id, action="reject", licence="y")
    assert no_note.status_code == 400
    assert "Write a short note." in no_note.get_data(as_text=True)
    assert re.search(r'id="licence"[^>]*checked|checked[^>]*id="licence"', no_note.get_data(True))


def test_only_decisions_that_apply_are_offered(admin_app, admin_client, pending_id):
    def buttons(pid):
        page = admin_client.get(f"/admin/practitioners/{pid}").get_data(as_text=True)
        return re.findall(r'name="action" value="([a-z-]+)"', page), page

    offered, page = buttons(pending_id)
    assert offered == ["approve", "reject", "needs-changes"]
    assert "Vetting checklist" in page and "Ask for changes" in page
    with admin_app.app_context():
        approved = make_practitioner(db.session, lat=1.0, lon=1.0, status="approved").id
        rejected = make_practitioner(db.session, lat=1.0, lon=1.0, status="rejected").id
    offered, page = buttons(approved)
    assert offered == ["suspend"]
    assert "Vetting checklist" not in page  # nothing to tick for a suspension
    assert buttons(rejected)[0] == ["approve", "needs-changes"]


def test_the_audit_log_shows_only_the_fields_an_edit_changed(admin_client, pending_id):
    form_page = admin_client.get(f"/admin/practitioners/{pending_id}/edit").get_data(as_text=True)
    data = {
        "csrf_token": token_from(form_page),
        "name": "Queued Person (demo)",
        "techniques": ["physical-therapy", "muscle-energy-technique"],
        "languages": "en",
        "telehealth": "y",
        "city": "Vienna",
        "country": "AT",
        "latitude": "48.2",
        "longitude": "16.37",
    }
    assert (
        admin_client.post(f"/admin/practitioners/{pending_id}/edit", data=data).status_code == 303
    )
    audit = admin_client.get("/admin/audit").get_data(as_text=True)
    row = audit.split('<tr class="audit-event">')[1].split("</tr>")[0]
    assert "edited" in row
    changed = re.findall(r"<dt>(.*?)</dt>", row)
    assert changed == ["Offers telehealth", "Techniques"]
    assert "no</del> → <ins" in row and ">yes</ins>" in row
    assert "Physical therapy</del>" in row or "Physical Therapy</del>" in row
    assert "Muscle Energy Technique</ins>" in row
    assert "Queued Person" not in row and "Vienna" not in row  # unchanged: not shown
    assert "True" not in row and "true" not in row and "physical-therapy" not in row


def test_booleans_statuses_and_actions_are_words_in_korean(admin_app, admin_client, pending_id):
    korean = {"Accept-Language": "ko"}
    decide_with(admin_client, pending_id, action="needs-changes", notes="전화번호 확인 필요")
    review = admin_client.get(f"/admin/practitioners/{pending_id}", headers=korean)
    page = review.get_data(as_text=True)
    assert '<html lang="ko"' in page
    for raw in ("True", "False", "needs-changes</", ">needs-changes", "pending<"):
        assert raw not in page, raw
    assert "아니요" in page and "수정 필요" in page
    audit = admin_client.get("/admin/audit", headers=korean).get_data(as_text=True)
    rows = "".join(audit.split('<tr class="audit-event">')[1:])
    for raw in ("True", "False", "true", "false", ">needs-changes", ">pending"):
        assert raw not in rows, raw
    assert "수정 필요" in rows and "검토 대기" in rows
    queue = admin_client.get("/admin/?status=needs-changes", headers=korean).get_data(True)
    assert ">needs-changes<" not in queue and "수정 필요" in queue


def test_unmet_needs_name_techniques_in_words(admin_app, admin_client):
    with admin_app.app_context():
        db.session.add(UnmetNeed(technique="muscle-energy-technique", place="Busan", country="KR"))
        db.session.commit()
    page = admin_client.get("/admin/unmet-needs").get_data(as_text=True)
    row = page.split('<tr class="unmet-row">')[1].split("</tr>")[0]
    assert "Muscle Energy Technique" in row and "muscle-energy-technique" not in row


def test_an_admin_edit_shows_changes_and_confirms_only_the_groups_it_changes(admin_app):
    """The edit form shows the listing's details; sent back with one group changed, that
    group is confirmed today and the others keep their dates."""
    import datetime as dt

    from finder.vetting import listing_data

    client = admin_app.test_client()
    assert login(client).status_code == 302
    with admin_app.app_context():
        p = db.session.scalar(
            select(Practitioner).where(Practitioner.fees_confirmed_on.is_not(None))
        )
        pid, fees_day, fee_min, currency = p.id, p.fees_confirmed_on, p.fee_min, p.fee_currency
        shown = listing_data(p)  # what the edit form shows, as a browser sends it back
    page = client.get(f"/admin/practitioners/{pid}/edit").get_data(as_text=True)
    assert f'value="{fee_min}"' in page and f'value="{currency}"' in page
    form = {"csrf_token": token_from(page)}
    for name, value in shown.items():
        if value is True:
            form[name] = "y"
        elif value not in (None, False):
            form[name] = value if isinstance(value, list) else str(value)
    form |= {"accepting_new_patients": "no", "wait_weeks": ""}
    response = client.post(f"/admin/practitioners/{pid}/edit", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    with admin_app.app_context():
        p = db.session.get(Practitioner, pid)
        assert (p.accepting_new_patients, p.fee_min) == ("no", fee_min)
        assert p.availability_confirmed_on == dt.date.today()
        assert p.fees_confirmed_on == fees_day  # unchanged values keep their date
    review = client.get(f"/admin/practitioners/{pid}").get_data(as_text=True)
    assert "Not accepting new patients" in review
