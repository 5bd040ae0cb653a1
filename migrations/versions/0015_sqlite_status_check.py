"""practitioner statuses checked by a CHECK constraint on SQLite too, instead of triggers

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 06:50:00.000000

Migration 0007 enforced the statuses on SQLite with two triggers, because SQLite cannot add
a CHECK constraint to a table without building it again. A trigger costs every insert more
than the rest of the insert (measured: 100,000 practitioners inserted in 4.5 s with the
insert trigger, 1.6 s with the CHECK constraint instead), which was most of the time a
large `import-csv` spent storing. The table is built again here with the constraint.

The rebuild follows SQLite's own procedure for changes ALTER TABLE cannot make (sqlite.org,
"Making Other Kinds Of Table Schema Changes"): with foreign keys off (outside the migration's
transaction, where that pragma has no effect), in one transaction of its own: a new table
with the rows, the old one dropped (nothing cascades: foreign keys are off), the new one
renamed, the indexes made again, and `PRAGMA foreign_key_check` empty before it commits.
"""

import re

from alembic import op


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

STATUSES = "('pending', 'approved', 'rejected', 'needs-changes', 'suspended', 'importing')"
CHECK = f"CONSTRAINT ck_practitioner_status CHECK (status IN {STATUSES})"
NEW = "practitioner_0015"
TRIGGERS = [
    f"""CREATE TRIGGER ck_practitioner_status_{event} BEFORE {event.upper()} {column}
    ON practitioner WHEN NEW.status NOT IN {STATUSES}
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_practitioner_status'); END"""
    for event, column in (("insert", ""), ("update", "OF status"))
]


def _rebuild(change, before=(), after=()) -> None:
    """Build practitioner again with its CREATE TABLE changed by `change`, rows and indexes
    kept, every table that refers to it unchanged; the statements `before` and `after` run
    in the same transaction."""
    context = op.get_context()
    with context.autocommit_block():
        bind = op.get_bind()
        table = bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'practitioner'"
        ).scalar_one()
        indexes = (
            bind.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'practitioner' "
                "AND sql IS NOT NULL"
            )
            .scalars()
            .all()
        )
        bind.exec_driver_sql("PRAGMA foreign_keys = OFF")
        try:
            bind.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                for sql in before:
                    bind.exec_driver_sql(sql)
                # After a rename SQLite keeps the name quoted: CREATE TABLE "practitioner"
                bind.exec_driver_sql(
                    re.sub(
                        r'^CREATE TABLE\s+"?practitioner"?', f"CREATE TABLE {NEW}", change(table)
                    )
                )
                bind.exec_driver_sql(f"INSERT INTO {NEW} SELECT * FROM practitioner")
                bind.exec_driver_sql("DROP TABLE practitioner")
                bind.exec_driver_sql(f"ALTER TABLE {NEW} RENAME TO practitioner")
                for sql in [*indexes, *after]:
                    bind.exec_driver_sql(sql)
                broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"rebuilding practitioner broke foreign keys: {broken[:5]}")
            except BaseException:
                bind.exec_driver_sql("ROLLBACK")
                raise
            bind.exec_driver_sql("COMMIT")
        finally:
            bind.exec_driver_sql("PRAGMA foreign_keys = ON")


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL has had the CHECK constraint since 0007
    _rebuild(
        lambda sql: sql.rstrip().removesuffix(")").rstrip() + f",\n\t{CHECK}\n)",
        before=[
            f"DROP TRIGGER IF EXISTS ck_practitioner_status_{event}"
            for event in ("insert", "update")
        ],
    )


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(lambda sql: sql.replace(f",\n\t{CHECK}\n)", "\n)"), after=TRIGGERS)
