"""search_point: the practitioner's flags in the covering indexes; sample levels

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:45:00.000000

`flags` holds the practitioner's answers a search filters on (telehealth 1, home visits 2,
international patients 4, gentle only 8: finder.models.FLAGS), so "who offers telehealth"
is answered from the index without a lookup per row; the two covering indexes are made
again with it. Three partial covering indexes hold samples of the rows (1 in 16, 256,
4,096, chosen by a hash of the location: finder.models.sample_clause): a question still
short of k matches asks them how far to read (finder.nearest, Neighbourhood._estimates).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

BY_BAND = 'ix_search_point_technique_band_lon_covering'
BY_COUNTRY = 'ix_search_point_technique_country_band_lon_covering'
BAND_COLUMNS = ['technique', 'band', 'lon', 'lat', 'practitioner_id', 'location_id', 'country',
                'x', 'y', 'z']
COUNTRY_COLUMNS = ['technique', 'country', 'band', 'lon', 'lat', 'practitioner_id',
                   'location_id', 'x', 'y', 'z']
# As finder.models.sample_clause writes them (a migration keeps its own copy).
LEVELS = {
    1: '(location_id * 2654435761) % 4294967296 < 268435456',
    2: '(location_id * 2654435761) % 4294967296 < 16777216',
    3: '(location_id * 2654435761) % 4294967296 < 1048576',
}
FLAGS = ("(SELECT coalesce(CAST(p.telehealth AS INTEGER), 0)"
         " + 2 * coalesce(CAST(p.home_visits AS INTEGER), 0)"
         " + 4 * coalesce(CAST(p.accepts_international AS INTEGER), 0)"
         " + 8 * coalesce(CAST(p.gentle_only AS INTEGER), 0)"
         " FROM practitioner p WHERE p.id = search_point.practitioner_id)")


def upgrade():
    op.drop_index(BY_BAND, table_name='search_point')
    op.drop_index(BY_COUNTRY, table_name='search_point')
    with op.batch_alter_table('search_point') as batch:
        batch.add_column(sa.Column('flags', sa.Integer(), nullable=False, server_default='0'))
    op.execute(f'UPDATE search_point SET flags = {FLAGS}')
    op.create_index(BY_BAND, 'search_point', BAND_COLUMNS + ['flags'])
    op.create_index(BY_COUNTRY, 'search_point', COUNTRY_COLUMNS + ['flags'])
    for level, where in LEVELS.items():
        op.create_index(
            f'ix_search_point_sample{level}_covering', 'search_point', BAND_COLUMNS + ['flags'],
            sqlite_where=sa.text(where), postgresql_where=sa.text(where),
        )


def downgrade():
    for level in LEVELS:
        op.drop_index(f'ix_search_point_sample{level}_covering', table_name='search_point')
    op.drop_index(BY_BAND, table_name='search_point')
    op.drop_index(BY_COUNTRY, table_name='search_point')
    with op.batch_alter_table('search_point') as batch:
        batch.drop_column('flags')
    op.create_index(BY_BAND, 'search_point', BAND_COLUMNS)
    op.create_index(BY_COUNTRY, 'search_point', COUNTRY_COLUMNS)
