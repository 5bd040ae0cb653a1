"""stored HSDS service ids: practitioner.service_id, derived from ref, for one-row lookups

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 17:30:00.000000

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# finder.models.ID_NAMESPACE and stable_id, as they are when this migration is written.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:si-joint-finder")


def upgrade():
    op.add_column('practitioner', sa.Column('service_id', sa.String(length=36), nullable=True))
    practitioner = sa.table(
        'practitioner', sa.column('id', sa.Integer), sa.column('ref', sa.String),
        sa.column('service_id', sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(practitioner.c.id, practitioner.c.ref)).all()
    for start in range(0, len(rows), 1000):
        connection.execute(
            practitioner.update()
            .where(practitioner.c.id == sa.bindparam('row_id'))
            .values(service_id=sa.bindparam('new_id')),
            [
                {'row_id': row_id, 'new_id': str(uuid.uuid5(ID_NAMESPACE, f"service:{ref}"))}
                for row_id, ref in rows[start:start + 1000]
            ],
        )
    op.create_index('ix_practitioner_service_id', 'practitioner', ['service_id'], unique=True)


def downgrade():
    op.drop_index('ix_practitioner_service_id', table_name='practitioner')
    # Not a batch copy of the table on SQLite: dropping the old copy would cascade.
    op.execute("ALTER TABLE practitioner DROP COLUMN service_id")
