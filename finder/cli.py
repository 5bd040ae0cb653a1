"""flask --app finder COMMAND: schema, demo data, CSV import/export, admins."""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import func, select

from . import csv_files, open_data, postgis, techniques
from .auth import hasher
from .claims import request_confirmations
from .database import writing
from .extensions import db
from .gazetteer import ensure_built
from .geocode import geocode, settings_from_config
from .listings import audit
from .mail import MailSettingError, send_pending, server_from_url
from .models import Admin, Practitioner, Technique
from .submissions import purge_submitters

MIN_PASSWORD_LENGTH = 12
BACKUP_STEP_PAGES = 1024  # pages copied per step of the online backup (progress granularity)


def public_request_context(app):
    """A request context on the site's public address, so mail written by a command links
    back to the site (SERVER_NAME when set, else PUBLIC_URL)."""
    if app.config.get("SERVER_NAME"):
        scheme = app.config.get("PREFERRED_URL_SCHEME") or "https"
        return app.test_request_context(base_url=f"{scheme}://{app.config['SERVER_NAME']}")
    return app.test_request_context(base_url=app.config["PUBLIC_URL"])


def _progress_printer(label: str):
    def report(stage, count=None):
        click.echo(f"{label}: {stage}" + (f" {count:,}" if count is not None else ""), err=True)

    return report


def _remove_abandoned_runs() -> None:
    """Delete what imports that died part way left behind, saying so."""
    abandoned = csv_files.abandoned_runs(db.session)
    db.session.commit()
    for run in abandoned:
        removed = csv_files.discard_run(db.session, run)
        click.echo(
            f"Removed {removed:,} unfinished listings left by an import that stopped ({run}).",
            err=True,
        )


def _import(path: Path, status: str, demo: bool) -> int:
    """Check the file and store it in short batches side by side, invisible until one final
    swap once every row is right; returns how many practitioners were imported. Progress goes
    to stderr."""
    with csv_files.without_cycle_collection():
        return _import_file(path, status, demo)


def _import_file(path: Path, status: str, demo: bool) -> int:
    settings = settings_from_config(current_app.config)
    technique_slugs = set(db.session.scalars(select(Technique.slug)))
    if not technique_slugs:
        raise click.ClickException("No techniques: run `flask --app finder init-db` first.")

    def locate(text: str) -> tuple[float, float]:
        place = geocode(db.session, text, **settings)
        return place.lat, place.lon

    try:
        data = path.read_bytes()
    except OSError as error:
        raise click.ClickException(f"Cannot read {path}: {error}") from None
    try:
        rows, lines = csv_files.read_rows(data)
    except csv_files.ImportRejected as rejected:
        _rejected(path, rejected)
    _remove_abandoned_runs()
    run = csv_files.new_import_run()
    try:
        # Each practitioner is stored as soon as its rows are checked, while the rest of the
        # file is checked by other processes, one a core but this one's (the storing keeps it
        # busy); a problem anywhere stops the storing.
        with click.progressbar(
            length=len(rows), label="Checking and storing rows", file=sys.stderr
        ) as bar:
            staging = csv_files.check_and_stage(
                db.session,
                rows,
                technique_slugs,
                run,
                locate,
                demo=demo,
                progress=bar.update,
                processes=max(1, (os.cpu_count() or 1) - 1),
                lines=lines,
            )
        with click.progressbar(length=1, label="Publishing", file=sys.stderr) as bar:
            with writing():
                csv_files.publish_run(
                    db.session, run, status, staging, f"Imported from {path.name} as approved."
                )
                audit(
                    db.session,
                    actor="cli",
                    action="import-csv",
                    entity="practitioner",
                    entity_id=None,
                    before=None,
                    after={"file": path.name, "count": staging.practitioners, "status": status},
                )
                db.session.commit()
            bar.update(1)
    except BaseException as error:  # even Ctrl-C: never leave a half-stored file behind
        try:
            removed = csv_files.discard_run(db.session, run)
        except Exception:
            removed = None
        if isinstance(error, csv_files.ImportRejected):  # never published: nothing shows
            _rejected(path, error)
        if not isinstance(error, Exception):
            raise
        cause = getattr(error, "orig", None) or error
        left = (
            f"its {removed:,} stored listings were removed"
            if removed is not None
            else "what was stored is removed by the next import-csv"
        )
        raise click.ClickException(
            f"Storing {path.name} failed ({cause}); {left}; nothing was imported."
        ) from None
    return staging.practitioners


def _rejected(path: Path, rejected: csv_files.ImportRejected) -> NoReturn:
    """Say every problem of a file that was not imported, and fail the command."""
    db.session.rollback()
    for error in rejected.errors:
        click.echo(f"{path.name}: {error}", err=True)
    raise click.ClickException(
        f"{len(rejected.errors)} problem(s) in {path.name}; nothing was imported."
    ) from None


