"""Vetting rules: allowed status changes, decisions with their record, audit, duplicates."""

from __future__ import annotations

import datetime as dt

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import details, listings
from .geo import haversine_km
from .mail import queue
from .models import (
    REVET_AFTER,
    STATUSES,
    ListingReport,
    PracticeLocation,
    Practitioner,
    Submission,
    Technique,
    VettingRecord,
    utcnow,
)

TRANSITIONS = {
    "pending": {"approved", "rejected", "needs-changes"},
    "needs-changes": {"approved", "rejected", "needs-changes"},
    "rejected": {"approved", "needs-changes"},
    "approved": {"suspended"},
    "suspended": {"approved"},
}
ACTIONS = {
    "approve": "approved",
    "reject": "rejected",
    "needs-changes": "needs-changes",
    "suspend": "suspended",
}
CHECKLIST = {
    "licence": "Licence checked against its registry",
    "experience": "Evidence of SI-joint experience",
    "techniques": "Technique claims verified",
    "contact": "Contact details verified",
}
DUPLICATE_NAME_SCORE = 85
DUPLICATE_DISTANCE_KM = 1.0


class VettingError(ValueError):
    """A decision the rules do not allow."""


def snapshot(p: Practitioner) -> dict:
    """A practitioner's public fields, for an audit event's before/after."""
    fields = (
        "name",
        "credentials",
        "clinic",
        "status",
        "telehealth",
        "home_visits",
        "accepts_international",
        "gentle_only",
        "teaches_self_correction",
        "website",
        "phone",
        "email",
        "registry_name",
        "registry_number",
        "registry_url",
        "npi",
    )
    data = {name: getattr(p, name) for name in fields}
    data["techniques"] = p.technique_slugs
    data["languages"] = p.languages
    data["patterns"] = p.patterns
    data["revet_due"] = p.revet_due.isoformat() if p.revet_due else None
    data["locations"] = [
        {
            "address": loc.address,
            "city": loc.city,
            "region": loc.region,
            "postal_code": loc.postal_code,
            "country": loc.country,
            "latitude": loc.latitude,
            "longitude": loc.longitude,
        }
        for loc in p.locations
    ]
    return data


def audit(session: Session, actor: str, action: str, p: Practitioner, before, after) -> None:
    """An audit event about a listing."""
    listings.audit(
        session,
        actor=actor,
        action=action,
        entity="practitioner",
        entity_id=p.id,
        before=before,
        after=after,
    )


def decide(
    session: Session,
    p: Practitioner,
    action: str,
    actor: str,
    notes: str,
    checklist: dict[str, bool],
    revet_due: dt.date | None = None,
    submitter_note: str = "",
) -> VettingRecord:
    """Apply an admin's decision: new status, vetting record, search index, audit event.

    A submitter who asked to hear the decision is mailed it (with `submitter_note`) in the
    language they wrote in; once the listing is approved or rejected their details are erased
    (the queued message keeps the address only until it is sent, see finder.mail)."""
    new_status = ACTIONS.get(action)
    if new_status is None or new_status not in TRANSITIONS.get(p.status, set()):
        raise VettingError(f"A listing that is {p.status} cannot be given “{action}”.")
    if new_status == "approved" and not all(checklist.get(key) for key in CHECKLIST):
        raise VettingError("Tick every item of the checklist before approving.")
    before = snapshot(p)
    now = utcnow()
    p.status = new_status
    if new_status == "approved":
        p.last_vetted_at = now
        p.revet_due = revet_due or (now + REVET_AFTER).date()
    record = VettingRecord(
        decision=new_status,
        decided_by=actor,
        decided_at=now,
        checklist={k: bool(checklist.get(k)) for k in CHECKLIST},
        notes=notes,
        revet_due=p.revet_due,
    )
    p.vetting_records.append(record)
    submissions = session.scalars(
        select(Submission).where(Submission.practitioner_id == p.id, Submission.erased_at.is_(None))
    ).all()
    for submission in submissions:
        if submission.notify and submission.submitter_email and new_status in OUTCOME_MAILED:
            queue(
                session,
                submission.submitter_email,
                "submission-outcome",
                submission.language or "en",
                status=new_status,
                reference=submission.reference,
                name=p.name,
                note=submitter_note.strip(),
                submitter=submission.submitter_name or "",
                practitioner_id=p.id,
            )
        if new_status in ("approved", "rejected"):
            # Decided: the submitter's details are no longer needed (as the form promises).
            erase_submitter(session, submission, actor)
    session.flush()  # the search index follows (finder.listings)
    audit(session, actor, action, p, before, snapshot(p))
    return record


OUTCOME_MAILED = ("approved", "rejected", "needs-changes")


