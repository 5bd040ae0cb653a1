"""The directory's data: practitioners, their practice locations, vetting and audit."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    select,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from .extensions import db


def utcnow() -> dt.datetime:
    """The current time in UTC (a callable default, never evaluated at import)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Status(enum.StrEnum):
    """Where a listing stands. Only APPROVED listings are public (and in the search index)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    NEEDS_CHANGES = "needs-changes"
    SUSPENDED = "suspended"
    # Rows of an import-csv run still being stored: shown nowhere (not among STATUSES, so no
    # admin list, export or page asks for it) until the run's last step gives them their status.
    IMPORTING = "importing"


REVET_AFTER = dt.timedelta(days=365)  # an approval holds this long before vetting is due again
STATUSES = tuple(s.value for s in Status if s is not Status.IMPORTING)
APPROVED = Status.APPROVED.value
IMPORTING = Status.IMPORTING.value
STATUS_CHECK = "status IN ({})".format(", ".join(f"'{s.value}'" for s in Status))
# Why a visitor reports a listing ("Report a problem with this listing").
REPORT_REASONS = (
    "moved-or-closed",
    "wrong-contact",
    "technique-not-offered",
    "not-qualified-or-unsafe",
    "other",
)
PATTERNS = ("upslip", "anterior-rotation", "posterior-rotation", "inflare", "outflare")
MAX_ID = 2**31 - 1  # the largest id every engine's integer column holds (PostgreSQL's int4)
ANY_TECHNIQUE = "*"  # SearchPoint.technique of the row that serves searches without a technique
# Open data ids (HSDS, FHIR) are UUIDs derived from refs: the same listing keeps its ids in
# every export and across databases.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:si-joint-finder")


def stable_id(*parts) -> str:
    """A UUID (text) derived from `parts` alone: the same parts always give the same id."""
    return str(uuid.uuid5(ID_NAMESPACE, ":".join(str(part) for part in parts)))


# The records a listing publishes (HSDS organization, locations, addresses, ...; FHIR
# Practitioner, PractitionerRole, ...) have ids made from its stored service id by flipping
# its first two bytes: the first by the record's place (0 for the first location), the
# second by its kind. Distinct for every kind and place, stable like the service id, and
# reversible, so that reading a record by its id is one indexed lookup of service ids.
RECORD_KINDS = {
    "service": 0, "organization": 1, "location": 2, "address": 3, "service-at-location": 4,
    "virtual-location": 5, "service-at-virtual-location": 6, "phone": 7, "practitioner": 8,
    "practitioner-role": 9,
}  # fmt: skip
MAX_PLACES = 256  # places (locations) of a listing with readable ids: the first byte's values
PLACED_KINDS = {"location", "address", "service-at-location"}  # one record per location


def record_id(kind: str, service_id: str, place: int = 0) -> str:
    """The id of a listing's record of this kind (at this place, for per-location ones)."""
    if not 0 <= place < MAX_PLACES:
        return stable_id(kind, service_id, place)  # unreadable by id, still unique
    flip = (place << 120) | (RECORD_KINDS[kind] << 112)
    return str(uuid.UUID(int=uuid.UUID(service_id).int ^ flip))


def record_sources(kind: str, record: str) -> list[tuple[str, int]]:
    """Every (service id, place) whose record of this kind could be `record` (one for the
    kinds a listing has once, MAX_PLACES for per-location kinds); [] when it is no UUID."""
    try:
        value = uuid.UUID(record).int ^ (RECORD_KINDS[kind] << 112)
    except ValueError:
        return []
    places = range(MAX_PLACES) if kind in PLACED_KINDS else range(1)
    return [(str(uuid.UUID(int=value ^ (place << 120))), place) for place in places]


def _service_id(context) -> str:
    """The HSDS service id of a new practitioner row, from its ref."""
    return stable_id("service", context.get_current_parameters()["ref"])


practitioner_technique = Table(
    "practitioner_technique",
    db.metadata,
    Column("practitioner_id", ForeignKey("practitioner.id", ondelete="CASCADE"), primary_key=True),
    Column("technique_id", ForeignKey("technique.id", ondelete="CASCADE"), primary_key=True),
)


