"""Listings as CSV files: checking and importing a file (all or nothing, in batches that let
other writers in), and exporting the approved directory (cells a spreadsheet cannot run)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import gc
import io
import multiprocessing
import operator
import os
import re
import secrets
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    bindparam,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import BindParameter

from . import details, listings
from . import validation as v
from .database import writing
from .models import (
    IMPORTING,
    PATTERNS,
    REVET_AFTER,
    PracticeLocation,
    Practitioner,
    PractitionerLanguage,
    PractitionerPattern,
    SearchPoint,
    Technique,
    VettingRecord,
    practitioner_technique,
    stable_id,
    utcnow,
)
from .techniques import DATA_DIR

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
CSV_COLUMNS = PRACTITIONER_COLUMNS + details.COLUMNS + LOCATION_COLUMNS + ["demo"]
REQUIRED_COLUMNS = ("name", "techniques", "city", "country")
BOOLEAN_FIELDS = (
    "teaches_self_correction", "gentle_only", "telehealth", "home_visits",
    "accepts_international", "demo",
)  # fmt: skip
TEXT_LIMITS = v.LISTING_LENGTHS  # from the database columns


# --- CSV -------------------------------------------------------------------------------

# A cell starting with one of these is run as a formula by spreadsheets (OWASP "CSV
# injection"); a leading quote is on the list too, so that the rule can be undone.
FORMULA_STARTS = frozenset("=+-@\t\r'")
_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def spreadsheet_safe(cell: str) -> str:
    """A cell as written to a CSV file a person may open in a spreadsheet.

    A cell starting with = + - @ tab, CR or ' gets one more ' in front: spreadsheets show
    it as text instead of running it. A plain number such as -33.8688 or +1.5 is left as it
    is, so coordinates stay numbers. `spreadsheet_text` undoes this exactly.
    """
    if cell[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def spreadsheet_text(cell: str) -> str:
    """The value `spreadsheet_safe` was given: a ' before = + - @ tab, CR or ' is dropped."""
    if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS:
        return cell[1:]
    return cell


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


# --- Reading a file: bytes -> rows keyed by the contract's column names ------------------

DELIMITERS = (",", ";", "\t")  # a spreadsheet in many languages saves "CSV" with semicolons


def column_name(header: str) -> str:
    """A header cell as the contract names its column, case and spacing aside ("NPI",
    " website ", "Postal Code" and "postal-code" are npi, website and postal_code)."""
    return re.sub(r"[\s\-]+", "_", header.strip()).lower()


def _not_utf8(data: bytes, error: UnicodeDecodeError) -> ImportRejected:
    """The line and column of the first bytes that are not UTF-8."""
    line, field = data.count(b"\n", 0, error.start) + 1, "file"
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace"), newline=""))
    header = next(reader, [])
    bad = (i for record in reader for i, cell in enumerate(record) if "\ufffd" in cell)
    if (index := next(bad, None)) is not None:
        line = reader.line_num
        field = column_name(header[index]) if index < len(header) else f"column {index + 1}"
    byte = data[error.start : error.start + 1].hex().upper()
    return ImportRejected(
        [
            RowError(
                line,
                field,
                f"is not UTF-8 text (byte 0x{byte}); save the file as UTF-8 "
                "(in a spreadsheet: “CSV UTF-8”) and import it again.",
            )
        ]
    )


def _delimiter(first_line: str) -> str:
    """The delimiter that splits the header line into known columns (a comma unless the
    header reads as semicolon- or tab-separated)."""
    for delimiter in DELIMITERS:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        if len(cells) > 1 and column_name(cells[0]) in CSV_COLUMNS:
            return delimiter
    return ","


def read_rows(data: bytes) -> tuple[list[dict], list[int]]:
    """A CSV file's rows as dicts keyed by the contract's column names (CSV_COLUMNS), every
    cell a string, and the line each ends on (blank lines are skipped). The header is matched
    case- and space-insensitively; an unknown, repeated or missing required column refuses
    the whole file, naming it, so that no value is ever dropped unread. ImportRejected lists
    every problem (line 1 is the header)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _not_utf8(data, error) from None
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, [])
        names = [column_name(cell) for cell in header]
        errors = []
        seen: dict[str, str] = {}
        for cell, name in zip(header, names, strict=True):
            if name not in CSV_COLUMNS:
                errors.append(
                    RowError(
                        1,
                        cell.strip() or "header",
                        f"“{cell}” is not a column this import reads; the columns are "
                        f"{', '.join(CSV_COLUMNS)}.",
                    )
                )
            elif name in seen:
                errors.append(
                    RowError(1, name, f"“{seen[name]}” and “{cell}” are the same column: keep one.")
                )
            else:
                seen[name] = cell
        for name in REQUIRED_COLUMNS:
            if name not in seen:
                errors.append(RowError(1, name, "the header has no such column; it is required."))
        if errors:
            raise ImportRejected(errors)
        rows, lines = [], []
        width = len(names)
        for record in reader:
            if not "".join(record).strip():
                continue  # a blank line (spreadsheets leave them at the end)
            row = dict(zip(names, record, strict=False))
            if len(record) > width:
                row[None] = record[width:]  # what _check_row reports as too many values
            rows.append(row)
            lines.append(reader.line_num)
        return rows, lines
    except csv.Error as error:
        raise ImportRejected(
            [RowError(reader.line_num, "file", f"is not valid CSV: {error}.")]
        ) from None


