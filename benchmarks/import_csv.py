"""Benchmark of `import-csv`: rows per second for reading, checking and storing, and the swap.

Run: .venv/bin/python benchmarks/import_csv.py [--rows 10000]

What it does:

1. Makes a SQLite file in a temporary directory with the real `init-db` (migrations and
   techniques) and writes a CSV of --rows practitioners with coordinates (one location each,
   near Ulaanbaatar; tests/import_files.py), so nothing is geocoded.
2. Times the phases of the import with the functions the command runs, in the order it
   runs them, on that database: reading (`csv_files.read_rows` of the file's bytes), checking
   and storing side by side (`csv_files.check_and_stage` with the command's processes: other
   processes check the rows while this one stores each practitioner whose rows are checked,
   in short write transactions) and the swap (`publish_run` plus its commit: one write
   transaction that gives the rows their status and, for --status approved, their search
   index rows and vetting records). Prints rows/s of each and the longest single write
   transaction, which is the longest any other writer (a submission) waits for the import.
   Between two batches the lock stays free for at least csv_files.SQLITE_PAUSE_S, so that
   waiting writers can take it; `Staging.paused` is the part of those pauses spent only
   waiting.
3. Runs the whole command, `flask --app finder import-csv FILE --status approved`, in a
   subprocess on a second fresh database, once what step 2 wrote is on the disk (os.sync),
   and prints its wall time (Python start-up included).
4. Reference workload on the same machine in the same run: N plain rows of 12 text columns
   inserted with sqlite3 executemany in one transaction into a table of the same database.
   Prints its rows/s and the ratio of the whole command's time to it (how much the import
   costs over the bare minimum of writing that many rows).

No asserts: the figures are printed. The machine may be shared and noisy; read the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from config import TestConfig  # noqa: E402
from finder import create_app, csv_files  # noqa: E402
from finder.database import writing  # noqa: E402
from finder.extensions import db  # noqa: E402
from finder.models import Technique  # noqa: E402
from tests.import_files import write_import_file  # noqa: E402

GAZETTEER = os.environ.get("GAZETTEER_PATH", str(REPO / "instance" / "gazetteer.sqlite"))


def make_app(path: Path):
    return create_app(
        TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "GAZETTEER_PATH": GAZETTEER}
    )


def fresh_database(path: Path) -> None:
    app = make_app(path)
    result = app.test_cli_runner().invoke(args=["init-db"])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    with app.app_context():
        db.engine.dispose()


def checking_processes() -> int:
    """The processes `import-csv` checks rows with (finder/cli.py): a core is the storing's."""
    return max(1, (os.cpu_count() or 1) - 1)


def timed_phases(database: Path, file: Path) -> dict[str, float]:
    """Seconds of reading, checking and storing, and the swap, and the longest write
    transaction."""
    app = make_app(database)
    with app.app_context(), csv_files.without_cycle_collection():
        slugs = set(db.session.scalars(select(Technique.slug)))
        db.session.commit()
        start = time.perf_counter()
        rows, lines = csv_files.read_rows(file.read_bytes())
        read = time.perf_counter()
        run = csv_files.new_import_run()
        staging = csv_files.check_and_stage(
            db.session, rows, slugs, run, processes=checking_processes(), lines=lines
        )
        stored = time.perf_counter()
        with writing():
            csv_files.publish_run(db.session, run, "approved", staging, "benchmark")
            db.session.commit()
        swapped = time.perf_counter()
        db.engine.dispose()
    return {
        "read": read - start,
        "check_store": stored - read,
        "pauses": staging.paused,
        "swap": swapped - stored,
        "longest_batch": staging.longest,
        "batches": staging.batches,
    }


def command_seconds(database: Path, file: Path) -> float:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "GAZETTEER_PATH": GAZETTEER,
        "SECRET_KEY": "x" * 40,
    }
    command = [sys.executable, "-m", "flask", "--app", "finder", "import-csv", str(file)]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "--status", "approved"], cwd=REPO, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    return seconds


def reference_seconds(database: Path, rows: int) -> float:
    """N plain rows of 12 text columns, executemany, one transaction."""
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    columns = [f"c{i}" for i in range(12)]
    connection.execute(
        f"CREATE TABLE reference_rows (id INTEGER PRIMARY KEY, {', '.join(columns)})"
    )
    values = [tuple(f"value {n} {i}" for i in range(12)) for n in range(rows)]
    marks = ", ".join("?" * 12)
    start = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        f"INSERT INTO reference_rows ({', '.join(columns)}) VALUES ({marks})", values
    )
    connection.execute("COMMIT")
    seconds = time.perf_counter() - start
    connection.execute("DROP TABLE reference_rows")
    connection.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="practitioners in the file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        folder = Path(folder)
        template = folder / "empty.sqlite"
        fresh_database(template)
        file = write_import_file(folder / "import.csv", args.rows)
        phases_db, command_db = folder / "phases.sqlite", folder / "command.sqlite"
        shutil.copy(template, phases_db)
        shutil.copy(template, command_db)
        phases = timed_phases(phases_db, file)
        os.sync()  # the phases' gigabytes on the disk before the command is timed, not during
        whole = command_seconds(command_db, file)
        reference = reference_seconds(phases_db, args.rows)
    n = args.rows
    print(f"import-csv of {n:,} practitioners (SQLite, coordinates given, --status approved)")
    print(f"{'phase':<34}{'seconds':>10}{'rows/s':>12}")
    for label, key in (
        ("reading", "read"),
        (f"checking ({checking_processes()} proc.) + storing", "check_store"),
        ("swap", "swap"),
    ):
        print(f"{label:<34}{phases[key]:>10.2f}{n / phases[key]:>12,.0f}")
    print(f"{'whole command (subprocess)':<34}{whole:>10.2f}{n / whole:>12,.0f}")
    print(f"{'reference: executemany, 12 columns':<34}{reference:>10.2f}{n / reference:>12,.0f}")
    print(f"waits between batches beyond making the next: {phases['pauses']:.2f} s")
    print(f"whole command / reference: {whole / reference:.1f}x")
    print(
        f"longest write transaction: {max(phases['longest_batch'], phases['swap']):.2f} s "
        f"(storing: {phases['batches']} batches, longest {phases['longest_batch']:.2f} s; "
        f"swap {phases['swap']:.2f} s)"
    )


if __name__ == "__main__":
    main()
