"""search_point.x, y, z: each row's point on the unit sphere, in the covering index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 04:25:00.000000

The nearest search ranks rows by distance in SQL (finder.nearest): the squared straight line
between points on the unit sphere, arithmetic on x, y, z read from the covering index.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

COVERING = 'ix_search_point_technique_lat_lon_covering'
BEFORE = ['technique', 'lat', 'lon', 'practitioner_id', 'location_id', 'country']


def upgrade():
    with op.batch_alter_table('search_point', schema=None) as batch_op:
        for axis in 'xyz':
            batch_op.add_column(sa.Column(axis, sa.Float(), nullable=True))
    # SQLite's math functions (or the app's stand-ins for builds without them, registered on
    # every connection by finder.database.configure_sqlite); PostgreSQL has them built in.
    op.execute(
        "UPDATE search_point SET x = cos(radians(lat)) * cos(radians(lon)),"
        " y = cos(radians(lat)) * sin(radians(lon)), z = sin(radians(lat))"
    )
    with op.batch_alter_table('search_point', schema=None) as batch_op:
        for axis in 'xyz':
            batch_op.alter_column(axis, existing_type=sa.Float(), nullable=False)
        batch_op.drop_index(COVERING)
        batch_op.create_index(COVERING, BEFORE + ['x', 'y', 'z'], unique=False)


def downgrade():
    with op.batch_alter_table('search_point', schema=None) as batch_op:
        batch_op.drop_index(COVERING)
        batch_op.create_index(COVERING, BEFORE, unique=False)
        for axis in 'zyx':
            batch_op.drop_column(axis)