class Technique(db.Model):
    """A treatment approach; the list lives in data/techniques.json."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    short: Mapped[str] = mapped_column(String(20))
    color: Mapped[str] = mapped_column(String(7))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Practitioner(db.Model):
    """A practitioner as listed (or proposed for listing) in the directory."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    # stable_id("service", ref), stored so that /api/v1/hsds/services/<id> is one lookup.
    service_id: Mapped[str | None] = mapped_column(
        String(36), unique=True, index=True, default=_service_id
    )
    name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[str] = mapped_column(String(200), default="")
    clinic: Mapped[str] = mapped_column(String(200), default="")
    teaches_self_correction: Mapped[bool] = mapped_column(Boolean, default=False)
    gentle_only: Mapped[bool] = mapped_column(Boolean, default=False)
    telehealth: Mapped[bool] = mapped_column(Boolean, default=False)
    home_visits: Mapped[bool] = mapped_column(Boolean, default=False)
    accepts_international: Mapped[bool] = mapped_column(Boolean, default=False)
    website: Mapped[str] = mapped_column(String(500), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    registry_name: Mapped[str] = mapped_column(String(200), default="")
    registry_number: Mapped[str] = mapped_column(String(100), default="")
    registry_url: Mapped[str] = mapped_column(String(500), default="")
    npi: Mapped[str] = mapped_column(String(10), default="")
    # What a patient needs to decide (finder.details: a group's fields, then the date the
    # group was last confirmed). Text "" and numbers or yes/no None mean unknown; lists are
    # codes joined with ";".
    accepting_new_patients: Mapped[str] = mapped_column(String(10), default="")
    wait_weeks: Mapped[int | None] = mapped_column(Integer)
    availability_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    fee_min: Mapped[int | None] = mapped_column(Integer)
    fee_max: Mapped[int | None] = mapped_column(Integer)
    fee_currency: Mapped[str] = mapped_column(String(3), default="")
    self_pay: Mapped[bool | None] = mapped_column(Boolean)
    insurance: Mapped[str] = mapped_column(String(500), default="")
    fees_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    diagnostics: Mapped[str] = mapped_column(String(100), default="")
    diagnostics_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    surgery_approach: Mapped[str] = mapped_column(String(10), default="")
    surgery_implants: Mapped[str] = mapped_column(String(300), default="")
    surgery_volume: Mapped[str] = mapped_column(String(10), default="")
    industry_ties: Mapped[str] = mapped_column(String(1000), default="")
    surgery_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    access: Mapped[str] = mapped_column(String(100), default="")
    access_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    telehealth_countries: Mapped[str] = mapped_column(String(800), default="")
    telehealth_countries_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    international_office: Mapped[bool | None] = mapped_column(Boolean)
    interpreter_languages: Mapped[str] = mapped_column(String(300), default="")
    visa_letter: Mapped[bool | None] = mapped_column(Boolean)
    stay_days: Mapped[int | None] = mapped_column(Integer)
    travel_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    # The practitioner confirmed the whole listing still true (finder.claims), this day.
    listing_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    # The listing's email asked for no more confirm-or-update requests (List-Unsubscribe).
    mail_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=Status.PENDING.value, index=True)
    import_run: Mapped[str | None] = mapped_column(String(64), index=True)  # while IMPORTING
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    last_vetted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revet_due: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    techniques: Mapped[list[Technique]] = relationship(
        secondary=practitioner_technique, order_by=Technique.position
    )
    language_rows: Mapped[list[PractitionerLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="PractitionerLanguage.position"
    )
    pattern_rows: Mapped[list[PractitionerPattern]] = relationship(
        cascade="all, delete-orphan", order_by="PractitionerPattern.position"
    )
    locations: Mapped[list[PracticeLocation]] = relationship(
        back_populates="practitioner",
        cascade="all, delete-orphan",
        order_by="PracticeLocation.position",
    )
    vetting_records: Mapped[list[VettingRecord]] = relationship(
        cascade="all, delete-orphan", order_by="VettingRecord.decided_at"
    )

    __table_args__ = (CheckConstraint(STATUS_CHECK, name="ck_practitioner_status"),)

    @hybrid_property
    def listed(self):
        """Public: approved (in Python for a listing, in SQL as `Practitioner.listed`)."""
        return self.status == APPROVED

    @hybrid_method
    def due_for_review(self, today: dt.date):
        """Listed and past the date its vetting falls due."""
        return self.listed and self.revet_due is not None and self.revet_due < today

    @due_for_review.expression
    def due_for_review(cls, today: dt.date):  # noqa: N805  (SQLAlchemy passes the class)
        return and_(cls.listed, cls.revet_due < today)

    @property
    def vetting_checks(self) -> list[str]:
        """What the latest approval checked (finder.vetting.CHECKLIST keys ticked), in order;
        empty when it was imported from a vetted list."""
        checklist = self.latest_approval_checklist or {}
        return [name for name, done in checklist.items() if done]

    @property
    def languages(self) -> list[str]:
        return [row.code for row in self.language_rows]

    @languages.setter
    def languages(self, codes: list[str]) -> None:
        self.language_rows = [PractitionerLanguage(code=c, position=i) for i, c in enumerate(codes)]

    @property
    def patterns(self) -> list[str]:
        return [row.slug for row in self.pattern_rows]

    @patterns.setter
    def patterns(self, slugs: list[str]) -> None:
        self.pattern_rows = [PractitionerPattern(slug=s, position=i) for i, s in enumerate(slugs)]

    @property
    def technique_slugs(self) -> list[str]:
        return [t.slug for t in self.techniques]


# A claim-link request finds the listings with an email whatever its case (finder.claims).
Index("ix_practitioner_email_lower", func.lower(Practitioner.email))


class PractitionerLanguage(db.Model):
    """A language (ISO 639-1) a practitioner speaks with patients."""

    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(3), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PractitionerPattern(db.Model):
    """A misalignment pattern a practitioner assesses and explains."""

    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PracticeLocation(db.Model):
    """One place where a practitioner sees patients."""

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), index=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)

    practitioner: Mapped[Practitioner] = relationship(back_populates="locations")


