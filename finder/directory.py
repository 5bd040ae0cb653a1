"""Directory upkeep: the technique list, the search index, and CSV import/export."""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import validation as v
from .models import (
    ANY_TECHNIQUE,
    PATTERNS,
    PracticeLocation,
    Practitioner,
    SearchPoint,
    Technique,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TECHNIQUES_FILE = DATA_DIR / "techniques.json"
DEMO_FILE = DATA_DIR / "demo_practitioners.csv"

PRACTITIONER_COLUMNS = [
    "ref", "name", "credentials", "clinic", "techniques", "patterns",
    "teaches_self_correction", "gentle_only", "languages", "telehealth", "home_visits",
    "accepts_international", "website", "phone", "email", "registry_name",
    "registry_number", "registry_url", "npi",
]  # fmt: skip
LOCATION_COLUMNS = [
    "address", "city", "region", "postal_code", "country", "latitude", "longitude",
]  # fmt: skip
CSV_COLUMNS = PRACTITIONER_COLUMNS + LOCATION_COLUMNS + ["demo"]
REQUIRED_COLUMNS = ("name", "techniques", "city", "country")
BOOLEAN_FIELDS = (
    "teaches_self_correction", "gentle_only", "telehealth", "home_visits",
    "accepts_international", "demo",
)  # fmt: skip
TEXT_LIMITS = {"name": 200, "credentials": 200, "clinic": 200, "email": 254,
               "registry_name": 200, "registry_number": 100, "address": 300,
               "city": 200, "region": 200, "postal_code": 20, "ref": 64}  # fmt: skip


@functools.cache
def technique_nouns(path: Path = TECHNIQUES_FILE) -> dict[str, str]:
    """What a practitioner of each technique is called: slug -> 'MET practitioner'."""
    return {
        item["slug"]: item.get("noun", item["name"]) for item in json.loads(path.read_text("utf-8"))
    }


def load_techniques(session: Session, path: Path = TECHNIQUES_FILE) -> int:
    """Create or update the techniques listed in data/techniques.json; returns how many."""
    items = json.loads(path.read_text(encoding="utf-8"))
    known = {t.slug: t for t in session.scalars(select(Technique))}
    for position, item in enumerate(items):
        technique = known.get(item["slug"]) or Technique(slug=item["slug"])
        technique.name = item["name"]
        technique.short = item.get("short", item["name"])
        technique.color = item.get("color", "#555555")
        technique.description = item.get("description", "")
        technique.position = position
        session.add(technique)
    session.flush()
    return len(items)


def reindex_practitioner(session: Session, practitioner: Practitioner) -> None:
    """Make the practitioner's SearchPoint rows match its status, locations and techniques."""
    session.flush()
    session.execute(delete(SearchPoint).where(SearchPoint.practitioner_id == practitioner.id))
    if practitioner.status != "approved":
        return
    slugs = [*practitioner.technique_slugs, ANY_TECHNIQUE]
    session.add_all(
        SearchPoint(
            technique=slug,
            lat=loc.latitude,
            lon=loc.longitude,
            location_id=loc.id,
            practitioner_id=practitioner.id,
            country=loc.country,
        )
        for loc in practitioner.locations
        for slug in slugs
    )


# --- CSV -------------------------------------------------------------------------------


@dataclass
class RowError:
    """One problem in an import file, located by line and column."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass
class PractitionerDraft:
    """A practitioner read from CSV rows, checked but not yet stored."""

    ref: str
    line: int
    fields: dict
    techniques: list[str]
    languages: list[str]
    patterns: list[str]
    locations: list[dict] = field(default_factory=list)


class ImportRejected(Exception):
    """The file has errors; nothing was imported."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


Locator = Callable[[str], tuple[float, float]]


def _practitioner_fields(row: dict, line: int, errors: list[RowError], slugs: set[str]):
    """Checked practitioner-level values of one row."""

    def check(name, rule, *args):
        try:
            return rule(row.get(name, "") or "", *args)
        except v.FieldError as error:
            errors.append(RowError(line, name, str(error)))
            return None

    country = (row.get("country") or "").strip().upper() or None
    values = {
        name: (row.get(name) or "").strip()
        for name in ("name", "credentials", "clinic", "email", "registry_name", "registry_number")
    }
    values["website"] = check("website", v.http_url)
    values["registry_url"] = check("registry_url", v.http_url)
    values["npi"] = check("npi", v.npi)
    values["phone"] = check("phone", v.phone_e164, country)
    for name in BOOLEAN_FIELDS:
        values[name] = check(name, v.boolean)
    techniques = [s.strip() for s in (row.get("techniques") or "").split(";") if s.strip()]
    for slug in techniques:
        if slug not in slugs:
            errors.append(RowError(line, "techniques", f"unknown technique “{slug}”."))
    patterns = [s.strip() for s in (row.get("patterns") or "").split(";") if s.strip()]
    for slug in patterns:
        if slug not in PATTERNS:
            errors.append(RowError(line, "patterns", f"unknown pattern “{slug}”."))
    languages = check("languages", v.language_codes) or []
    return values, techniques, languages, patterns


def _location_fields(row: dict, line: int, errors: list[RowError], locate: Locator | None):
    """Checked location values of one row, geocoded from the address when coordinates are empty."""
    location = {
        name: (row.get(name) or "").strip() for name in ("address", "city", "region", "postal_code")
    }
    try:
        location["country"] = v.country_code(row.get("country") or "")
    except v.FieldError as error:
        errors.append(RowError(line, "country", str(error)))
        return None
    coords = []
    for name, low, high, what in (
        ("latitude", -90, 90, "Latitude"),
        ("longitude", -180, 180, "Longitude"),
    ):
        try:
            coords.append(v.coordinate(row.get(name) or "", low, high, what))
        except v.FieldError as error:
            errors.append(RowError(line, name, str(error)))
            return None
    lat, lon = coords
    if (lat is None) != (lon is None):
        errors.append(RowError(line, "latitude", "give both latitude and longitude, or neither."))
        return None
    if lat is None:
        if locate is None:
            errors.append(RowError(line, "latitude", "coordinates are required here."))
            return None
        text = ", ".join(
            p for p in (location["city"], location["region"], location["country"]) if p
        )
        try:
            lat, lon = locate(text)
        except Exception as error:  # the geocoder's message is what the user needs
            errors.append(RowError(line, "city", f"could not place “{text}”: {error}"))
            return None
    location["latitude"], location["longitude"] = lat, lon
    return location


def read_csv(
    rows: Iterable[dict],
    technique_slugs: set[str],
    locate: Locator | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[PractitionerDraft]:
    """Check every row; return drafts, or raise ImportRejected listing every bad line and field."""
    errors: list[RowError] = []
    drafts: dict[str, PractitionerDraft] = {}
    unnamed = 0
    for index, row in enumerate(rows):
        line = index + 2  # the header is line 1
        if progress:
            progress(1)
        if None in row:
            errors.append(RowError(line, "row", "has more values than the header has columns."))
            continue
        for name in REQUIRED_COLUMNS:
            if not (row.get(name) or "").strip():
                errors.append(RowError(line, name, "is required."))
        for name, limit in TEXT_LIMITS.items():
            if len(row.get(name) or "") > limit:
                errors.append(RowError(line, name, f"is longer than {limit} characters."))
        values, techniques, languages, patterns = _practitioner_fields(
            row, line, errors, technique_slugs
        )
        location = _location_fields(row, line, errors, locate)
        ref = (row.get("ref") or "").strip()
        if not ref:
            unnamed += 1
            ref = f"row-{line}"
        draft = drafts.get(ref)
        if draft is None:
            drafts[ref] = PractitionerDraft(ref, line, values, techniques, languages, patterns)
        elif (draft.fields, draft.techniques, draft.languages, draft.patterns) != (
            values, techniques, languages, patterns,
        ):  # fmt: skip
            errors.append(
                RowError(
                    line, "ref", f"“{ref}” has other practitioner details on line {draft.line}."
                )
            )
        if location:
            drafts[ref].locations.append(location)
    if errors:
        raise ImportRejected(errors)
    return list(drafts.values())


def store_drafts(
    session: Session,
    drafts: list[PractitionerDraft],
    status: str,
    progress: Callable[[int], None] | None = None,
) -> list[Practitioner]:
    """Add checked drafts as practitioners with `status`; refs already stored are refused."""
    refs = [d.ref for d in drafts]
    taken = set()
    for start in range(0, len(refs), 500):
        taken |= set(
            session.scalars(
                select(Practitioner.ref).where(Practitioner.ref.in_(refs[start : start + 500]))
            )
        )
    if taken:
        raise ImportRejected(
            [
                RowError(d.line, "ref", f"“{d.ref}” is already in the directory.")
                for d in drafts
                if d.ref in taken
            ]
        )
    techniques = {t.slug: t for t in session.scalars(select(Technique))}
    stored = []
    for draft in drafts:
        practitioner = Practitioner(ref=draft.ref, status=status, **draft.fields)
        practitioner.techniques = [techniques[s] for s in draft.techniques]
        practitioner.languages = draft.languages
        practitioner.patterns = draft.patterns
        practitioner.locations = [
            PracticeLocation(position=i, **loc) for i, loc in enumerate(draft.locations)
        ]
        session.add(practitioner)
        stored.append(practitioner)
        if progress:
            progress(1)
    session.flush()
    for practitioner in stored:
        reindex_practitioner(session, practitioner)
    return stored


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    return "" if value is None else str(value)


def export_rows(session: Session, statuses: tuple[str, ...] = ("approved",)) -> list[dict]:
    """CSV rows of every listing with one of `statuses`, in a stable order (ref, location)."""
    practitioners = session.scalars(
        select(Practitioner).where(Practitioner.status.in_(statuses)).order_by(Practitioner.ref)
    )
    rows = []
    for p in practitioners:
        base = {name: _text(getattr(p, name)) for name in PRACTITIONER_COLUMNS}
        base["techniques"] = ";".join(p.technique_slugs)
        base["languages"] = ";".join(p.languages)
        base["patterns"] = ";".join(p.patterns)
        base["demo"] = _text(p.demo)
        for loc in p.locations:
            rows.append(base | {name: _text(getattr(loc, name)) for name in LOCATION_COLUMNS})
    return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    """Write rows with the contract's columns, UTF-8, '\\n' line ends."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
