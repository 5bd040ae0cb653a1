"""directory state: a data version for search caches; practitioner statuses checked

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:00:00.000000

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

STATUSES = "('pending', 'approved', 'rejected', 'needs-changes', 'suspended', 'importing')"
STATUS_CHECK = f"status IN {STATUSES}"
# SQLite cannot add a CHECK to a table without copying it, and dropping the old copy would
# cascade to every child row: triggers enforce the same rule there.
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER ck_practitioner_status_{event} BEFORE {event.upper()} {column}
    ON practitioner WHEN NEW.status NOT IN {STATUSES}
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_practitioner_status'); END"""
    for event, column in (("insert", ""), ("update", "OF status"))
]


def upgrade():
    state = op.create_table('directory_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(state, [{'id': 1, 'version': uuid.uuid4().hex}])
    if op.get_bind().dialect.name == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        op.create_check_constraint('ck_practitioner_status', 'practitioner', STATUS_CHECK)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER ck_practitioner_status_{event}")
    else:
        op.drop_constraint('ck_practitioner_status', 'practitioner', type_='check')
    op.drop_table('directory_state')