COVERING_COLUMNS = (
    "technique", "band", "lon", "lat", "practitioner_id", "location_id", "country", "x", "y", "z",
    "flags",
)  # fmt: skip
# SearchPoint.flags: the practitioner's answers a search filters on, one bit each.
FLAGS = {
    "telehealth": 1, "home_visits": 2, "accepts_international": 4, "gentle_only": 8,
    # From the decision details (finder.details): taking new patients (or a waiting list),
    # an image-guided diagnostic injection, treatment lying down, a fusion approach.
    "accepting": 16, "diagnostic_injection": 32, "lying_down": 64, "approach_posterior": 128,
    "approach_lateral": 256,
}  # fmt: skip
# A sample level keeps 1 search_point row in SAMPLE_RATIO of the level below, chosen by a hash
# of its location (so every technique of a location is in or out together, and a level's rows
# are real rows): level 1 holds 1 in 16, level 2 1 in 256, level 3 1 in 4,096.
SAMPLE_LEVELS = (1, 2, 3)
SAMPLE_BITS = 4
SAMPLE_RATIO = 2**SAMPLE_BITS


def sample_clause(level: int, table: str = "") -> str:
    """SQL true for the rows of a sample level: the partial index's WHERE, which a query must
    repeat word for word (with `table.` before the column) for SQLite to use that index."""
    column = f"{table}.location_id" if table else "location_id"
    return f"({column} * 2654435761) % 4294967296 < {2 ** (32 - SAMPLE_BITS * level)}"


def sample_index_name(level: int) -> str:
    return f"ix_search_point_sample{level}_covering"


class SearchPoint(db.Model):
    """Search index row: one per approved location and technique, plus one for 'any technique'.

    Kept in step with every write of a listing by finder.listings; only approved
    listings have rows, so a search never sees anything else.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    technique: Mapped[str] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    location_id: Mapped[int] = mapped_column(ForeignKey("practice_location.id", ondelete="CASCADE"))
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    country: Mapped[str] = mapped_column(String(2))
    # The point on the unit sphere (x toward 0°N 0°E, z toward the North Pole): the squared
    # straight line between two of them grows with the great-circle distance, so SQL ranks
    # rows by distance with arithmetic alone (finder.nearest).
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    z: Mapped[float] = mapped_column(Float)
    # floor(lat): the index seeks each one-degree band of a box by longitude, so a scan reads
    # the rows of its box, not of every longitude at its latitudes.
    band: Mapped[int] = mapped_column(Integer)
    # The practitioner's FLAGS, so that "who offers telehealth" is answered from the index
    # without a lookup per row (kept in step by finder.listings like every other column).
    flags: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Covering: a search reads everything it needs from the index, never the table.
    __table_args__ = (
        Index("ix_search_point_technique_band_lon_covering", *COVERING_COLUMNS),
        # "The nearest in that country": its rows only (finder.nearest, a question's own scans).
        Index(
            "ix_search_point_technique_country_band_lon_covering",
            "technique", "country", "band", "lon", "lat", "practitioner_id", "location_id",
            "x", "y", "z", "flags",
        ),
        # Samples of the rows (1 in 16, 256, 4,096): how far the nearest ones lie (finder.nearest).
        *(
            Index(
                sample_index_name(level), *COVERING_COLUMNS,
                sqlite_where=text(sample_clause(level)),
                postgresql_where=text(sample_clause(level)),
            )
            for level in SAMPLE_LEVELS
        ),
    )  # fmt: skip


class VettingRecord(db.Model):
    """One vetting decision: who, when, what was checked, and when to look again."""

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str] = mapped_column(String(254))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    checklist: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    revet_due: Mapped[dt.date | None] = mapped_column(Date)


# The checklist of a listing's latest approval (Practitioner.vetting_checks), or None: read
# when first asked, or with the listings where a page loads many (search.load_practitioners
# undefers it), instead of every vetting record in a statement of their own.
Practitioner.latest_approval_checklist = column_property(
    select(VettingRecord.checklist)
    .where(VettingRecord.practitioner_id == Practitioner.id, VettingRecord.decision == APPROVED)
    .order_by(VettingRecord.decided_at.desc(), VettingRecord.id.desc())
    .limit(1)
    .correlate_except(VettingRecord)
    .scalar_subquery(),
    deferred=True,
)


class AuditEvent(db.Model):
    """Every state change and edit, with actor, UTC time and before/after."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class GeocodeCache(db.Model):
    """A geocoded text, normalised, with the geocoder's answer."""

    query: Mapped[str] = mapped_column(String(300), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Admin(db.Model):
    """An administrator who vets listings; made only by `create-admin`."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Submission(db.Model):
    """A proposed listing and who proposed it. The submitter's details are private:
    never shown publicly, never logged, and erased on request or by purge-submitters."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id", ondelete="SET NULL"), index=True
    )
    submitter_name: Mapped[str | None] = mapped_column(String(200))
    submitter_email: Mapped[str | None] = mapped_column(String(254))
    relation: Mapped[str] = mapped_column(String(20))
    duplicate_candidates: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # "Tell me the decision": mailed in the language the form was sent in, then erased.
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="en")

    practitioner: Mapped[Practitioner | None] = relationship()


