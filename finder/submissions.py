"""Public submissions: checked form data -> a pending listing and a private submission record."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import NamedTuple

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from . import details
from . import validation as v
from .listings import audit
from .models import (
    ListingReport,
    OutgoingMail,
    Practitioner,
    Submission,
    UnmetNeed,
    utcnow,
)
from .vetting import duplicate_candidates, fill_listing
from .words import say

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def new_reference() -> str:
    return "S-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def check_fields(data: dict) -> dict[str, str]:
    """Rules WTForms does not know: country, phone, URLs, NPI, languages, coordinates.

    Returns field -> message; `data` is normalised in place (E.164 phone, codes)."""
    errors = {}

    def apply(name, rule, *args):
        try:
            data[name] = rule(data.get(name) or "", *args)
        except v.FieldError as error:
            errors[name] = str(error)

    apply("country", v.country_code)
    apply("phone", v.phone_e164, data.get("country") if "country" not in errors else None)
    apply("website", v.http_url)
    apply("registry_url", v.http_url)
    apply("npi", v.npi)
    try:
        data["languages"] = v.language_codes((data.get("languages") or "").replace(",", ";"))
    except v.FieldError as error:
        errors["languages"] = str(error)
    apply("latitude", v.coordinate, -90, 90, say("Latitude"))
    apply("longitude", v.coordinate, -180, 180, say("Longitude"))
    for name, detail in details.DETAILS.items():
        value = data.get(name)
        text = ";".join(value) if isinstance(value, list | tuple) else str(value or "")
        try:
            data[name] = detail.parse(text)
        except details.DetailError as error:
            errors[name] = str(error)
    for name, problem in details.inconsistencies(data):
        errors.setdefault(name, problem)
    return errors


def store_submission(session: Session, data: dict) -> Submission:
    """A pending practitioner and its submission record, flagged if it looks like a duplicate."""
    reference = new_reference()
    p = Practitioner(ref=f"sub-{reference[2:].lower()}", status="pending")
    fill_listing(session, p, data)
    session.add(p)
    session.flush()
    submission = Submission(
        reference=reference,
        practitioner_id=p.id,
        submitter_name=data["submitter_name"],
        submitter_email=data["submitter_email"],
        relation=data["relation"],
        notify=bool(data.get("notify")),
        language=data.get("language") or "en",
        duplicate_candidates=duplicate_candidates(
            session, p.name, data["latitude"], data["longitude"], exclude_id=p.id
        ),
    )
    session.add(submission)
    audit(
        session,
        actor=f"public submission {reference}",
        action="submit",
        entity="practitioner",
        entity_id=p.id,
        before=None,
        after={"name": p.name, "status": "pending"},
    )
    return submission


class Purged(NamedTuple):
    """What purge_submitters erased."""

    submissions: int  # submissions whose submitter's name and email were erased
    unmet_need_emails: int  # "tell me when someone is listed" emails erased
    report_emails: int = 0  # emails left with problem reports about listings, erased


def purge_submitters(session: Session, older_than_days: int, actor: str) -> Purged:
    """Erase submitter details of submissions, and the emails left with unmet needs and with
    problem reports, older than the given number of days."""
    cutoff = utcnow() - dt.timedelta(days=older_than_days)
    submissions = session.execute(
        update(Submission)
        .where(Submission.created_at < cutoff, Submission.erased_at.is_(None))
        .values(submitter_name=None, submitter_email=None, erased_at=utcnow())
    ).rowcount
    emails = session.execute(
        update(UnmetNeed)
        .where(UnmetNeed.created_at < cutoff, UnmetNeed.email.is_not(None))
        .values(email=None)
    ).rowcount
    report_emails = session.execute(
        update(ListingReport)
        .where(ListingReport.created_at < cutoff, ListingReport.reporter_email.is_not(None))
        .values(reporter_email=None)
    ).rowcount
    # Messages in the outbox (no MAIL_URL) or given up on still name their recipient.
    session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.created_at < cutoff,
            or_(OutgoingMail.sent_at.is_not(None), OutgoingMail.failed_at.is_not(None)),
            OutgoingMail.to_address != "",
        )
        .values(to_address="")
    )
    audit(
        session,
        actor=actor,
        action="purge-submitters",
        entity="submission",
        before=None,
        after={
            "older_than_days": older_than_days,
            "erased": submissions,
            "unmet_need_emails_erased": emails,
            "report_emails_erased": report_emails,
        },
    )
    return Purged(submissions, emails, report_emails)


def record_unmet_need(
    session: Session, technique: str | None, place, email: str | None
) -> UnmetNeed:
    """Store what was missing and where, at city level at most: the label of a city, a ZIP
    code's city or a country — never coordinates."""
    label = place.label
    if place.kind not in ("city", "zip", "country"):
        label = place.country or "?"  # a street address says too much: keep the country only
    elif place.kind == "zip" and "(" in label:
        label = label[
            label.index("(") + 1 : label.index(")")
        ]  # "78701 (Austin, Texas), ..." -> city
    need = UnmetNeed(technique=technique, place=label[:200], country=place.country, email=email)
    session.add(need)
    return need


def store_report(
    session: Session,
    p: Practitioner,
    reason: str,
    details: str,
    email: str | None,
    language: str = "en",
) -> ListingReport:
    """A visitor's problem report about a public listing, open until an admin resolves it.

    The audit event names the listing and the reason only: never the reporter's email."""
    report = ListingReport(
        practitioner_id=p.id,
        reason=reason,
        details=details.strip(),
        reporter_email=email,
        language=language,
    )
    session.add(report)
    session.flush()
    audit(
        session,
        actor="public report",
        action="report",
        entity="listing-report",
        entity_id=report.id,
        before=None,
        after={"practitioner_id": p.id, "reason": reason},
    )
    return report
