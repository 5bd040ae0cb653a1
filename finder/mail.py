"""Mail for people outside: queued with what it tells, delivered by `flask send-mail`.

A message is written (in the recipient's language, plain text and HTML) and stored in the
same transaction as the change it announces, so it exists exactly when the change does; no web
request talks to a mail server. `send-mail` takes a message for a while (`claimed_until`),
hands it to the server named by MAIL_URL and records it sent at once, one message at a time:
a sender killed half-way leaves every message either recorded sent or free to be taken again
once its hold runs out, with the same Message-ID. Refusals the server calls temporary are
tried again later, each wait twice the one before; permanent ones stop at once.

Without MAIL_URL the message goes to the outbox admins read (/admin/outbox) and its text to the
console log, so a development site needs no mail server.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from .database import writing
from .models import OutgoingMail, utcnow

FIRST_RETRY = dt.timedelta(minutes=2)  # then 4, 8, 16 … minutes
# Without MAIL_URL each message is also written to the console (stderr) for the developer.
console = logging.getLogger("finder.mail")
if not console.handlers:
    console.addHandler(logging.StreamHandler())
    console.setLevel(logging.INFO)
    console.propagate = False
MAX_ATTEMPTS = 8  # after this many temporary refusals the message is marked failed
SMTP_TIMEOUT = 30  # seconds for any one exchange with the mail server


class MailSettingError(ValueError):
    """MAIL_URL does not name a mail server this site can use."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str  # "plain", "starttls" or "tls"
    user: str | None
    password: str | None


SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}


def server_from_url(url: str) -> Server:
    """smtp://user:password@host:port, smtp+starttls://… or smtps://… as a Server."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise MailSettingError(
            "MAIL_URL must look like smtp://user:password@host:port "
            "(or smtp+starttls:// for STARTTLS, smtps:// for TLS)."
        )
    security, default_port = SCHEMES[parts.scheme]
    return Server(
        host=parts.hostname,
        port=parts.port or default_port,
        security=security,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def mask(address: str) -> str:
    """An address as logs and the admin outbox may show it: j…@example.org."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"


def queue(
    session: Session,
    to: str,
    template: str,
    language: str,
    unsubscribe: str = "",
    **context,
) -> OutgoingMail:
    """Write the message (`write`) and queue it. `unsubscribe` is the List-Unsubscribe URL
    of a message that is not a transactional answer."""
    subject, body, html = write(template, language, **context)
    message = OutgoingMail(
        kind=template,
        to_address=to,
        language=language,
        subject=subject,
        text_body=body,
        html_body=html,
        list_unsubscribe=unsubscribe,
        message_id=make_msgid(idstring=uuid.uuid4().hex[:12], domain=mail_domain()),
    )
    if not current_app.config.get("MAIL_URL"):
        message.transport = "outbox"
        message.sent_at = utcnow()
    session.add(message)
    session.flush()
    if message.transport == "outbox":
        console.info(
            "Mail to the outbox (MAIL_URL is not set), #%s to %s: %s\n%s",
            message.id,
            mask(to),
            message.subject,
            message.text_body,
        )
    return message


def write(template: str, language: str, **context) -> tuple[str, str, str]:
    """The message `templates/mail/<template>.{txt,html}` in `language`: (subject, plain text,
    HTML); the text template's first line is the subject."""
    with force_locale(language):
        text = render_template(f"mail/{template}.txt", **context).strip()
        html = render_template(f"mail/{template}.html", **context)
    subject, _, body = text.partition("\n")
    return subject.strip()[:300], body.strip() + "\n", html


def mail_domain() -> str:
    """The domain of MAIL_FROM, for Message-IDs."""
    sender = current_app.config.get("MAIL_FROM") or "no-reply@localhost"
    return sender.rpartition("@")[2].rstrip(">").strip() or "localhost"