def _repeated(items: list[str]) -> list[str]:
    if len(set(items)) == len(items):  # nearly always: no counting needed
        return []
    return [item for item, count in Counter(items).items() if count > 1]


# A file's rows repeat the same few values in many cells (true/false, a country, a list of
# languages, and above all empty cells), and the rules are pure: each checking process checks
# such a value once. (At a million rows the checks were the longest phase of an import.)
_REPEATING_RULES = frozenset({v.boolean, v.language_codes, v.country_code})


@functools.lru_cache(maxsize=50_000)  # a refusal (FieldError) is not remembered
def _remembered(rule, value: str, *args):
    return rule(value, *args)


def _checked(rule, value: str, *args):
    """rule(value, *args), remembered when the value is empty or the rule's values repeat;
    FieldError as the rule raises it."""
    if value and rule not in _REPEATING_RULES:
        return rule(value, *args)
    result = _remembered(rule, value, *args)
    return result.copy() if isinstance(result, list) else result


def _practitioner_fields(row: dict, line: int, errors: list[RowError], slugs: set[str]):
    """Checked practitioner-level values of one row."""

    def check(name, rule, *args):
        try:
            return _checked(rule, row.get(name, "") or "", *args)
        except v.FieldError as error:
            errors.append(RowError(line, name, str(error)))
            return None

    country = (row.get("country") or "").strip().upper() or None
    values = {
        name: row.get(name) or ""  # trimmed by read_csv before a quoted tab is restored
        for name in ("name", "credentials", "clinic", "email", "registry_name", "registry_number")
    }
    values["email"] = check("email", v.email_address)
    values["website"] = check("website", v.http_url)
    values["registry_url"] = check("registry_url", v.http_url)
    values["npi"] = check("npi", v.npi)
    values["phone"] = check("phone", v.phone_e164, country)
    for name in BOOLEAN_FIELDS:
        values[name] = check(name, v.boolean)
    _detail_fields(row, line, errors, values)
    techniques = [s.strip() for s in (row.get("techniques") or "").split(";") if s.strip()]
    for slug in techniques:
        if slug not in slugs:
            errors.append(RowError(line, "techniques", f"unknown technique “{slug}”."))
    patterns = [s.strip() for s in (row.get("patterns") or "").split(";") if s.strip()]
    for slug in patterns:
        if slug not in PATTERNS:
            errors.append(RowError(line, "patterns", f"unknown pattern “{slug}”."))
    languages = check("languages", v.language_codes) or []
    for name, items in (
        ("techniques", techniques),
        ("patterns", patterns),
        ("languages", languages),
    ):
        for item in _repeated(items):
            errors.append(RowError(line, name, f"“{item}” is listed twice."))
    return values, techniques, languages, patterns


def _detail_fields(row: dict, line: int, errors: list[RowError], values: dict) -> None:
    """The decision details of one row (finder.details) into values, checked."""
    if not any(map(row.get, details.COLUMNS)):  # most rows of most files
        values.update(details.EMPTY)
        return
    for name, detail in details.DETAILS.items():
        try:
            values[name] = detail.parse(row.get(name) or "")
        except details.DetailError as error:
            errors.append(RowError(line, name, str(error)))
    for name in details.CONFIRMED_COLUMNS:
        try:
            values[name] = details.parse_date(row.get(name) or "")
        except details.DetailError as error:
            errors.append(RowError(line, name, str(error)))
    for name, problem in details.inconsistencies(values):
        errors.append(RowError(line, name, problem))


def _location_fields(row: dict, line: int, errors: list[RowError]):
    """Checked location values of one row; latitude and longitude are None when both are
    empty (read_csv then geocodes the address)."""
    location = {name: row.get(name) or "" for name in ("address", "city", "region", "postal_code")}
    try:
        location["country"] = _checked(v.country_code, row.get("country") or "")
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
    location["latitude"], location["longitude"] = lat, lon
    return location


def _ref_of(row: dict) -> str:
    """The ref `_check_row` reads in a row as read_rows gives it ("" when it has none, or when
    the row is too malformed to read)."""
    if None in row:
        return ""
    cell = row.get("ref")
    return spreadsheet_text(cell.strip()).strip() if cell else ""


