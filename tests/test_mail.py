"""Mail over a real SMTP server on loopback: claim links, confirmations and reminders, a
submitter's outcome, replies to problem reports, retries, and a sender killed half-way."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from html import unescape

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from finder.claims import practitioner_language
from finder.extensions import db
from finder.models import (
    AuditEvent,
    ClaimLink,
    ConfirmationRequest,
    ListingReport,
    OutgoingMail,
    Practitioner,
    Submission,
)

from .servers import ROOT, app_env
from .smtp import html_of, links_in, text_of
from .test_admin import login
from .test_submit import GOOD

ADMIN = ("mail-admin@example.org", "mail admin password 1")


@pytest.fixture
def mail_app(app, smtp):
    app.config["MAIL_URL"] = smtp.url
    return app


def send_mail(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=["send-mail", *args])
    assert result.exit_code == 0, result.output
    return result.output


def listed(app, n: int = 0) -> tuple[int, str]:
    with app.app_context():
        p = db.session.scalars(
            select(Practitioner)
            .where(Practitioner.status == "approved", Practitioner.email != "")
            .order_by(Practitioner.id)
            .offset(n)
            .limit(1)
        ).one()
        return p.id, p.email


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def claim(client, email: str, lang: str = "en"):
    """Ask for a claim link through the form, as a browser would."""
    form = client.get(f"/listing/claim?lang={lang}")
    return client.post(
        f"/listing/claim?lang={lang}", data={"email": email, "csrf_token": csrf(form.text)}
    )


def answer_without_token(html: str) -> str:
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", html)


def test_claim_link_arrives_only_for_a_listed_address_with_the_same_answer(mail_app, smtp):
    client = mail_app.test_client()
    pid, email = listed(mail_app)
    token = client.get("/listing/claim")
    assert token.status_code == 200
    listed_answer = claim(client, email.upper())
    unlisted_answer = claim(client, "nobody-here@example.org")
    assert listed_answer.status_code == unlisted_answer.status_code == 200
    assert answer_without_token(listed_answer.text) == answer_without_token(unlisted_answer.text)
    assert "If that email is on a listing" in listed_answer.text

    assert "Sent 1 message(s)" in send_mail(mail_app)
    (message,) = smtp.messages
    assert message["To"] == email
    assert message["Content-Language"] == "en"
    assert "List-Unsubscribe" not in message  # an answer to the reader's own request
    (url,) = links_in(message)
    assert url in html_of(message)
    page = client.get(path_of(url))
    assert page.status_code == 200
    assert "Everything is still true" in page.text
    with mail_app.app_context():
        stored = db.session.scalar(select(OutgoingMail))
        assert stored.sent_at and stored.to_address != email  # masked once delivered
    assert "Sent 0 message(s)" in send_mail(mail_app)  # nothing twice


def test_claim_answers_take_the_same_time_listed_or_not(mail_app):
    """Enumeration by timing: the median answer for listed and unlisted addresses is of the
    same order (both store a link row and write the message; only one is queued)."""
    client = mail_app.test_client()
    client.get("/listing/claim")
    times = {"listed": [], "unlisted": []}
    for n in range(12):
        for kind in times:
            email = listed(mail_app, n)[1] if kind == "listed" else f"nobody-{n}@example.org"
            start = time.perf_counter()
            response = claim(client, email)
            times[kind].append(time.perf_counter() - start)
            assert response.status_code == 200
    a, b = (statistics.median(times[k]) for k in ("listed", "unlisted"))
    assert max(a, b) / min(a, b) < 2.0, times


def open_claim(app, client, smtp, email, lang="en"):
    assert claim(client, email, lang).status_code == 200
    send_mail(app)
    (url,) = links_in(smtp.to(email)[-1])
    return path_of(url)


def test_confirmation_refreshes_the_date_at_once_and_the_link_works_once(mail_app, smtp):
    client = mail_app.test_client()
    pid, email = listed(mail_app, 1)
    path = open_claim(mail_app, client, smtp, email)
    page = client.get(path)
    confirm = client.post(f"{path}/confirm", data={"csrf_token": csrf(page.text)})
    assert confirm.status_code == 200
    today = dt.date.today().isoformat()
    assert today in confirm.text
    profile = client.get(f"/practitioners/{pid}")
    assert "Confirmed by the practitioner" in profile.text and today in profile.text
    assert client.get(f"/api/v1/practitioners/{pid}").json["confirmed_on"] == today
    again = client.post(f"{path}/confirm", data={"csrf_token": csrf(page.text)})
    assert again.status_code == 410
    assert "already been used" in again.text
    assert client.get(path).status_code == 410


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("lang", ["en", "ko", "es"])
def test_bad_links_are_refused_with_a_clear_page(mail_app, smtp, lang):
    client = mail_app.test_client()
    pid, email = listed(mail_app, 2)
    path = open_claim(mail_app, client, smtp, email, lang)
    token = path.rsplit("/", 1)[1]
    from finder.public.claims import REFUSALS

    with mail_app.test_request_context(f"/?lang={lang}"):
        words = {reason: message() for reason, (_status, message) in REFUSALS.items()}
    # Tampered: one character changed; forged: signed with another key.
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("not the site's key", salt="listing-link").dumps(
        {"n": "x" * 32, "p": pid}
    )
    for bad in (tampered, forged, "nonsense", "a" * 3000):
        page = client.get(f"/listing/claim/{bad}?lang={lang}")
        assert page.status_code == 400, bad
        assert words["invalid"] in unescape(page.text)
        assert client.post(f"/listing/claim/{bad}/confirm?lang={lang}").status_code == 400
    # Expired: the link's row dated past its lifetime.
    with mail_app.app_context():
        link = db.session.scalar(select(ClaimLink).where(ClaimLink.practitioner_id == pid))
        link.created_at -= dt.timedelta(hours=mail_app.config["CLAIM_LINK_HOURS"] + 1)
        db.session.commit()
    page = client.get(f"{path}?lang={lang}")
    assert page.status_code == 410 and words["expired"] in unescape(page.text)
    # The listing's email changed after the link was sent.
    fresh = open_claim(mail_app, client, smtp, email, lang)
    with mail_app.app_context():
        db.session.get(Practitioner, pid).email = "moved-on@example.org"
        db.session.commit()
    page = client.get(f"{fresh}?lang={lang}")
    assert page.status_code == 409 and words["changed"] in unescape(page.text)
    assert f'lang="{lang}"' in page.text


def test_reminders_go_out_once_per_period_then_the_listing_is_flagged(mail_app, smtp):
    pid, email = listed(mail_app, 3)
    today = dt.date.today()
    with mail_app.app_context():
        for p in db.session.scalars(select(Practitioner)):
            p.revet_due = today + dt.timedelta(days=400)  # nobody else is due
        db.session.get(Practitioner, pid).revet_due = today + dt.timedelta(days=20)
        db.session.commit()
    runner = mail_app.test_cli_runner()

    def run(days: int) -> str:
        day = (today + dt.timedelta(days=days)).isoformat()
        result = runner.invoke(args=["request-confirmations", "--now", day])
        assert result.exit_code == 0, result.output
        send_mail(mail_app)
        return result.output

    assert "Asked 1 listing(s)" in run(0)
    assert "Asked 0 listing(s) to confirm, reminded 0" in run(1)
    assert "reminded 1" in run(15)
    assert "reminded 0, flagged 0" in run(16)
    assert "flagged 1" in run(30)
    assert "Asked 0 listing(s) to confirm, reminded 0, flagged 0" in run(31)
    request, reminder = smtp.to(email)
    assert "List-Unsubscribe" in request and "List-Unsubscribe" in reminder
    with mail_app.app_context():
        lang = practitioner_language(db.session.get(Practitioner, pid))
    assert request["Content-Language"] == reminder["Content-Language"] == lang
    with mail_app.test_request_context(), force_locale(lang):
        asked = _("Is your listing still true? %(name)s", name="·").split("·")[0]
        reminded = _("Reminder: is your listing still true? %(name)s", name="·").split("·")[0]
    assert request["Subject"].startswith(asked) and reminder["Subject"].startswith(reminded)
    with mail_app.app_context():
        (row,) = db.session.scalars(select(ConfirmationRequest)).all()
        assert row.flagged_at and row.answered_at is None
    client = mail_app.test_client()
    mail_app.test_cli_runner().invoke(args=["create-admin", ADMIN[0], "--password", ADMIN[1]])
    login(client, *ADMIN)
    queue = client.get("/admin/")
    assert "Confirmation requests nobody answered" in queue.text

    # The next period starts afresh: a new re-vetting date is asked about again.
    with mail_app.app_context():
        db.session.get(Practitioner, pid).revet_due = today + dt.timedelta(days=60)
        db.session.commit()
    assert "Asked 1 listing(s)" in run(45)
    assert len(smtp.to(email)) == 3


def test_an_answered_request_is_not_reminded_and_unsubscribe_stops_requests(mail_app, smtp):
    pid, email = listed(mail_app, 4)
    today = dt.date.today()
    with mail_app.app_context():
        for p in db.session.scalars(select(Practitioner)):
            p.revet_due = today + dt.timedelta(days=400)
        db.session.get(Practitioner, pid).revet_due = today + dt.timedelta(days=10)
        db.session.commit()
    runner = mail_app.test_cli_runner()
    runner.invoke(args=["request-confirmations", "--now", today.isoformat()])
    send_mail(mail_app)
    (request,) = smtp.to(email)
    client = mail_app.test_client()
    (url,) = links_in(request)
    page = client.get(path_of(url))
    assert (
        client.post(f"{path_of(url)}/confirm", data={"csrf_token": csrf(page.text)}).status_code
        == 200
    )
    later = (today + dt.timedelta(days=20)).isoformat()
    assert "reminded 0" in runner.invoke(args=["request-confirmations", "--now", later]).output

    # One-click unsubscribe (RFC 8058): a POST to the header's URL, no form token.
    unsubscribe = request["List-Unsubscribe"].strip("<>")
    assert client.post(path_of(unsubscribe)).status_code == 200
    with mail_app.app_context():
        assert db.session.get(Practitioner, pid).mail_opt_out
        db.session.get(Practitioner, pid).revet_due = today + dt.timedelta(days=50)
        db.session.commit()
    runner.invoke(args=["request-confirmations", "--now", later])
    send_mail(mail_app)
    assert len(smtp.to(email)) == 1


@pytest.mark.parametrize("lang", ["es", "ko"])
def test_submitter_hears_the_outcome_in_their_language_then_is_erased(mail_app, smtp, lang):
    client = mail_app.test_client()
    form = client.get(f"/submit?lang={lang}")
    submitter = f"submitter-{lang}@example.org"
    data = {
        **GOOD,
        "submitter_email": submitter,
        "notify": "y",
        "csrf_token": csrf(form.text),
    }
    sent = client.post("/submit", data=data)
    assert sent.status_code == 201, sent.text[:2000]
    reference = re.search(r"S-[A-Z0-9]{8}", sent.text).group(0)
    with mail_app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
        pid = submission.practitioner_id
        assert submission.notify and submission.language == lang
    mail_app.test_cli_runner().invoke(args=["create-admin", ADMIN[0], "--password", ADMIN[1]])
    admin = mail_app.test_client()
    login(admin, *ADMIN)
    review = admin.get(f"/admin/practitioners/{pid}")
    decided = admin.post(
        f"/admin/practitioners/{pid}/decision",
        data={
            "csrf_token": csrf(review.text),
            "action": "approve",
            **{key: "y" for key in ("licence", "experience", "techniques", "contact")},
            "notes": "Licence checked.",
            "submitter_note": "Gracias / 감사합니다 <b>not bold</b>",
        },
    )
    assert decided.status_code == 303
    send_mail(mail_app)
    (message,) = smtp.to(submitter)
    assert message["Content-Language"] == lang
    with mail_app.test_request_context(f"/?lang={lang}"), force_locale(lang):
        expected = _("Your suggestion %(reference)s: %(name)s", reference=reference, name="x")
        english = "Your suggestion"
    assert expected.split(reference)[0] != english + " " and not expected.startswith(english)
    assert message["Subject"].startswith(expected.split(reference)[0])
    assert reference in message["Subject"] and reference in text_of(message)
    assert "Gracias / 감사합니다 <b>not bold</b>" in text_of(message)
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html_of(message)
    with mail_app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert submission.submitter_email is None and submission.submitter_name is None
        stored = db.session.scalar(
            select(OutgoingMail).where(OutgoingMail.kind.like("submission%"))
        )
        assert submitter not in stored.to_address


def test_reports_land_in_the_queue_repeated_first_and_the_reply_is_mailed(mail_app, smtp):
    client = mail_app.test_client()
    (a, _e), (b, _f) = listed(mail_app, 5), listed(mail_app, 6)
    page = client.get(f"/practitioners/{a}/report?lang=es")
    token = csrf(page.text)
    reporter = "reporter@example.org"
    first = client.post(
        f"/practitioners/{a}/report",
        data={"reason": "moved-or-closed", "email": reporter, "csrf_token": token},
    )
    assert first.status_code == 201
    for _n in range(2):
        assert (
            client.post(
                f"/practitioners/{b}/report", data={"reason": "wrong-contact", "csrf_token": token}
            ).status_code
            == 201
        )
    mail_app.test_cli_runner().invoke(args=["create-admin", ADMIN[0], "--password", ADMIN[1]])
    admin = mail_app.test_client()
    login(admin, *ADMIN)
    queue = admin.get("/admin/")
    rows = re.findall(
        r'<tr class="report-row" id="report-(\d+)">\s*<td><a href="/admin/practitioners/(\d+)"',
        queue.text,
    )
    assert [int(pid) for _r, pid in rows[:3]] == [b, b, a]  # two reports outrank an older one
    with mail_app.app_context():
        report = db.session.scalar(select(ListingReport).where(ListingReport.practitioner_id == a))
        report_id = report.id
    resolved = admin.post(
        "/admin/reports/resolve",
        data={"csrf_token": csrf(queue.text), "report_id": report_id, "note": "Nueva dirección."},
    )
    assert resolved.status_code == 303
    send_mail(mail_app)
    (reply,) = smtp.to(reporter)
    assert reply["Content-Language"] == "es"
    assert "Nueva dirección." in text_of(reply)
    with mail_app.app_context():
        assert db.session.get(ListingReport, report_id).reporter_email is None


def test_temporary_refusals_are_retried_later_and_permanent_ones_stop(mail_app, smtp):
    client = mail_app.test_client()
    (_a, first), (_b, second) = listed(mail_app, 7), listed(mail_app, 8)
    client.get("/listing/claim")
    for email in (first, second):
        claim(client, email)
    smtp.refuse = {first: "451 4.3.0 Try again later", second: "550 5.1.1 No such user"}
    assert "Sent 0 message(s); 1 will be tried again later, 1 failed for good." in send_mail(
        mail_app
    )
    with mail_app.app_context():
        waiting = db.session.scalar(select(OutgoingMail).where(OutgoingMail.to_address == first))
        assert waiting.attempts == 1 and waiting.sent_at is None and waiting.failed_at is None
        assert waiting.send_after > dt.datetime.now(dt.UTC).replace(tzinfo=None)
        waiting.send_after -= dt.timedelta(hours=1)  # the wait has passed
        db.session.commit()
    smtp.refuse = {}
    assert "Sent 1 message(s)" in send_mail(mail_app)
    assert len(smtp.to(first)) == 1 and not smtp.to(second)
    admin = mail_app.test_client()
    mail_app.test_cli_runner().invoke(args=["create-admin", ADMIN[0], "--password", ADMIN[1]])
    login(admin, *ADMIN)
    assert "failed: 550" in admin.get("/admin/outbox").text


def test_a_sender_killed_mid_batch_loses_and_duplicates_nothing(mail_app, smtp, gazetteer_path):
    client = mail_app.test_client()
    client.get("/listing/claim")
    addresses = [listed(mail_app, n)[1] for n in range(10, 16)]
    for email in addresses:
        assert claim(client, email).status_code == 200
    smtp.stall_at = 4  # the sender is killed while handing over the 4th message
    env = {
        **os.environ,
        **app_env(mail_app.config["SQLALCHEMY_DATABASE_URI"], gazetteer_path),
        "SECRET_KEY": mail_app.config["SECRET_KEY"],
        "MAIL_URL": smtp.url,
        "MAIL_HOLD_SECONDS": "1",
    }
    command = [sys.executable, "-m", "flask", "--app", "finder", "send-mail"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE)
    assert smtp.stalled.wait(60), "the sender never reached the 4th message"
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    smtp.release.set()
    assert len(smtp.messages) == 3
    time.sleep(1.2)  # the dead sender's hold runs out
    smtp.stall_at = None
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Sent 3 message(s)" in done.stdout
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == len(set(ids)) == 6
    assert sorted(m["To"] for m in smtp.messages) == sorted(addresses)
    with mail_app.app_context():
        assert all(m.sent_at for m in db.session.scalars(select(OutgoingMail)))
        assert db.session.scalar(select(AuditEvent).limit(1)) is not None


def test_without_mail_url_messages_go_to_the_outbox(app):
    client = app.test_client()
    _pid, email = listed(app)
    client.get("/listing/claim")
    claim(client, email)
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "MAIL_URL is not set" in result.output
    app.test_cli_runner().invoke(args=["create-admin", ADMIN[0], "--password", ADMIN[1]])
    admin = app.test_client()
    login(admin, *ADMIN)
    outbox = admin.get("/admin/outbox")
    assert "kept in the outbox" in outbox.text and email not in outbox.text  # masked
    message_id = re.search(r"/admin/outbox/(\d+)", outbox.text).group(1)
    message = admin.get(f"/admin/outbox/{message_id}")
    assert email in message.text and "/listing/claim/" in message.text
    # purge-submitters erases the addresses of old messages kept in the outbox.
    assert (
        app.test_cli_runner().invoke(args=["purge-submitters", "--older-than", "0"]).exit_code == 0
    )
    assert email not in admin.get(f"/admin/outbox/{message_id}").text


def test_mail_url_must_name_a_server(app):
    app.config["MAIL_URL"] = "http://example.org"
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code != 0 and "MAIL_URL must look like smtp://" in result.output


def test_hostile_text_through_the_claim_forms_is_refused_or_shown_as_text(mail_app, smtp):
    """Every payload as the claim email, in the token, and in a proposed change: a 4xx or
    the text shown escaped on the admin diff and in the mail, never evaluated, never a 500."""
    from .payloads import CRLF, NUL, PAYLOADS, TOO_LONG, every_forbidden

    client = mail_app.test_client()
    for payload in [*PAYLOADS]:
        answer = claim(client, payload.text)
        assert answer.status_code in (200, 400), (payload.why, answer.status_code)
        for bad in every_forbidden(payload):
            assert bad not in answer.text, payload.why
        link = client.get(f"/listing/claim/{payload.text.replace('/', '%2F')}")
        assert link.status_code in (400, 404), (payload.why, link.status_code)
    for text in (NUL, TOO_LONG, CRLF, "a@b.c\r\nBcc: victim@example.org"):
        assert claim(client, text).status_code == 400, repr(text)

    # A proposal whose clinic is hostile text: stored as typed, shown as text to the admin.
    pid, email = listed(mail_app, 40)
    path = open_claim(mail_app, client, smtp, email)
    form = client.get(path).text
    fields = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', form))
    hostile = next(p for p in PAYLOADS if "<script" in p.text.lower())
    with mail_app.app_context():
        p = db.session.get(Practitioner, pid)
        data = {
            **fields,
            "name": p.name,
            "clinic": hostile.text[:200],
            "techniques": p.technique_slugs,
            "languages": "; ".join(p.languages),
            "country": p.locations[0].country,
        }
    sent = client.post(f"{path}/propose", data=data)
    assert sent.status_code == 201, re.findall(r'class="error-msg"[^>]*>(.*?)</p>', sent.text)
    mail_app.test_cli_runner().invoke(args=["create-admin", ADMIN[0], "--password", ADMIN[1]])
    admin = mail_app.test_client()
    login(admin, *ADMIN)
    queue = admin.get("/admin/")
    change_url = re.search(r'href="(/admin/changes/\d+)"', queue.text).group(1)
    diff = admin.get(change_url)
    assert diff.status_code == 200
    assert hostile.text[:200] not in diff.text  # escaped, never markup
    for bad in every_forbidden(hostile):
        assert bad not in diff.text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("mail.example.org", 25, "plain", None, None)),
        (
            "smtp+starttls://u%40x:p%3Aw@mail.example.org",
            ("mail.example.org", 587, "starttls", "u@x", "p:w"),
        ),
        ("smtps://u:p@mail.example.org:2465", ("mail.example.org", 2465, "tls", "u", "p")),
    ],
)
def test_mail_url_names_the_server_and_its_security(url, expected):
    from finder.mail import server_from_url

    server = server_from_url(url)
    assert (server.host, server.port, server.security, server.user, server.password) == expected
