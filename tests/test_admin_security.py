"""Admin sign-in under attack: nobody can lock an admin out, sessions end, admins are managed
with the acting admin's password, and `next` never leads off the site."""

from __future__ import annotations

import json
import re
import time

import pytest
from sqlalchemy import func, select

from finder.auth import SEEN_AT, SIGNED_IN_AT
from finder.cli import MIN_PASSWORD_LENGTH
from finder.extensions import db
from finder.models import Admin, AuditEvent, LoginAttempt

ADMIN_EMAIL = "warden@example.org"
ADMIN_PASSWORD = "the warden's long password"
OTHER_EMAIL = "deputy@example.org"
OTHER_PASSWORD = "the deputy's long password"
ATTACKER = "203.0.113.5"
ADMIN_HOME = "198.51.100.7"
WRONG = "not the password at all"


def token_from(html: str) -> str:
    return re.search(r'name="[a-z-]*csrf_token"[^>]*value="([^"]+)"', html).group(1)


def client_at(app, address: str = "127.0.0.1"):
    """A test client whose every request comes from this address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def login(client, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, query=""):
    """Sign in through the real form (its page, its CSRF token, its POST)."""
    token = token_from(client.get("/admin/login").get_data(as_text=True))
    return client.post(
        "/admin/login" + query,
        data={"email": email, "password": password, "csrf_token": token},
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def attempts(app) -> list[tuple[str, str, bool]]:
    with app.app_context():
        rows = db.session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)).all()
        return [(a.email, a.address, a.success) for a in rows]


@pytest.fixture
def admin_app(app, clock):
    """The demo app with CSRF on and two admins made by `create-admin`; sign-in delays pass
    only when the test moves the clock."""
    app.config["WTF_CSRF_ENABLED"] = True
    runner = app.test_cli_runner()
    for email, password in ((ADMIN_EMAIL, ADMIN_PASSWORD), (OTHER_EMAIL, OTHER_PASSWORD)):
        result = runner.invoke(args=["create-admin", email, "--password", password])
        assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def admin_client(admin_app):
    client = client_at(admin_app, ADMIN_HOME)
    assert login(client).status_code == 302
    return client


# --- Throttling per account and address ------------------------------------------------


def test_a_guesser_elsewhere_cannot_lock_the_admin_out(admin_app):
    attacker = client_at(admin_app, ATTACKER)
    statuses = [login(attacker, password=WRONG).status_code for _ in range(20)]
    assert statuses[:3] == [401, 401, 401]
    assert statuses.count(429) >= 10, statuses
    failures = statuses.count(401)
    assert attempts(admin_app) == [(ADMIN_EMAIL, ATTACKER, False)] * failures

    # The attacker's address is still being refused ...
    refused = login(attacker)
    assert refused.status_code == 429
    assert "Too many failed attempts. Wait" in text(refused)
    assert int(refused.headers["Retry-After"]) >= 1
    # ... and that refusal, even with the right password, is no failure of its own.
    assert len(attempts(admin_app)) == failures

    # The admin at home signs in at once and is told about the attempts.
    admin = client_at(admin_app, ADMIN_HOME)
    response = login(admin)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    queue = admin.get("/admin/")
    assert queue.status_code == 200
    assert "Vetting queue" in text(queue)
    assert (
        f"{failures} failed sign-in attempts on your account since your previous sign-in, "
        "from 1 address." in text(queue)
    )
    assert attempts(admin_app)[-1] == (ADMIN_EMAIL, ADMIN_HOME, True)

    # The attacker keeps hammering; the admin's session and next sign-in are untouched.
    for _ in range(5):
        login(attacker, password=WRONG)
    assert admin.get("/admin/audit").status_code == 200
    assert login(client_at(admin_app, ADMIN_HOME)).status_code == 302


def test_a_throttled_try_waits_then_gets_a_real_check(admin_app, clock):
    attacker = client_at(admin_app, ATTACKER)
    for _ in range(3):
        assert login(attacker, password=WRONG).status_code == 401
    refused = login(attacker, password=WRONG)
    assert refused.status_code == 429
    assert len(attempts(admin_app)) == 3
    clock.advance(admin_app.config["LOGIN_DELAY_SECONDS"] + 0.1)
    assert login(attacker, password=WRONG).status_code == 401  # checked again, and counted
    assert len(attempts(admin_app)) == 4
    clock.advance(admin_app.config["LOGIN_DELAY_CAP_SECONDS"] + 0.1)
    assert login(attacker).status_code == 302  # the right password from here still works


def test_one_address_cannot_spray_many_accounts(admin_app):
    sprayer = client_at(admin_app, ATTACKER)
    statuses = [
        login(sprayer, email=f"guess{n}@example.org", password=WRONG).status_code for n in range(10)
    ]
    assert statuses == [401] * 10  # one try per account: no account's own delay applies
    assert login(sprayer, email="guess10@example.org", password=WRONG).status_code == 429
    assert login(sprayer).status_code == 429  # even the right account from that address
    assert login(client_at(admin_app, ADMIN_HOME)).status_code == 302


def test_unknown_and_known_emails_are_slowed_the_same_way(admin_app):
    """Whether an account exists shows neither in the answers nor in the delays."""
    known = [login(client_at(admin_app, ATTACKER), password=WRONG).status_code for _ in range(5)]
    unknown = [
        login(client_at(admin_app, "203.0.113.6"), email="nobody@example.org", password=WRONG)
        for _ in range(5)
    ]
    assert known == [r.status_code for r in unknown]
    assert "That email and password do not match." in text(unknown[0])


def test_the_notice_counts_attempts_and_addresses_since_the_previous_sign_in(admin_app):
    for address, count in ((ATTACKER, 2), ("203.0.113.9", 1)):
        for _ in range(count):
            assert login(client_at(admin_app, address), password=WRONG).status_code == 401
    admin = client_at(admin_app, ADMIN_HOME)
    landed = admin.get(login(admin).headers["Location"])
    assert (
        "3 failed sign-in attempts on your account since your previous sign-in, "
        "from 2 addresses." in text(landed)
    )
    # Failures before that sign-in are not told twice; a single new one is.
    again = client_at(admin_app, ADMIN_HOME)
    assert "failed sign-in attempt" not in text(again.get(login(again).headers["Location"]))
    assert login(client_at(admin_app, ATTACKER), password=WRONG).status_code == 401
    last = client_at(admin_app, ADMIN_HOME)
    assert (
        "1 failed sign-in attempt on your account since your previous sign-in, from 1 address."
        in text(last.get(login(last).headers["Location"]))
    )


# --- Session limits ----------------------------------------------------------------------


def test_an_idle_session_ends_with_a_message_and_next_is_kept(admin_app, admin_client):
    assert admin_client.get("/admin/audit?page=1").status_code == 200
    with admin_client.session_transaction() as session:
        session[SEEN_AT] = time.time() - 31 * 60
    response = admin_client.get("/admin/audit?page=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login?next=/admin/audit?page%3D1"
    page = text(admin_client.get(response.headers["Location"]))
    assert "You were signed out after 30 minutes without activity." in page
    assert admin_client.get("/admin/").status_code == 302  # signed out, not just redirected
    back = login(admin_client, query="?next=/admin/audit?page%3D1")
    assert back.headers["Location"] == "/admin/audit?page=1"
    assert admin_client.get("/admin/audit?page=1").status_code == 200


def test_activity_keeps_a_session_alive(admin_client):
    with admin_client.session_transaction() as session:
        session[SEEN_AT] = time.time() - 29 * 60
    assert admin_client.get("/admin/").status_code == 200
    with admin_client.session_transaction() as session:
        assert time.time() - session[SEEN_AT] < 5


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(admin_client):
    with admin_client.session_transaction() as session:
        session[SIGNED_IN_AT] = time.time() - 12 * 3600 - 60
        session[SEEN_AT] = time.time()
    response = admin_client.get("/admin/unmet-needs")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login?next=/admin/unmet-needs?"
    page = text(admin_client.get(response.headers["Location"]))
    assert "a sign-in lasts at most 12 hours" in page
    assert admin_client.get("/admin/").status_code == 302


def test_the_limits_come_from_the_settings(admin_app, admin_client):
    admin_app.config["ADMIN_IDLE_MINUTES"] = 5
    admin_app.config["ADMIN_MAX_SESSION_HOURS"] = 1
    with admin_client.session_transaction() as session:
        session[SEEN_AT] = time.time() - 4 * 60
        session[SIGNED_IN_AT] = time.time() - 50 * 60
    assert admin_client.get("/admin/").status_code == 200
    with admin_client.session_transaction() as session:
        session[SEEN_AT] = time.time() - 6 * 60
    assert admin_client.get("/admin/").status_code == 302


def test_a_session_without_its_times_is_over(admin_client):
    with admin_client.session_transaction() as session:
        session.pop(SIGNED_IN_AT)
    assert admin_client.get("/admin/").status_code == 302


def test_a_session_cookie_used_from_another_address_is_refused(admin_app, admin_client):
    cookie = admin_client.get_cookie("session").value
    elsewhere = client_at(admin_app, ATTACKER)
    elsewhere.set_cookie("session", cookie)
    assert elsewhere.get("/admin/").status_code == 302
    assert admin_client.get("/admin/").status_code == 200


def test_a_forwarded_for_header_cannot_carry_a_stolen_session(admin_app, admin_client):
    """The fingerprint is the address the site sees, not what the client says it is."""
    cookie = admin_client.get_cookie("session").value
    elsewhere = client_at(admin_app, ATTACKER)
    elsewhere.set_cookie("session", cookie)
    response = elsewhere.get("/admin/", headers={"X-Forwarded-For": ADMIN_HOME})
    assert response.status_code == 302


def test_a_visitor_who_is_not_signed_in_gets_no_cookies_on_public_pages(admin_app):
    visitor = client_at(admin_app, ATTACKER)
    assert visitor.get("/submit").status_code == 200  # the session now holds a CSRF token
    for path in ("/", "/search?location=Toronto", "/submit", "/countries"):
        response = visitor.get(path)
        assert response.status_code == 200, path
        assert response.headers.getlist("Set-Cookie") == [], (path, response.headers)


# --- `next` after sign-in ----------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "?next=/admin/%0d%0aSet-Cookie:x=1",
        "?next=%0d%0a//evil.example",
        "?next=/%5Cevil.example",
        "?next=/%5C/evil.example",
        "?next=/%09/evil.example",
        "?next=/%2509/evil.example",
        "?next=/%252F/evil.example",
        "?next=//evil.example",
        "?next=https://evil.example/admin/",
        "?next=javascript:alert(1)",
        "?next=/admin/%00",
        "?next=/admin/%E2%80%AE",
    ],
)
def test_an_unsafe_next_falls_back_to_the_queue(admin_app, query):
    client = client_at(admin_app)
    assert client.get("/admin/login" + query).status_code == 200
    response = login(client, query=query)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert "x=1" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_a_same_site_next_is_followed(admin_app):
    response = login(client_at(admin_app), query="?next=/admin/?status%3Dapproved")
    assert response.headers["Location"] == "/admin/?status=approved"


# --- Managing admins ---------------------------------------------------------------------


def form_post(client, url: str, prefix: str, **fields):
    """POST one of the admins page's forms with its own CSRF token."""
    token = token_from(text(client.get("/admin/admins")))
    data = {f"{prefix}-{name}": value for name, value in fields.items()}
    return client.post(url, data={**data, f"{prefix}-csrf_token": token})