def _check_row(line: int, row: dict, slugs: set[str]) -> tuple:
    """One row checked on its own: (line, ref, values, techniques, languages, patterns,
    location or None, errors). Each cell is trimmed, then what spreadsheet_safe quoted is
    restored (so a quoted leading tab stays: export, import, export is identical)."""
    errors: list[RowError] = []
    if None in row:
        errors.append(RowError(line, "row", "has more values than the header has columns."))
        return line, "", {}, [], [], [], None, errors
    ref = _ref_of(row)
    # Most cells of most files are empty: they need no trimming and hide nothing.
    row = {name: spreadsheet_text(cell.strip()) if cell else "" for name, cell in row.items()}
    if v.hidden_character("\n".join(row.values())) is not None:  # then find which cells
        for name, cell in row.items():
            hidden = v.hidden_character(cell) if cell else None
            if hidden is not None:
                errors.append(
                    RowError(line, name, f"holds an invisible character (U+{ord(hidden):04X}).")
                )
    for name in REQUIRED_COLUMNS:
        if not (row.get(name) or "").strip():
            errors.append(RowError(line, name, "is required."))
    for name, limit in TEXT_LIMITS.items():
        cell = row.get(name)
        if cell and len(cell) > limit:
            errors.append(RowError(line, name, f"is longer than {limit} characters."))
    values, techniques, languages, patterns = _practitioner_fields(row, line, errors, slugs)
    location = _location_fields(row, line, errors)
    if ref:  # made here, by the checking processes, for a large file
        values["service_id"] = stable_id("service", ref)
    return line, ref, values, techniques, languages, patterns, location, errors


# A large file is checked by other processes (the checks are pure Python: email syntax, phone
# numbers, codes); geocoding, putting the rows together and storing them stay in the calling
# process (import-csv gives it a core of its own: check_and_stage).
CHECK_IN_PARALLEL_FROM = 20_000  # rows; below this, starting processes costs more than it saves
CHECK_CHUNK = 5_000  # rows per task handed to a checking process
_rows_to_check: tuple[list[dict], list[int], set[str]] = ([], [], set())


def _keep_rows_to_check(rows: list[dict], lines: list[int], slugs: set[str]) -> None:
    global _rows_to_check
    _rows_to_check = (rows, lines, slugs)


def _check_chunk(start: int) -> list[tuple]:
    rows, lines, slugs = _rows_to_check
    end = start + CHECK_CHUNK
    return [
        _check_row(line, row, slugs)
        for line, row in zip(lines[start:end], rows[start:end], strict=True)
    ]


def _checked_rows(
    rows: list[dict], lines: list[int], slugs: set[str], processes: int
) -> Iterator[tuple]:
    """Every row checked, in file order; by `processes` forked processes when the file is
    large enough (they inherit the rows: nothing is copied to them), else by this one."""
    if processes < 1 or len(rows) < CHECK_IN_PARALLEL_FROM:
        for line, row in zip(lines, rows, strict=True):
            yield _check_row(line, row, slugs)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        processes,
        mp_context=context,
        initializer=_keep_rows_to_check,
        initargs=(rows, lines, slugs),
    ) as pool:
        for checked in pool.map(_check_chunk, range(0, len(rows), CHECK_CHUNK)):
            yield from checked


def _checked_drafts(
    rows: list[dict],
    lines: list[int],
    technique_slugs: set[str],
    locate: Locator | None,
    progress: Callable[[int], None] | None,
    processes: int,
    errors: list[RowError],
    refs: list[str] | None = None,
) -> Iterator[PractitionerDraft]:
    """Each practitioner of the file as soon as every row of its ref is checked, in the order
    of their first rows; every problem met is added to `errors` as its row is checked (the
    file is checked to its end whatever they are). `refs` are the rows' refs if known
    (_refs). See read_csv."""
    # Where each ref is last seen: a practitioner of several rows is whole after that one.
    refs = refs or _refs(rows, lines)
    last_row = {ref: at for at, ref in enumerate(refs)}
    drafts: dict[str, PractitionerDraft] = {}
    waiting: deque[str] = deque()  # refs not yet handed over, in the order of first rows
    counted = 0
    for at, checked in enumerate(_checked_rows(rows, lines, technique_slugs, processes)):
        line, ref, values, techniques, languages, patterns, location, row_errors = checked
        if progress and at - counted >= PROGRESS_EVERY:
            progress(at - counted)
            counted = at
        errors += row_errors
        if values:  # else a row too malformed to read
            if location and location["latitude"] is None:
                location = _placed(location, line, errors, locate)
            if not ref:
                ref = refs[at]  # made of its line
                values["service_id"] = stable_id("service", ref)
            draft = drafts.get(ref)
            if draft is None:
                draft = drafts[ref] = PractitionerDraft(
                    ref, line, values, techniques, languages, patterns
                )
                waiting.append(ref)
            elif (draft.fields, draft.techniques, draft.languages, draft.patterns) != (
                values, techniques, languages, patterns,
            ):  # fmt: skip
                errors.append(
                    RowError(
                        line, "ref", f"“{ref}” has other practitioner details on line {draft.line}."
                    )
                )
            if location:
                draft.locations.append(location)
        while waiting and last_row.get(waiting[0], -1) <= at:
            yield drafts.pop(waiting.popleft())
    if progress and len(rows) > counted:
        progress(len(rows) - counted)


PROGRESS_EVERY = 1_000  # rows checked between two updates of a progress bar


def _refs(rows: list[dict], lines: list[int]) -> list[str]:
    """The ref of each row's practitioner: its own, or one made of its line (`row-7`)."""
    return [_ref_of(row) or f"row-{line}" for row, line in zip(rows, lines, strict=True)]