class LoginAttempt(db.Model):
    """Every admin login attempt, for throttling and for the record."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(Boolean, default=False)


class UnmetNeed(db.Model):
    """'I could not find anyone': a technique and a city-level place, never a precise point."""

    id: Mapped[int] = mapped_column(primary_key=True)
    technique: Mapped[str | None] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ListingReport(db.Model):
    """A visitor's report of a problem with a public listing, open until an admin resolves it.

    The reporter's email is private like a submitter's: shown to admins only, never logged,
    and erased by purge-submitters."""

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    details: Mapped[str] = mapped_column(Text, default="")
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    resolved_by: Mapped[str | None] = mapped_column(String(254))
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="en")  # of a reply by email

    practitioner: Mapped[Practitioner] = relationship()


class OutgoingMail(db.Model):
    """A message for someone outside, queued in the transaction of what it tells
    (finder.mail); `flask send-mail` delivers it outside any web request. Without MAIL_URL it
    goes to the outbox admins read instead."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="en")
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    list_unsubscribe: Mapped[str] = mapped_column(String(500), default="")
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    send_after: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A sender that takes a message holds it until then; one that dies lets it go again.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    transport: Mapped[str] = mapped_column(String(10), default="")  # "smtp" or "outbox"


class ClaimLink(db.Model):
    """A single-use link to confirm or update a listing, mailed to the listing's email.

    The link carries a signed nonce (itsdangerous); this row makes it single-use and ties it
    to the email the listing had when it was sent. A request naming no listed address is kept
    too (practitioner None), so both answers cost the same."""

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(12))  # "claim" or "confirm"
    email_digest: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    answer: Mapped[str] = mapped_column(String(12), default="")  # "confirmed" or "proposed"


class ListingChange(db.Model):
    """Changes a practitioner proposed to their own listing: live only once an admin
    approves them."""

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    proposed: Mapped[dict] = mapped_column(JSON)  # the listing form's values (listing_data)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(254))
    decision: Mapped[str] = mapped_column(String(10), default="")  # "approved" or "rejected"
    note: Mapped[str] = mapped_column(Text, default="")

    practitioner: Mapped[Practitioner] = relationship()


class ConfirmationRequest(db.Model):
    """The confirm-or-update request for one listing before one re-vetting date (`period`):
    asked, reminded once, then flagged to admins if nobody answered."""

    __table_args__ = (Index("ix_confirmation_period", "practitioner_id", "period", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"))
    period: Mapped[dt.date] = mapped_column(Date)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    flagged_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    practitioner: Mapped[Practitioner] = relationship()


class DirectoryState(db.Model):
    """One row whose version changes with every change to a listing, its locations, languages,
    patterns or techniques, in the same transaction (finder.listings): caches of what searches
    found are keyed by it, so no worker serves a search from before a change."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
