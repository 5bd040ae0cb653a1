"""search_point: partial covering indexes over three sample levels (1 row in 16, 256, 4,096)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:45:00.000000

A question still short of k matches after the first scan asks the samples how far to read
(finder.nearest, Neighbourhood._estimates): from mid-ocean the scan then reads one circle that
holds its answer instead of growing into a box that holds most of the table. A level's rows
are chosen by a hash of the location (finder.models.sample_clause), so no writer changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

COLUMNS = ['technique', 'band', 'lon', 'lat', 'practitioner_id', 'location_id', 'country',
           'x', 'y', 'z']
# As finder.models.sample_clause writes them (a migration keeps its own copy).
LEVELS = {
    1: '(location_id * 2654435761) % 4294967296 < 268435456',
    2: '(location_id * 2654435761) % 4294967296 < 16777216',
    3: '(location_id * 2654435761) % 4294967296 < 1048576',
}


def upgrade():
    for level, where in LEVELS.items():
        op.create_index(
            f'ix_search_point_sample{level}_covering', 'search_point', COLUMNS, unique=False,
            sqlite_where=sa.text(where), postgresql_where=sa.text(where),
        )


def downgrade():
    for level in LEVELS:
        op.drop_index(f'ix_search_point_sample{level}_covering', table_name='search_point')