def _rows_and_lines(rows: Iterable[dict], lines: list[int] | None) -> tuple[list, list[int]]:
    rows = rows if isinstance(rows, list) else list(rows)
    return rows, lines or list(range(2, len(rows) + 2))  # the header is line 1


def read_csv(
    rows: Iterable[dict],
    technique_slugs: set[str],
    locate: Locator | None = None,
    progress: Callable[[int], None] | None = None,
    processes: int = 0,
    lines: list[int] | None = None,
) -> list[PractitionerDraft]:
    """Check every row; return drafts, or raise ImportRejected listing every bad line and field.

    Rows are as read_rows (or csv.DictReader) gives them; `lines` the line of each (by
    default one a row after the header). A location without coordinates is placed by
    `locate` (its city, region and country). With processes ≥ 1 a large file's rows are
    checked by that many other processes; the result is the same."""
    errors: list[RowError] = []
    rows, lines = _rows_and_lines(rows, lines)
    drafts = list(
        _checked_drafts(rows, lines, technique_slugs, locate, progress, processes, errors)
    )
    if errors:
        errors.sort(key=lambda error: error.line)
        raise ImportRejected(errors)
    return drafts


def _placed(location: dict, line: int, errors: list[RowError], locate: Locator | None):
    """The location with the coordinates of its city, region and country, or None (with the
    reason in errors)."""
    if locate is None:
        errors.append(RowError(line, "latitude", "coordinates are required here."))
        return None
    text = ", ".join(p for p in (location["city"], location["region"], location["country"]) if p)
    try:
        location["latitude"], location["longitude"] = locate(text)
    except Exception as error:  # the geocoder's message is what the user needs
        errors.append(RowError(line, "city", f"could not place “{text}”: {error}"))
        return None
    return location


# --- Storing an import: checked file -> staged rows -> one short swap ---------------------
#
# A large file is stored in short write transactions of IMPORT_BATCH practitioners, so the
# site's own writes (a submission, a vetting decision) wait at most one batch. Until the last
# step the rows have the status IMPORTING and the run's name in `import_run`: no page, API,
# export or admin list shows that status, and they have no search index rows. The swap then
# gives them their status and index in one transaction; on any failure the run is discarded.

IMPORT_BATCH = 500  # practitioners per write transaction while staging
# SQLite has no queue for its write lock: a writer that waits polls, at most 100 ms apart
# (its busy handler's longest sleep). A longer pause between batches lets it in.
SQLITE_PAUSE_S = 0.12
ABANDONED_AFTER = dt.timedelta(days=1)  # a run of another machine this quiet has died


class ImportFailed(Exception):
    """Storing a checked file failed part way; the caller discards the run."""