def _sqlite_path_to_back_up(url) -> Path:
    """The SQLite file behind the database URL; other databases are refused with advice."""
    if url.get_backend_name() != "sqlite":
        libpq_url = url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)
        raise click.ClickException(
            f"backup copies SQLite databases; this site runs on {url.get_backend_name()}. "
            f"Use pg_dump instead: pg_dump --format=custom --file=FILE '{libpq_url}' "
            "(restore with pg_restore)."
        )
    if url.database in (None, "", ":memory:") or url.database.startswith("file::memory:"):
        raise click.ClickException("The database is in memory: there is no file to back up.")
    path = Path(url.database)
    if not path.is_file():
        raise click.ClickException(f"No database file at {path}.")
    return path


def _sqlite_backup(source_path: Path, target: Path) -> int:
    """Copy source_path to target with SQLite's online backup; returns the pages copied.

    Every step reads from one read transaction, so the copy is the database as it was at
    the start however long it takes, while the site keeps writing (WAL readers never block
    writers). The copy is written beside the target and renamed into place when complete
    and checked, so a failed backup never leaves a half-written file under the target name.
    """
    try:
        handle, temporary_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
        )
        os.close(handle)
    except OSError as error:
        raise click.ClickException(f"Cannot write {target}: {error.strerror}.") from None
    temporary = Path(temporary_name)
    source = sqlite3.connect(source_path, isolation_level=None)
    copy = sqlite3.connect(temporary, isolation_level=None)
    try:
        source.execute("PRAGMA busy_timeout=10000")
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_schema")  # one snapshot for the whole copy
        total = source.execute("PRAGMA page_count").fetchone()[0]
        with click.progressbar(length=total, label="Copying pages", file=sys.stderr) as bar:

            def progress(_status, remaining, pages):
                bar.update(pages - remaining - bar.pos)

            source.backup(copy, pages=BACKUP_STEP_PAGES, progress=progress)
        source.execute("COMMIT")
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise click.ClickException(f"The copy failed SQLite's quick_check: {check}")
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        copy.close()
        os.replace(temporary, target)
    except (sqlite3.Error, OSError) as error:
        raise click.ClickException(f"Backup to {target} failed: {error}") from None
    finally:
        source.close()
        copy.close()
        temporary.unlink(missing_ok=True)
    return total