def duplicate_candidates(
    session: Session, name: str, lat: float, lon: float, exclude_id: int | None = None
) -> list[int]:
    """Listings with a similar name (rapidfuzz) and a location within 1 km."""
    box = 0.02  # degrees; ~2 km of latitude, enough for a 1 km circle below the polar circles
    rows = session.execute(
        select(
            Practitioner.id,
            Practitioner.name,
            PracticeLocation.latitude,
            PracticeLocation.longitude,
        )
        .join(PracticeLocation, PracticeLocation.practitioner_id == Practitioner.id)
        .where(
            PracticeLocation.latitude.between(lat - box, lat + box),
            Practitioner.status.in_(STATUSES),  # never a file's rows still being imported
        )
    )
    found = []
    for pid, other, plat, plon in rows:
        if pid == exclude_id or pid in found:
            continue
        if (
            haversine_km(lat, lon, plat, plon) <= DUPLICATE_DISTANCE_KM
            and fuzz.token_sort_ratio(name.lower(), other.lower()) >= DUPLICATE_NAME_SCORE
        ):
            found.append(pid)
    return found


def due_for_review(p: Practitioner, today: dt.date | None = None) -> bool:
    """Approved listings past their re-vetting date."""
    today = today or dt.date.today()
    return p.due_for_review(today)


LISTING_TEXT_FIELDS = (
    "name",
    "credentials",
    "clinic",
    "website",
    "phone",
    "email",
    "registry_name",
    "registry_number",
    "registry_url",
    "npi",
)
LISTING_FLAGS = (
    "teaches_self_correction",
    "gentle_only",
    "telehealth",
    "home_visits",
    "accepts_international",
)
LOCATION_FIELDS = ("address", "city", "region", "postal_code", "country", "latitude", "longitude")


def listing_data(p: Practitioner) -> dict:
    """A listing's editable values, shaped like ListingForm's data."""
    data = {name: getattr(p, name) for name in LISTING_TEXT_FIELDS + LISTING_FLAGS}
    data["techniques"] = p.technique_slugs
    data["patterns"] = p.patterns
    data["languages"] = "; ".join(p.languages)
    if p.locations:
        data.update({name: getattr(p.locations[0], name) for name in LOCATION_FIELDS})
    return data | details.form_text(p)


def fill_listing(session: Session, p: Practitioner, data: dict) -> None:
    """Set a listing's details and first location from checked form data."""
    for name in LISTING_TEXT_FIELDS:
        setattr(p, name, data.get(name) or "")
    for name in LISTING_FLAGS:
        setattr(p, name, bool(data.get(name)))
    by_slug = {t.slug: t for t in session.scalars(select(Technique))}
    p.techniques = [by_slug[s] for s in data["techniques"] if s in by_slug]
    p.patterns = list(data.get("patterns") or [])
    p.languages = data.get("languages") or []
    location = p.locations[0] if p.locations else PracticeLocation(position=0)
    for name in LOCATION_FIELDS:
        value = data.get(name)
        setattr(location, name, value if value is not None else "")
    if not p.locations:
        p.locations.append(location)
    details.set_checked(p, data, dt.date.today())


def apply_edit(session: Session, p: Practitioner, data: dict, actor: str) -> None:
    """An admin's edit of a listing's details and first location, audited and reindexed."""
    before = snapshot(p)
    fill_listing(session, p, data)
    session.flush()  # the search index follows (finder.listings)
    audit(session, actor, "edit", p, before, snapshot(p))


def erase_submitter(session: Session, submission: Submission, actor: str) -> None:
    """Forget who submitted: name and email are removed for good."""
    submission.submitter_name = None
    submission.submitter_email = None
    submission.erased_at = utcnow()
    listings.audit(
        session,
        actor=actor,
        action="erase-submitter",
        entity="submission",
        entity_id=submission.id,
        before=None,
        after=None,
    )


def resolve_report(session: Session, report: ListingReport, actor: str, note: str) -> None:
    """Close a problem report with what was done; audited (never with the reporter's email)."""
    report.resolved_at = utcnow()
    report.resolved_by = actor
    report.resolution_note = note.strip()
    if report.reporter_email:
        # The reply the form promised, then the address is no longer needed.
        queue(
            session,
            report.reporter_email,
            "report-reply",
            report.language or "en",
            name=report.practitioner.name,
            practitioner_id=report.practitioner_id,
            note=report.resolution_note,
        )
        report.reporter_email = None
    listings.audit(
        session,
        actor=actor,
        action="resolve-report",
        entity="listing-report",
        entity_id=report.id,
        before={"resolved": False},
        after={"resolved": True, "note": report.resolution_note or None},
    )