def new_import_run() -> str:
    """A name for one import: this machine, this process and a random part."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(8)}"


def _run_is_alive(run: str, newest: dt.datetime | None) -> bool:
    """Whether the process that is storing `run` may still be running."""
    host, _, rest = run.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname()[:30] and pid.isdigit():
        if int(pid) == os.getpid():  # one import at a time per process: ours ended
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return newest is not None and utcnow() - newest < ABANDONED_AFTER


def abandoned_runs(session: Session) -> dict[str, int]:
    """Runs left IMPORTING by a process that died: run -> its practitioners."""
    rows = session.execute(
        select(Practitioner.import_run, func.count(), func.max(Practitioner.created_at))
        .where(Practitioner.status == IMPORTING)
        .group_by(Practitioner.import_run)
    )
    return {run: count for run, count, newest in rows if not _run_is_alive(run or "", newest)}


@contextlib.contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused: a large file is millions of objects that live until
    the import ends, and the collector would walk them all again and again (at 1M rows it
    took half the checking time). What the import makes is freed by reference counting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _let_other_writers_in(session: Session, released: float | None = None) -> float:
    """Between two batches: on SQLite, leave the write lock free long enough to be taken
    (SQLITE_PAUSE_S since `released`, the moment it was let go: what was done since counts).
    Returns the seconds slept."""
    if session.get_bind().dialect.name != "sqlite":
        return 0.0
    rest = SQLITE_PAUSE_S - (time.perf_counter() - released if released is not None else 0.0)
    if rest > 0:
        time.sleep(rest)
    return max(rest, 0.0)


def discard_run(session: Session, run: str | None) -> int:
    """Delete a run's IMPORTING practitioners (with their locations and the rest, by the
    foreign keys' ON DELETE CASCADE) in short write transactions, as many as about
    STAGE_SECONDS allows (IMPORT_BATCH at first); returns how many."""
    session.rollback()
    staged = Practitioner.status == IMPORTING
    mine = Practitioner.import_run.is_(None) if run is None else Practitioner.import_run == run
    removed, size, released = 0, IMPORT_BATCH, None
    while True:
        if released is not None:
            _let_other_writers_in(session, released)
        began = time.perf_counter()
        with writing():
            batch = select(Practitioner.id).where(staged, mine).limit(size)
            gone = session.execute(
                delete(Practitioner).where(Practitioner.id.in_(batch)),
                execution_options={"synchronize_session": False},
            ).rowcount
            session.commit()
        released = time.perf_counter()
        removed += gone
        if gone < size:
            return removed
        size = _next_batch(size, released - began)


def _next_batch(size: int, took: float) -> int:
    """How many to write in the next transaction after `size` took `took` seconds: toward
    STAGE_SECONDS, at most doubling (a slow start is not taken for the norm)."""
    return max(100, min(2 * size, int(size * STAGE_SECONDS / max(took, 0.001))))


def _taken(session: Session, refs: list[str]) -> set[str]:
    """Those of `refs` already stored."""
    taken = set()
    for start in range(0, len(refs), IMPORT_BATCH):
        batch = refs[start : start + IMPORT_BATCH]
        taken |= set(session.scalars(select(Practitioner.ref).where(Practitioner.ref.in_(batch))))
    return taken


def _already_stored(draft: PractitionerDraft) -> RowError:
    return RowError(draft.line, "ref", f"“{draft.ref}” is already in the directory.")


def _rows_of_children(drafts: list[PractitionerDraft], technique_ids) -> dict:
    """Rows of each table that hangs off the practitioner, made before the write lock is
    taken: "practitioner_id" is the practitioner's place in `drafts` until the ids are known
    (_BulkInsert.with_ids)."""
    locations, languages, patterns, techniques = [], [], [], []
    for at, d in enumerate(drafts):
        locations += [
            {"practitioner_id": at, "position": i, **loc} for i, loc in enumerate(d.locations)
        ]
        languages += [
            {"practitioner_id": at, "code": c, "position": i} for i, c in enumerate(d.languages)
        ]
        patterns += [
            {"practitioner_id": at, "slug": s, "position": i} for i, s in enumerate(d.patterns)
        ]
        techniques += [
            {"practitioner_id": at, "technique_id": technique_ids[s]} for s in d.techniques
        ]
    return {
        PracticeLocation.__table__: locations,
        PractitionerLanguage.__table__: languages,
        PractitionerPattern.__table__: patterns,
        practitioner_technique: techniques,
    }


def _sql_literal(value) -> str | None:
    """`value` written as an SQL literal that SQLite reads as the driver would have bound it,
    or None when it is not a plain value (a date, a float, a list: those stay parameters)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def _same_in_every_row(rows: list[dict]) -> dict[str, str]:
    """Column -> SQL literal of the columns whose value is one plain value in every row."""
    first, last = rows[0], rows[-1]
    candidates = {}
    for name, value in first.items():
        literal_ = _sql_literal(value)
        if literal_ is not None and last[name] == value and type(last[name]) is type(value):
            candidates[name] = literal_
    # A column that varies nearly always shows it in every 64th row; those left are then read
    # together, one pass over the rows (each row's dict visited once, at C speed): a pass per
    # column took 6 s of the storing of a million rows.
    sample = rows[::64]
    names = [name for name in candidates if len(set(map(operator.itemgetter(name), sample))) == 1]
    if not names:
        return {}
    if len(set(map(operator.itemgetter(*names), rows))) == 1:
        return {name: candidates[name] for name in names}
    return {
        name: candidates[name]
        for name in names
        if len(set(map(operator.itemgetter(name), rows))) == 1
    }


class _BulkInsert:
    """One INSERT statement for many rows of `table` given as dicts with the same keys, made
    into the driver's parameters with no per-row work by SQLAlchemy: the import's volume.
    Columns left out get their scalar default (a computed default must be given).

    On SQLite, a column that holds one plain value in every row of the batch (most of a
    practitioner's 52 columns are empty in most files) is written into the statement once
    as a literal, as are the defaults: binding them row by row was most of the staging time.

    A row of a table that hangs off the practitioner gives as "practitioner_id" the
    practitioner's place in its batch. On SQLite the batch's practitioners get consecutive
    ids (a new rowid is the largest plus one, and the import holds the write lock), and
    `with_ids` adds the first; elsewhere ids come from a sequence that other writers share,
    and the statement looks the id up by the practitioner's ref."""

    def __init__(self, dialect, table, keys: tuple[str, ...], constants: dict[str, str]):
        child = "practitioner_id" in keys
        self.by_ref = child and dialect.name != "sqlite"
        defaults = {}
        for column in table.columns:
            if column.name in keys or column.default is None:
                continue
            if not column.default.is_scalar:
                raise ValueError(f"{table.name}.{column.name} has a computed default: give it.")
            defaults[column.name] = column.default.arg
        values = {
            name: literal_column(constants[name])
            if name in constants
            else bindparam(name, type_=table.c[name].type)
            for name in keys
        }
        if self.by_ref:
            values["practitioner_id"] = (
                select(Practitioner.id)
                .where(Practitioner.ref == bindparam("ref"))
                .scalar_subquery()
            )
        for name, value in defaults.items():
            written = _sql_literal(value) if dialect.name == "sqlite" else None
            values[name] = (
                literal_column(written)
                if written is not None
                else bindparam(name, type_=table.c[name].type)
            )
        compiled = insert(table).values(values).compile(dialect=dialect)
        self.sql = compiled.string
        self.defaults = {
            name: value
            for name, value in defaults.items()
            if isinstance(values[name], BindParameter)
        }
        self.order = self.id_at = None
        if compiled.positional:  # SQLite: a tuple a row, in the statement's order
            names = list(compiled.positiontup)
            if any(name in self.defaults for name in names):
                raise ValueError(f"{table.name}: a default that is not a plain value.")
            if not names:  # every value written into the statement: one row per ()
                self.order = lambda row: ()
            elif len(names) == 1:
                self.order = lambda row, name=names[0]: (row[name],)
            else:
                self.order = operator.itemgetter(*names)
            if child:
                self.id_at = names.index("practitioner_id")

    def parameters(self, rows: list[dict], refs: list[str]) -> list:
        """The driver's parameters of `rows`, whose batch's practitioners have these refs."""
        if self.order is None:
            if self.by_ref:
                return [row | self.defaults | {"ref": refs[row["practitioner_id"]]} for row in rows]
            return [row | self.defaults for row in rows]
        return list(map(self.order, rows))

    def with_ids(self, parameters: list, first_id: int) -> list:
        """`parameters` with each practitioner's place in the batch made its id."""
        at = self.id_at
        if at is None:
            return parameters
        return [(*p[:at], first_id + p[at], *p[at + 1 :]) for p in parameters]


