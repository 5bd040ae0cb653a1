"""Practitioners keep their own listing true: single-use links by email, confirmations,
proposed changes that wait for an admin, and the confirm-or-update requests before each
re-vetting date.

A link is `/listing/claim/<token>`: an itsdangerous signature over a random nonce and the
listing's id. The nonce's row (ClaimLink) makes it single-use, dates it (a claim link works
CLAIM_LINK_HOURS, a confirmation request's CONFIRM_LINK_DAYS) and remembers the digest of the
email it was sent to: once the listing's email changes, the link is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import details
from .listings import audit
from .mail import queue, write
from .models import (
    ClaimLink,
    ConfirmationRequest,
    ListingChange,
    Practitioner,
    Status,
    utcnow,
)
from .vetting import apply_edit, listing_data

LINK_SALT = "listing-link"
UNSUBSCRIBE_SALT = "listing-unsubscribe"
MAX_LINKS_PER_LISTING_PER_DAY = 3  # more requests for one listing send nothing more
MAX_LISTINGS_PER_MAIL = 10
CONFIRM_AHEAD_DAYS = 30  # ask this long before the re-vetting date
REMIND_AFTER_DAYS = 14  # remind once this long after asking; flag this long after reminding
PRACTITIONER_ACTOR = "practitioner (by emailed link)"


class LinkRefused(Exception):
    """A link that cannot be used; `reason` names why (invalid, expired, used, changed, gone)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def digest(email: str) -> str:
    """A keyed digest of a normalised email: compared, never reversed."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def link_lifetime(purpose: str) -> dt.timedelta:
    if purpose == "confirm":
        return dt.timedelta(days=current_app.config["CONFIRM_LINK_DAYS"])
    return dt.timedelta(hours=current_app.config["CLAIM_LINK_HOURS"])


def new_link(session: Session, p: Practitioner | None, purpose: str, email: str) -> str:
    """A stored nonce and the signed token carrying it."""
    nonce = secrets.token_urlsafe(24)
    session.add(
        ClaimLink(
            nonce=nonce,
            practitioner_id=p.id if p else None,
            purpose=purpose,
            email_digest=digest(email),
        )
    )
    return _serializer(LINK_SALT).dumps({"n": nonce, "p": p.id if p else 0})


def link_url(token: str) -> str:
    return url_for("public.claim_link", token=token, _external=True)


def listed_with_email(session: Session, email: str) -> list[Practitioner]:
    normalised = email.strip().lower()
    return list(
        session.scalars(
            select(Practitioner)
            .where(
                Practitioner.status == Status.APPROVED.value,
                func.lower(Practitioner.email) == normalised,
            )
            .order_by(Practitioner.id)
            .limit(MAX_LISTINGS_PER_MAIL)
        )
    )


def links_today(session: Session, p: Practitioner) -> int:
    since = utcnow() - dt.timedelta(days=1)
    return session.scalar(
        select(func.count(ClaimLink.id)).where(
            ClaimLink.practitioner_id == p.id, ClaimLink.created_at >= since
        )
    )


def request_claim(session: Session, email: str, language: str) -> None:
    """Mail a link for each listing with this email; the caller answers the same either way.

    Both ways store a link row and write the message, so neither the answer nor its time
    says whether the address is listed; only a listed address is sent anything."""
    wanted = [
        p
        for p in listed_with_email(session, email)
        if links_today(session, p) < MAX_LINKS_PER_LISTING_PER_DAY
    ]
    hours = current_app.config["CLAIM_LINK_HOURS"]
    if not wanted:
        new_link(session, None, "claim", email)
        session.flush()
        write("claim-link", language, links=[], hours=hours)  # written, not sent
        return
    # Sent to the address as the listing has it, never as typed.
    links = [(p, link_url(new_link(session, p, "claim", p.email))) for p in wanted]
    session.flush()
    queue(session, wanted[0].email, "claim-link", language, links=links, hours=hours)


@dataclass
class OpenLink:
    link: ClaimLink
    practitioner: Practitioner


def open_link(session: Session, token: str) -> OpenLink:
    """The link's row and listing, or LinkRefused saying why it cannot be used."""
    try:
        payload = _serializer(LINK_SALT).loads(token)
        nonce, pid = str(payload["n"]), int(payload["p"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused("invalid") from None
    link = session.scalar(select(ClaimLink).where(ClaimLink.nonce == nonce))
    if link is None or link.practitioner_id != pid or not pid:
        raise LinkRefused("invalid")
    if link.used_at is not None:
        raise LinkRefused("used")
    if utcnow() - link.created_at > link_lifetime(link.purpose):
        raise LinkRefused("expired")
    p = session.get(Practitioner, pid)
    if p is None or p.status != Status.APPROVED.value:
        raise LinkRefused("gone")
    if not p.email or not hmac.compare_digest(digest(p.email), link.email_digest):
        raise LinkRefused("changed")
    return OpenLink(link, p)


def _answered(session: Session, opened: OpenLink, answer: str) -> None:
    now = utcnow()
    opened.link.used_at = now
    opened.link.answer = answer
    for request in session.scalars(
        select(ConfirmationRequest).where(
            ConfirmationRequest.practitioner_id == opened.practitioner.id,
            ConfirmationRequest.answered_at.is_(None),
        )
    ):
        request.answered_at = now


def confirm(session: Session, opened: OpenLink, today: dt.date | None = None) -> None:
    """ "All still true": the listing and each detail it gives count as confirmed today."""
    today = today or dt.date.today()
    p = opened.practitioner
    p.listing_confirmed_on = today
    for group in details.GROUPS:
        if details.known(p, group):
            setattr(p, details.confirmed_column(group), today)
    _answered(session, opened, "confirmed")
    audit(session, PRACTITIONER_ACTOR, "confirm", "practitioner", p.id, None, {"on": str(today)})


def jsonable(data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out


def propose(session: Session, opened: OpenLink, data: dict) -> ListingChange:
    """Changes as checked form data, waiting for an admin; the live listing is untouched."""
    keep = set(listing_data(opened.practitioner))
    change = ListingChange(
        practitioner_id=opened.practitioner.id,
        proposed=jsonable({k: v for k, v in data.items() if k in keep}),
    )
    session.add(change)
    _answered(session, opened, "proposed")
    session.flush()
    audit(session, PRACTITIONER_ACTOR, "propose-change", "practitioner", opened.practitioner.id)
    return change


def normalised(data: dict) -> dict:
    """Form-shaped listing values as the checks leave them (lists of codes, parsed details),
    so the live listing and a proposal compare field by field."""
    from .submissions import check_fields

    copy = dict(data)
    for name in ("latitude", "longitude"):  # as the form sends them
        if isinstance(copy.get(name), float):
            copy[name] = f"{copy[name]:.5f}"
    check_fields(copy)
    return jsonable(copy)


def differences(p: Practitioner, change: ListingChange) -> list[tuple[str, object, object]]:
    """(field, live value, proposed value) for each field the proposal changes."""
    live = normalised(listing_data(p))
    return [
        (name, live.get(name), value)
        for name, value in change.proposed.items()
        if name in live and _same(live.get(name)) != _same(value)
    ]


def _same(value):
    if value in (None, "", [], False):
        return None
    if isinstance(value, float):
        return round(value, 5)
    return value


def decide_change(
    session: Session, change: ListingChange, approve: bool, actor: str, note: str
) -> None:
    """Approve (the proposal becomes the listing, audited as an edit) or reject, with a note."""
    change.decided_at = utcnow()
    change.decided_by = actor
    change.decision = "approved" if approve else "rejected"
    change.note = note
    p = change.practitioner
    if approve:
        apply_edit(session, p, dict(change.proposed), actor)
        p.listing_confirmed_on = dt.date.today()
    audit(
        session,
        actor,
        "approve-change" if approve else "reject-change",
        "practitioner",
        p.id,
        None,
        {"note": note} if note else None,
    )


def pending_changes():
    return (
        select(ListingChange)
        .join(Practitioner, Practitioner.id == ListingChange.practitioner_id)
        .where(ListingChange.decided_at.is_(None))
    )


def practitioner_language(p: Practitioner) -> str:
    """The first of the listing's languages the site speaks, else English."""
    from .i18n import LANGUAGES

    return next((code for code in p.languages if code in LANGUAGES), "en")


def unsubscribe_token(p: Practitioner) -> str:
    return _serializer(UNSUBSCRIBE_SALT).dumps({"p": p.id, "e": digest(p.email)[:16]})


def unsubscribe_target(session: Session, token: str) -> Practitioner:
    """The listing an unsubscribe link names (it never expires), or LinkRefused."""
    try:
        payload = _serializer(UNSUBSCRIBE_SALT).loads(token)
        pid, mark = int(payload["p"]), str(payload["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused("invalid") from None
    p = session.get(Practitioner, pid)
    if p is None or not p.email or digest(p.email)[:16] != mark:
        raise LinkRefused("invalid")
    return p


@dataclass
class Requests:
    asked: int = 0
    reminded: int = 0
    flagged: int = 0


def request_confirmations(
    session: Session, now: dt.datetime | None = None, progress=None
) -> Requests:
    """Ask listings whose re-vetting date is near to confirm or update, remind once, then
    flag the listing to admins; once per re-vetting date (a ConfirmationRequest each)."""
    now = now or utcnow()
    wait = dt.timedelta(days=REMIND_AFTER_DAYS)
    done = Requests()
    due = session.scalars(
        select(Practitioner)
        .where(
            Practitioner.status == Status.APPROVED.value,
            Practitioner.revet_due.is_not(None),
            Practitioner.revet_due <= (now + dt.timedelta(days=CONFIRM_AHEAD_DAYS)).date(),
            Practitioner.email != "",
        )
        .order_by(Practitioner.id)
    ).all()
    for p in due:
        request = session.scalar(
            select(ConfirmationRequest).where(
                ConfirmationRequest.practitioner_id == p.id,
                ConfirmationRequest.period == p.revet_due,
            )
        )
        if request is None:
            session.add(
                ConfirmationRequest(practitioner_id=p.id, period=p.revet_due, requested_at=now)
            )
            if not p.mail_opt_out:
                _ask(session, p, "confirm-request")
            done.asked += 1
        elif request.answered_at is not None or request.flagged_at is not None:
            continue
        elif request.reminded_at is None and now - request.requested_at >= wait:
            request.reminded_at = now
            if not p.mail_opt_out:
                _ask(session, p, "confirm-reminder")
            done.reminded += 1
        elif request.reminded_at is not None and now - request.reminded_at >= wait:
            request.flagged_at = now
            audit(session, "request-confirmations", "confirmation-unanswered", "practitioner", p.id)
            done.flagged += 1
        else:
            continue
        session.commit()  # each listing's step is kept with its message
        if progress:
            progress(done)
    return done


def _ask(session: Session, p: Practitioner, template: str) -> None:
    token = new_link(session, p, "confirm", p.email)
    queue(
        session,
        p.email,
        template,
        practitioner_language(p),
        unsubscribe=url_for("public.unsubscribe", token=unsubscribe_token(p), _external=True),
        p=p,
        url=link_url(token),
        due=p.revet_due,
        days=current_app.config["CONFIRM_LINK_DAYS"],
    )


def unanswered_requests():
    return (
        select(ConfirmationRequest)
        .join(Practitioner, Practitioner.id == ConfirmationRequest.practitioner_id)
        .where(
            ConfirmationRequest.flagged_at.is_not(None),
            ConfirmationRequest.answered_at.is_(None),
            Practitioner.status == Status.APPROVED.value,
        )
    )
