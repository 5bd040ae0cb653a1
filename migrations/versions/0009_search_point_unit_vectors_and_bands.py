"""search_point x, y, z and band: points on the unit sphere, one-degree bands, new covering index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 04:25:00.000000

The nearest search ranks rows by distance in SQL (finder.nearest): the squared straight line
between points on the unit sphere, arithmetic on x, y, z read from the covering index. The
index seeks each one-degree band of a box by longitude instead of reading every longitude
at the box's latitudes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BEFORE = 'ix_search_point_technique_lat_lon_covering'
BEFORE_COLUMNS = ['technique', 'lat', 'lon', 'practitioner_id', 'location_id', 'country']
AFTER = 'ix_search_point_technique_band_lon_covering'
AFTER_COLUMNS = ['technique', 'band', 'lon', 'lat', 'practitioner_id', 'location_id', 'country',
                 'x', 'y', 'z']


def upgrade():
    with op.batch_alter_table('search_point', schema=None) as batch_op:
        for axis in 'xyz':
            batch_op.add_column(sa.Column(axis, sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('band', sa.Integer(), nullable=True))
    # SQLite's math functions (or the app's stand-ins for builds without them, registered on
    # every connection by finder.database.configure_sqlite); PostgreSQL has them built in.
    op.execute(
        "UPDATE search_point SET x = cos(radians(lat)) * cos(radians(lon)),"
        " y = cos(radians(lat)) * sin(radians(lon)), z = sin(radians(lat)),"
        " band = CAST(floor(lat) AS INTEGER)"
    )
    with op.batch_alter_table('search_point', schema=None) as batch_op:
        for axis in 'xyz':
            batch_op.alter_column(axis, existing_type=sa.Float(), nullable=False)
        batch_op.alter_column('band', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(BEFORE)
        batch_op.create_index(AFTER, AFTER_COLUMNS, unique=False)


def downgrade():
    with op.batch_alter_table('search_point', schema=None) as batch_op:
        batch_op.drop_index(AFTER)
        batch_op.create_index(BEFORE, BEFORE_COLUMNS, unique=False)
        for column in ('band', 'z', 'y', 'x'):
            batch_op.drop_column(column)