def as_email(message: OutgoingMail, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message.message_id
    if message.list_unsubscribe:
        email["List-Unsubscribe"] = f"<{message.list_unsubscribe}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    email["Content-Language"] = message.language  # after the content, which resets it
    return email


def connect(server: Server) -> smtplib.SMTP:
    if server.security == "tls":
        smtp = smtplib.SMTP_SSL(
            server.host, server.port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT)
        if server.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if server.user:
        smtp.login(server.user, server.password or "")
    return smtp


@dataclass
class Delivery:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def take_next(session: Session, sender_id: str, now: dt.datetime) -> OutgoingMail | None:
    """Hold the oldest message that is due and not held by a live sender (committed, so two
    senders never take the same one)."""
    candidate = session.scalar(
        select(OutgoingMail.id)
        .where(
            OutgoingMail.sent_at.is_(None),
            OutgoingMail.failed_at.is_(None),
            OutgoingMail.send_after <= now,
            or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < now),
        )
        .order_by(OutgoingMail.send_after, OutgoingMail.id)
        .limit(1)
    )
    if candidate is None:
        return None
    taken = session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.id == candidate,
            OutgoingMail.sent_at.is_(None),
            or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < now),
        )
        .values(
            claimed_until=now + dt.timedelta(seconds=current_app.config["MAIL_HOLD_SECONDS"]),
            claimed_by=sender_id,
        )
    ).rowcount
    session.commit()
    if not taken:  # another sender was quicker: look again
        return take_next(session, sender_id, now)
    return session.get(OutgoingMail, candidate)


def send_pending(session: Session, limit: int = 500, progress=None) -> Delivery:
    """Deliver up to `limit` due messages through MAIL_URL's server; see the module notes.

    No transaction is open while the server is talking: a message is taken (committed),
    handed over, and its outcome recorded in a transaction of its own."""
    url = current_app.config.get("MAIL_URL")
    if not url:
        return Delivery()
    server = server_from_url(url)
    sender = current_app.config["MAIL_FROM"]
    sender_id = secrets.token_hex(8)
    done = Delivery()
    smtp = None
    try:
        for _ in range(limit):
            with writing():
                message = take_next(session, sender_id, utcnow())
                if message is None:
                    session.commit()
                    break
                message_id, email = message.id, as_email(message, sender)
                session.commit()
            outcome = None  # None: sent; else (error, permanent)
            try:
                if smtp is None:
                    smtp = connect(server)
                smtp.send_message(email)
            except smtplib.SMTPResponseException as error:
                permanent = 500 <= error.smtp_code < 600
                said = error.smtp_error
                if isinstance(said, bytes):
                    said = said.decode(errors="replace")
                outcome = (f"{error.smtp_code} {said}", permanent)
            except smtplib.SMTPRecipientsRefused as error:
                replies = list(error.recipients.values())
                said = "; ".join(
                    f"{code} {reply.decode(errors='replace')}" for code, reply in replies
                )
                outcome = (said, all(code >= 500 for code, _reply in replies))
            except (OSError, smtplib.SMTPException) as error:
                outcome = (repr(error), False)
            if outcome is not None and smtp is not None:  # start afresh after any refusal
                try:
                    smtp.close()
                finally:
                    smtp = None
            with writing():
                message = session.get(OutgoingMail, message_id)
                message.claimed_until = None
                if outcome is None:
                    message.sent_at = utcnow()
                    message.transport = "smtp"
                    message.attempts += 1
                    message.to_address = mask(message.to_address)  # delivered: not needed
                    done.sent += 1
                else:
                    record_refusal(message, *outcome)
                    done.failed += outcome[1]
                    done.retried += not outcome[1]
                session.commit()  # recorded the moment the server answered
            if progress:
                progress(done)
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
    return done


def record_refusal(message: OutgoingMail, error: str, permanent: bool) -> None:
    message.attempts += 1
    message.last_error = error[:2000]
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.failed_at = utcnow()
    else:
        message.send_after = utcnow() + FIRST_RETRY * 2 ** (message.attempts - 1)
