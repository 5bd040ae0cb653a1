"""search_point: a covering index led by technique and country

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:20:00.000000

"The nearest in Laos" from a city in China: the scan seeks Lao rows by technique, country,
band and longitude instead of reading every Chinese row inside its box (finder.nearest).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

NAME = 'ix_search_point_technique_country_band_lon_covering'
COLUMNS = ['technique', 'country', 'band', 'lon', 'lat', 'practitioner_id', 'location_id',
           'x', 'y', 'z']


def upgrade():
    op.create_index(NAME, 'search_point', COLUMNS, unique=False)


def downgrade():
    op.drop_index(NAME, table_name='search_point')