def _bulk_inserts(dialect, tables: dict, refs: list[str], compiled: dict) -> list:
    """(_BulkInsert, parameters) of each table's rows, ready for executemany; each statement
    compiled once and kept in `compiled` for the next batches."""
    made = []
    for table, rows in tables.items():
        if rows:
            several = len(rows) > 1 and dialect.name == "sqlite"
            constants = _same_in_every_row(rows) if several else {}
            constants.pop("practitioner_id", None)  # made the id by with_ids
            key = (table.name, tuple(rows[0]), tuple(constants.items()))
            if key not in compiled:
                compiled[key] = _BulkInsert(dialect, table, key[1], constants)
            statement = compiled[key]
            made.append((statement, statement.parameters(rows, refs)))
    return made


def _store_batch(session: Session, statements: list, refs: list[str]) -> None:
    """Run one batch's INSERTs, the practitioners' first; inside a write transaction."""
    connection = session.connection()
    (practitioners, rows), *children = statements
    first_id = None
    if session.get_bind().dialect.name == "sqlite":
        first_id = connection.exec_driver_sql(
            "SELECT coalesce(max(id), 0) + 1 FROM practitioner"
        ).scalar_one()
    connection.exec_driver_sql(practitioners.sql, rows)
    if first_id is not None:
        last_id = first_id + len(refs) - 1
        stored = dict(
            connection.exec_driver_sql(
                "SELECT id, ref FROM practitioner WHERE id IN (?, ?)", (first_id, last_id)
            ).all()
        )
        if stored != {first_id: refs[0], last_id: refs[-1]}:
            raise ImportFailed("the practitioners of a batch were not given consecutive ids.")
    for statement, rows in children:
        connection.exec_driver_sql(statement.sql, statement.with_ids(rows, first_id))


# Each write transaction of the staging takes about this long: short enough that a submission
# waits little, long enough that the pauses between them cost little.
STAGE_SECONDS = 0.5
LARGE_CACHE_KIB = 262_144  # SQLite page cache for an import's connection (default: 2 MiB)


def _roomy_cache(session: Session) -> None:
    """A large page cache on SQLite for this connection: indexes of a large directory are
    written at random places, and a small cache reads their pages again and again. Building
    an index may sort with a helper thread per core."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"PRAGMA cache_size=-{LARGE_CACHE_KIB}"))
        session.execute(text(f"PRAGMA threads={min(os.cpu_count() or 1, 8)}"))


@contextlib.contextmanager
def _indexes_built_after(
    session: Session, table: str, adding: int, columns: frozenset[str] | None = None
):
    """On SQLite, when a table holds fewer other rows than are being added (or changed),
    drop its indexes (those on `columns`, if given) for the insert (or update) and build
    them afterwards, in the same transaction: an index built from sorted rows takes a
    fraction of the time of changing it one row at a time at random places. (Readers keep
    their snapshot with the indexes; PostgreSQL keeps its indexes, as dropping one there
    would lock readers out.)"""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    counted = adding if columns is None else 2 * adding  # an update's rows are in the table
    held = session.execute(text(f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT :n)'),
                           {"n": counted}).scalar()  # fmt: skip
    if held - (counted - adding) >= adding:
        yield
        return
    indexes = session.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
             "AND sql IS NOT NULL"),
        {"t": table},
    ).all()  # fmt: skip
    if columns is not None:
        indexes = [
            (name, sql)
            for name, sql in indexes
            if columns & {row[2] for row in session.execute(text(f'PRAGMA index_info("{name}")'))}
        ]
    for name, _sql in indexes:
        session.execute(text(f'DROP INDEX "{name}"'))
    yield
    for _name, sql in indexes:
        session.execute(text(sql))


@dataclass
class Staging:
    """What a staging stored and how it went: its practitioners, its write transactions, the
    longest, and the time spent waiting with the lock free beyond the time taken to make the
    next batch. On SQLite the practitioners' service ids (ref -> id) are given at the swap."""

    practitioners: int = 0
    service_ids: dict[str, str] | None = field(default=None, repr=False)
    batches: int = 0
    longest: float = 0.0
    paused: float = 0.0