def admin_ids(app) -> dict[str, int]:
    with app.app_context():
        return {a.email: a.id for a in db.session.scalars(select(Admin))}


def admin_events(app) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "admin").order_by(AuditEvent.id)
        ).all()


def assert_no_secrets_in_audit(app, *passwords: str):
    with app.app_context():
        hashes = list(db.session.scalars(select(Admin.password_hash)))
        stored = json.dumps(
            [[e.before, e.after, e.action] for e in db.session.scalars(select(AuditEvent))]
        )
    for secret in [*passwords, *hashes, "$argon2"]:
        assert secret not in stored


def test_the_admins_page_lists_admins_and_is_in_the_navigation(admin_client):
    queue = text(admin_client.get("/admin/"))
    assert 'href="/admin/admins"' in queue
    page = admin_client.get("/admin/admins")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    body = text(page)
    assert ADMIN_EMAIL in body and OTHER_EMAIL in body
    assert "never" in body  # the deputy has not signed in yet
    assert f"At least {MIN_PASSWORD_LENGTH} characters." in body


def test_adding_an_admin_needs_your_password_and_a_long_enough_one(admin_app, admin_client):
    new = {"email": " New.Admin@Example.org ", "new_password": "x" * MIN_PASSWORD_LENGTH}
    new["repeat_password"] = new["new_password"]
    url = "/admin/admins/add"
    wrong = form_post(admin_client, url, "add", **new, current_password=WRONG)
    assert wrong.status_code == 403 and "That is not your current password." in text(wrong)
    assert attempts(admin_app)[-1] == (ADMIN_EMAIL, ADMIN_HOME, False)
    short = "x" * (MIN_PASSWORD_LENGTH - 1)
    too_short = form_post(
        admin_client,
        url,
        "add",
        **{**new, "new_password": short, "repeat_password": short},
        current_password=ADMIN_PASSWORD,
    )
    assert too_short.status_code == 400
    assert f"Use at least {MIN_PASSWORD_LENGTH} characters." in text(too_short)
    differ = form_post(
        admin_client,
        url,
        "add",
        **{**new, "repeat_password": "y" * 20},
        current_password=ADMIN_PASSWORD,
    )
    assert differ.status_code == 400 and "The two new passwords differ." in text(differ)
    assert "new.admin@example.org" not in admin_ids(admin_app)

    done = form_post(admin_client, url, "add", **new, current_password=ADMIN_PASSWORD)
    assert done.status_code == 303
    assert "new.admin@example.org can now sign in" in text(admin_client.get("/admin/admins"))
    assert "new.admin@example.org" in admin_ids(admin_app)
    assert (
        login(client_at(admin_app), "new.admin@example.org", new["new_password"]).status_code == 302
    )
    event = admin_events(admin_app)[-2]  # the new admin's own login came after
    assert (event.actor, event.action, event.after) == (
        ADMIN_EMAIL,
        "add-admin",
        {"email": "new.admin@example.org"},
    )
    again = form_post(admin_client, url, "add", **new, current_password=ADMIN_PASSWORD)
    assert again.status_code == 400 and "already an admin with this email" in text(again)
    assert_no_secrets_in_audit(admin_app, ADMIN_PASSWORD, new["new_password"])


