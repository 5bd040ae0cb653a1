"""listing reports: visitors report a problem with a public listing

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('listing_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('reporter_email', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by', sa.String(length=254), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('listing_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_report_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_report_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_report_resolved_at'), ['resolved_at'], unique=False)


def downgrade():
    with op.batch_alter_table('listing_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_report_resolved_at'))
        batch_op.drop_index(batch_op.f('ix_listing_report_created_at'))
        batch_op.drop_index(batch_op.f('ix_listing_report_practitioner_id'))

    op.drop_table('listing_report')