def register_commands(app) -> None:
    """Attach the commands to the application's CLI."""

    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the schema (migrations), load techniques, build the gazetteer."""
        ensure_built(current_app.config["GAZETTEER_PATH"], progress=_progress_printer("gazetteer"))
        upgrade(directory=str(Path(current_app.root_path).parent / "migrations"))
        with writing():
            count = techniques.load_techniques(db.session)
            db.session.commit()
        with writing():  # PostGIS: an index on each technique's points (finder.postgis)
            made = postgis.index_techniques(db.session.connection())
            db.session.commit()
        if made:
            click.echo(f"Made {len(made)} PostGIS indexes: {', '.join(made)}.")
        click.echo(f"Database ready; {count} techniques.")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Load the fictional demo data set (marked demo) as approved listings."""
        existing = db.session.scalar(select(func.count()).where(Practitioner.demo.is_(True)))
        if existing:
            click.echo(f"Demo data already loaded ({existing} practitioners); nothing to do.")
            return
        stored = _import(csv_files.DEMO_FILE, "approved", demo=True)
        click.echo(f"Loaded {stored} demo practitioners.")

    @app.cli.command("import-csv")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--status",
        type=click.Choice(["pending", "approved"]),
        default="pending",
        show_default=True,
        help="Status given to every imported listing.",
    )
    def import_csv(file: Path, status: str):
        """Import practitioners from FILE; a file with any bad row is rejected whole."""
        stored = _import(file, status, demo=False)
        click.echo(f"Imported {stored} practitioners as {status}.")

    @app.cli.command("export-csv")
    @click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
    @click.option(
        "--spreadsheet",
        is_flag=True,
        help="Byte order mark and CRLF line ends, for spreadsheets to open as-is.",
    )
    def export_csv(file: Path, spreadsheet: bool):
        """Write every approved listing to FILE (one row per practice location)."""
        rows = csv_files.export_rows(db.session)
        csv_files.write_csv(file, rows, spreadsheet=spreadsheet)
        click.echo(f"Wrote {len(rows)} rows to {file}.")

    @app.cli.command("export-hsds")
    @click.argument(
        "directory_path", metavar="DIR", type=click.Path(file_okay=False, path_type=Path)
    )
    @click.option(
        "--standard",
        type=click.Path(file_okay=False, path_type=Path),
        default=open_data.HSDS_STANDARD_DIR,
        show_default=True,
        help="Folder of the HSDS 3.0 standard (its datapackage.json); env HSDS_STANDARD_DIR.",
    )
    def export_hsds(directory_path: Path, standard: Path):
        """Write every approved listing to DIR as an HSDS 3.0 CSV datapackage."""
        if not (standard / "datapackage.json").is_file():
            raise click.ClickException(
                f"No HSDS 3.0 datapackage.json in {standard}; give --standard or HSDS_STANDARD_DIR."
            )
        counts = open_data.write_hsds_package(db.session, directory_path, standard)
        click.echo(
            f"Wrote {counts['service']} services at {counts['location']} locations "
            f"to {directory_path}."
        )

    @app.cli.command("export-fhir")
    @click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
    def export_fhir(file: Path):
        """Write every approved listing to FILE as a FHIR R4 Bundle (type collection)."""
        counts = open_data.write_fhir_bundle(db.session, file)
        click.echo(
            f"Wrote {counts['Practitioner']} practitioners "
            f"({sum(counts.values())} resources) to {file}."
        )

    @app.cli.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def backup(file: Path):
        """Copy the SQLite database to FILE consistently, even while the site is writing."""
        source = _sqlite_path_to_back_up(db.engine.url)
        target = file.resolve()
        if target == source.resolve():
            raise click.ClickException("FILE is the database itself; give another path.")
        pages = _sqlite_backup(source, target)
        size = target.stat().st_size
        click.echo(f"Backed up {source} to {file} ({pages:,} pages, {size / 1024**2:.1f} MB).")

    @app.cli.command("purge-submitters")
    @click.option(
        "--older-than",
        "--days",
        "days",
        type=click.IntRange(min=0),
        required=True,
        help="Erase what was left more than DAYS days ago.",
    )
    def purge_submitters_command(days: int):
        """Erase the names and emails of people who submitted listings, and the emails left
        with unmet-need requests and problem reports, more than DAYS ago."""
        with writing():
            purged = purge_submitters(db.session, days, actor="cli")
            db.session.commit()
        click.echo(
            f"Erased submitter details of {purged.submissions} submission(s) and the emails "
            f"of {purged.unmet_need_emails} unmet-need request(s) and "
            f"{purged.report_emails} problem report(s)."
        )

    @app.cli.command("send-mail")
    @click.option(
        "--limit", type=click.IntRange(min=1), default=500, help="Send at most this many."
    )
    def send_mail_command(limit: int):
        """Deliver queued mail through MAIL_URL's server (run it from cron or a timer)."""
        if not current_app.config.get("MAIL_URL"):
            click.echo("MAIL_URL is not set: messages stay in the admin outbox (/admin/outbox).")
            return
        try:
            server_from_url(current_app.config["MAIL_URL"])
        except MailSettingError as error:
            raise click.ClickException(str(error)) from None

        def report(done):
            click.echo(f"  sent {done.sent}, to retry {done.retried}, failed {done.failed}")

        with public_request_context(current_app):
            done = send_pending(db.session, limit, progress=report if limit > 20 else None)
        click.echo(
            f"Sent {done.sent} message(s); {done.retried} will be tried again later, "
            f"{done.failed} failed for good."
        )

    @app.cli.command("request-confirmations")
    @click.option(
        "--now",
        "now",
        type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
        default=None,
        help="Act as if it were this day (UTC), e.g. to catch up.",
    )
    def request_confirmations_command(now):
        """Ask listings whose re-vetting date is near to confirm or update (a mail each),
        remind once after two weeks, then flag to admins the ones nobody answered."""
        with public_request_context(current_app), writing():
            done = request_confirmations(db.session, now)
            db.session.commit()
        click.echo(
            f"Asked {done.asked} listing(s) to confirm, reminded {done.reminded}, "
            f"flagged {done.flagged} to admins."
        )

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--password", required=True, help=f"At least {MIN_PASSWORD_LENGTH} characters.")
    def create_admin(email: str, password: str):
        """Create an administrator who can vet listings."""
        email = email.strip().lower()
        if "@" not in email or len(email) > 254:
            raise click.BadParameter("give an email address.", param_hint="EMAIL")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise click.BadParameter(
                f"use at least {MIN_PASSWORD_LENGTH} characters.", param_hint="--password"
            )
        with writing():
            if db.session.scalar(select(Admin).where(Admin.email == email)):
                raise click.ClickException(f"An admin with the email {email} already exists.")
            db.session.add(Admin(email=email, password_hash=hasher.hash(password)))
            audit(
                db.session,
                actor="cli",
                action="create-admin",
                entity="admin",
                before=None,
                after={"email": email},
            )
            db.session.commit()
        click.echo(f"Admin {email} created.")