def test_resetting_another_admins_password_ends_their_sessions(admin_app, admin_client):
    deputy = client_at(admin_app, "192.0.2.44")
    assert login(deputy, OTHER_EMAIL, OTHER_PASSWORD).status_code == 302
    fresh = "a fresh password for the deputy"
    target = admin_ids(admin_app)[OTHER_EMAIL]
    fields = {"admin_id": target, "new_password": fresh, "repeat_password": fresh}
    url = "/admin/admins/reset-password"
    wrong = form_post(admin_client, url, "reset", **fields, current_password=OTHER_PASSWORD)
    assert wrong.status_code == 403
    assert deputy.get("/admin/").status_code == 200  # nothing changed
    done = form_post(admin_client, url, "reset", **fields, current_password=ADMIN_PASSWORD)
    assert done.status_code == 303
    assert deputy.get("/admin/").status_code == 302
    assert login(client_at(admin_app), OTHER_EMAIL, OTHER_PASSWORD).status_code == 401
    assert login(client_at(admin_app), OTHER_EMAIL, fresh).status_code == 302
    assert admin_client.get("/admin/").status_code == 200  # the acting admin goes on
    assert any(
        e.action == "reset-admin-password" and e.entity_id == target and e.actor == ADMIN_EMAIL
        for e in admin_events(admin_app)
    )
    assert_no_secrets_in_audit(admin_app, fresh, ADMIN_PASSWORD, OTHER_PASSWORD)
    # Your own password is changed with your own form, not reset from here.
    me = admin_ids(admin_app)[ADMIN_EMAIL]
    own = form_post(
        admin_client, url, "reset", **{**fields, "admin_id": me}, current_password=ADMIN_PASSWORD
    )
    assert own.status_code == 400 and "Choose another admin" in text(own)