class Stager:
    """Stores checked drafts as IMPORTING rows of `run` as they are given, in short write
    transactions (about STAGE_SECONDS each, IMPORT_BATCH practitioners to begin with), with
    one executemany per table (no ORM objects); `finish` stores the rest. Each batch's rows
    are made while the lock is free for others."""

    def __init__(
        self,
        session: Session,
        run: str,
        demo: bool = False,
        progress: Callable[[int], None] | None = None,
    ):
        self.session, self.run, self.demo, self.progress = session, run, demo, progress
        self.technique_ids = dict(session.execute(select(Technique.slug, Technique.id)).all())
        _roomy_cache(session)
        session.commit()  # a read transaction must not be what later takes the write lock
        # Dates as the database stores them (SQLite keeps text): converted once, not per row.
        self.dialect = dialect = session.get_bind().dialect
        column = Practitioner.__table__.c.created_at
        to_stored = column.type.dialect_impl(dialect).bind_processor(dialect)
        self.stamp = to_stored(utcnow()) if to_stored else utcnow()
        self.staging, self.compiled = Staging(), {}
        # A service id is a random-looking UUID: on SQLite, inserted batch by batch, each
        # batch rewrote most pages of their unique index (a third of the storing of a
        # million rows). They are stored by the swap instead, where that index is built once
        # when the import is most of the table; until then the staged rows, which nothing
        # shows, have none.
        self.later = {}
        if dialect.name == "sqlite":
            self.later = {"service_id": None}
            self.staging.service_ids = {}
        self.waiting: list[PractitionerDraft] = []
        self.size, self.released = IMPORT_BATCH, None

    def add(self, draft: PractitionerDraft) -> None:
        self.waiting.append(draft)
        self.staging.practitioners += 1
        if self.staging.service_ids is not None:
            self.staging.service_ids[draft.ref] = draft.fields["service_id"]
        if len(self.waiting) >= self.size:
            self._store()

    def finish(self) -> Staging:
        while self.waiting:
            self._store()
        return self.staging

    def _store(self) -> None:
        batch, self.waiting = self.waiting[: self.size], self.waiting[self.size :]
        practitioners = [
            d.fields
            | {
                "ref": d.ref,
                "status": IMPORTING,
                "import_run": self.run,
                "demo": bool(d.fields.get("demo")) or self.demo,
                "created_at": self.stamp,
                "updated_at": self.stamp,
            }
            | self.later
            for d in batch
        ]
        tables = {Practitioner.__table__: practitioners} | _rows_of_children(
            batch, self.technique_ids
        )
        refs = [d.ref for d in batch]
        statements = _bulk_inserts(self.dialect, tables, refs, self.compiled)
        staging = self.staging
        if self.released is not None:  # the next batch was made while the lock was free
            staging.paused += _let_other_writers_in(self.session, self.released)
        self.session.commit()  # what was read meanwhile (a place geocoded) is not a writer
        began = time.perf_counter()
        with writing():
            _store_batch(self.session, statements, refs)
            self.session.commit()
        self.released = time.perf_counter()
        took = self.released - began
        staging.batches += 1
        staging.longest = max(staging.longest, took)
        if self.progress:
            self.progress(len(batch))
        self.size = _next_batch(self.size, took)


def check_and_stage(
    session: Session,
    rows: Iterable[dict],
    technique_slugs: set[str],
    run: str,
    locate: Locator | None = None,
    demo: bool = False,
    progress: Callable[[int], None] | None = None,
    processes: int = 0,
    lines: list[int] | None = None,
) -> Staging:
    """read_csv, a refusal of refs already stored and a Stager side by side: each practitioner is stored
    (as an IMPORTING row of `run`) as soon as all its rows are checked, while the processes
    checking the file go on, until a row has a problem: the file is then checked to its end
    and nothing more is stored. Raises ImportRejected as read_csv (or, with every row right,
    refs already stored) does; what was stored of `run` by then is left for the caller to
    discard (discard_run), as on any failure before the swap. `progress` counts rows checked."""
    rows, lines = _rows_and_lines(rows, lines)
    refs = _refs(rows, lines)
    taken = _taken(session, refs)
    session.commit()
    stager = None if taken else Stager(session, run, demo)
    errors: list[RowError] = []
    refused: list[RowError] = []
    checked = _checked_drafts(
        rows, lines, technique_slugs, locate, progress, processes, errors, refs
    )
    for draft in checked:
        if draft.ref in taken:
            refused.append(_already_stored(draft))
        elif stager is not None and not errors:
            stager.add(draft)
    if errors or refused or stager is None:
        problems = errors or refused
        problems.sort(key=lambda error: error.line)
        raise ImportRejected(problems)
    return stager.finish()


