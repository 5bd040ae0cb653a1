"""import runs: practitioner.import_run marks the rows of an import-csv still being stored

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_run', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_practitioner_import_run'), ['import_run'], unique=False)


def downgrade():
    # Rows of an unfinished run are not listings: remove them before the column goes.
    op.execute("DELETE FROM practitioner WHERE status = 'importing'")
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practitioner_import_run'))
        batch_op.drop_column('import_run')