def test_removing_another_admin_but_never_yourself(admin_app, admin_client):
    deputy = client_at(admin_app, "192.0.2.44")
    assert login(deputy, OTHER_EMAIL, OTHER_PASSWORD).status_code == 302
    ids = admin_ids(admin_app)
    url = "/admin/admins/remove"
    myself = form_post(
        admin_client, url, "remove", admin_id=ids[ADMIN_EMAIL], current_password=ADMIN_PASSWORD
    )
    assert myself.status_code == 400 and "You cannot remove yourself" in text(myself)
    wrong = form_post(
        admin_client, url, "remove", admin_id=ids[OTHER_EMAIL], current_password=WRONG
    )
    assert wrong.status_code == 403
    assert len(admin_ids(admin_app)) == 2
    done = form_post(
        admin_client, url, "remove", admin_id=ids[OTHER_EMAIL], current_password=ADMIN_PASSWORD
    )
    assert done.status_code == 303
    assert admin_ids(admin_app) == {ADMIN_EMAIL: ids[ADMIN_EMAIL]}
    assert deputy.get("/admin/").status_code == 302
    assert login(client_at(admin_app), OTHER_EMAIL, OTHER_PASSWORD).status_code == 401
    event = admin_events(admin_app)[-1]
    assert (event.action, event.before, event.after) == (
        "remove-admin",
        {"email": OTHER_EMAIL},
        None,
    )
    # Now the only admin: there is nobody else to remove, and yourself stays refused.
    page = text(admin_client.get("/admin/admins"))
    assert "Remove another admin" not in page
    last = form_post(
        admin_client, url, "remove", admin_id=ids[ADMIN_EMAIL], current_password=ADMIN_PASSWORD
    )
    assert last.status_code == 400 and len(admin_ids(admin_app)) == 1