@contextlib.contextmanager
def _service_ids_given(session: Session, service_ids: dict[str, str] | None):
    """With `service_ids` (ref -> id), an SQL function of a ref that gives its service id,
    on this connection while the block runs (a ref not among them fails the statement);
    without, None."""
    if service_ids is None:
        yield None
        return
    driver = session.connection().connection.driver_connection
    driver.create_function("import_service_id", 1, service_ids.__getitem__, deterministic=True)
    try:
        yield func.import_service_id
    finally:
        driver.create_function("import_service_id", 1, None)


def publish_run(session: Session, run: str, status: str, staging: Staging, note: str) -> None:
    """The swap: give a run staged by a `Stager` its status (and on SQLite its service
    ids), and when approved its search index rows and vetting records, with set-based SQL.
    Call inside one write transaction; the caller commits. ImportFailed if the run no longer
    has the practitioners staged."""
    expected = staging.practitioners
    staged = select(Practitioner.id).where(
        Practitioner.import_run == run, Practitioner.status == IMPORTING
    )
    now = utcnow()
    revet_due = (now + REVET_AFTER).date() if status == "approved" else None
    _roomy_cache(session)
    if status == "approved":
        with _indexes_built_after(session, SearchPoint.__table__.name, expected):
            session.execute(
                insert(SearchPoint).from_select(
                    listings.INDEX_COLUMNS, listings.index_rows(staged, approved_only=False)
                )
            )
        session.execute(
            insert(VettingRecord).from_select(
                ["practitioner_id", "decision", "decided_by", "decided_at", "checklist", "notes",
                 "revet_due"],
                select(
                    Practitioner.id,
                    literal("approved"),
                    literal("import"),
                    literal(now, DateTime),
                    literal({}, JSON),
                    literal(note),
                    literal(revet_due, Date),
                ).where(Practitioner.id.in_(staged)),
            )
        )  # fmt: skip
    values = {"status": status, "import_run": None}
    if status == "approved":
        values |= {"last_vetted_at": now, "revet_due": revet_due}
    changed = {"status", "import_run"}
    with _service_ids_given(session, staging.service_ids) as service_id:
        if service_id is not None:
            values["service_id"] = service_id(Practitioner.ref)
            changed.add("service_id")
        with _indexes_built_after(
            session, Practitioner.__table__.name, expected, frozenset(changed)
        ):
            published = session.execute(
                update(Practitioner)
                .where(Practitioner.import_run == run, Practitioner.status == IMPORTING)
                .values(**values),
                execution_options={"synchronize_session": False},
            ).rowcount
    if published != expected:
        raise ImportFailed(
            f"{published} of the {expected} staged practitioners were still there to publish."
        )


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    return "" if value is None else str(value)


def approved_practitioners(session: Session) -> Iterator[Practitioner]:
    """Every approved practitioner, by ref, with techniques, languages and locations loaded."""
    query = (
        select(Practitioner)
        .where(Practitioner.listed)
        .order_by(Practitioner.ref)
        .options(
            selectinload(Practitioner.techniques),
            selectinload(Practitioner.language_rows),
            selectinload(Practitioner.pattern_rows),
            selectinload(Practitioner.locations),
        )
        .execution_options(yield_per=500)
    )
    yield from session.scalars(query)


def export_rows(session: Session) -> list[dict]:
    """CSV rows of every approved listing, in a stable order (ref, location)."""
    practitioners = approved_practitioners(session)
    rows = []
    for p in practitioners:
        base = {name: _text(getattr(p, name)) for name in PRACTITIONER_COLUMNS}
        base["techniques"] = ";".join(p.technique_slugs)
        base["languages"] = ";".join(p.languages)
        base["patterns"] = ";".join(p.patterns)
        base["demo"] = _text(p.demo)
        base |= details.cells(p)
        for loc in p.locations:
            rows.append(base | {name: _text(getattr(loc, name)) for name in LOCATION_COLUMNS})
    return rows


def write_csv(path: Path, rows: list[dict], spreadsheet: bool = False) -> None:
    """Write rows with the contract's columns, UTF-8, '\\n' line ends, cells spreadsheet-safe;
    with `spreadsheet`, a byte order mark and '\\r\\n' line ends, as spreadsheets open a file
    as-is (without the mark, Excel reads UTF-8 as the machine's own code page).

    Rows are made with '\\r\\n' ends, which makes the csv module quote a cell holding a CR
    (with '\\n' it would not, and a reader would split the row there), then ended as asked."""
    line = io.StringIO()
    writer = csv.DictWriter(line, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    encoding, end = ("utf-8-sig", "\r\n") if spreadsheet else ("utf-8", "\n")
    with open(path, "w", encoding=encoding, newline="") as handle:
        for row in [dict(zip(CSV_COLUMNS, CSV_COLUMNS, strict=True)), *rows]:
            writer.writerow({name: spreadsheet_safe(cell) for name, cell in row.items()})
            handle.write(line.getvalue().removesuffix("\r\n") + end)
            line.seek(0)
            line.truncate()