def test_changing_your_own_password_keeps_this_session_and_ends_the_others(admin_app, admin_client):
    other_copy = client_at(admin_app, "192.0.2.45")
    assert login(other_copy).status_code == 302
    fresh = "my own fresh password"
    url = "/admin/admins/password"
    fields = {"new_password": fresh, "repeat_password": fresh}
    wrong = form_post(admin_client, url, "own", **fields, current_password=WRONG)
    assert wrong.status_code == 403
    done = form_post(admin_client, url, "own", **fields, current_password=ADMIN_PASSWORD)
    assert done.status_code == 303
    assert "Your password was changed" in text(admin_client.get("/admin/admins"))
    assert admin_client.get("/admin/").status_code == 200
    assert other_copy.get("/admin/").status_code == 302
    assert login(client_at(admin_app), password=ADMIN_PASSWORD).status_code == 401
    assert login(client_at(admin_app), password=fresh).status_code == 302
    assert admin_events(admin_app)[-2].action == "change-password"
    assert_no_secrets_in_audit(admin_app, fresh, ADMIN_PASSWORD)


def test_guessing_the_password_through_a_stolen_session_is_throttled(admin_app, admin_client):
    fields = {"new_password": "x" * 20, "repeat_password": "x" * 20}
    statuses = [
        form_post(
            admin_client, "/admin/admins/password", "own", **fields, current_password=WRONG
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [403, 403, 403, 429]
    assert login(client_at(admin_app, "192.0.2.46")).status_code == 302  # elsewhere: fine


def test_admin_changes_need_a_csrf_token(admin_app, admin_client):
    before = admin_ids(admin_app)
    fresh = "a fresh password for the deputy"
    response = admin_client.post(
        "/admin/admins/reset-password",
        data={
            "reset-admin_id": before[OTHER_EMAIL],
            "reset-new_password": fresh,
            "reset-repeat_password": fresh,
            "reset-current_password": ADMIN_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert login(client_at(admin_app), OTHER_EMAIL, OTHER_PASSWORD).status_code == 302


def test_anonymous_visitors_cannot_manage_admins(admin_app):
    stranger = client_at(admin_app, ATTACKER)
    token = token_from(text(stranger.get("/admin/login")))
    response = stranger.post(
        "/admin/admins/add",
        data={
            "add-email": "intruder@example.org",
            "add-new_password": "x" * 20,
            "add-repeat_password": "x" * 20,
            "add-current_password": "x" * 20,
            "add-csrf_token": token,
        },
    )
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert "intruder@example.org" not in admin_ids(admin_app)
    with admin_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Admin)) == 2


# --- In a real browser --------------------------------------------------------------------


@pytest.mark.browser
def test_in_a_browser_the_admin_gets_in_while_a_guesser_is_locked_out(admin_app, page, live_server):
    attacker = client_at(admin_app, ATTACKER)
    statuses = [login(attacker, password=WRONG).status_code for _ in range(8)]
    assert 429 in statuses
    failures = statuses.count(401)
    page.goto(live_server.url + "/admin/login")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1")
    assert page.url == live_server.url + "/admin/"
    assert page.locator("h1").inner_text() == "Vetting queue"
    notice = page.locator(".flash").inner_text()
    assert f"{failures} failed sign-in attempts" in notice and "from 1 address" in notice


@pytest.mark.browser
def test_the_admins_page_passes_axe_blank_and_with_errors(admin_app, page, live_server):
    from .test_accessibility import Axe, audit

    if Axe is None:
        pytest.skip("axe-playwright-python is not installed (requirements-dev.txt)")
    axe, report = Axe(), {}
    page.goto(live_server.url + "/admin/login")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Admins").click()
    page.wait_for_selector("h1")
    problems = audit(page, axe, "admins", report)
    page.locator("#add-email").fill("someone@example.org")
    page.locator("#add-new_password").fill("short")
    page.get_by_role("button", name="Add admin").click()
    page.wait_for_selector(".error-summary")
    assert "Use at least" in page.locator(".error-summary").inner_text()
    problems += audit(page, axe, "admins with errors", report)
    assert not problems, "\n".join(problems)
