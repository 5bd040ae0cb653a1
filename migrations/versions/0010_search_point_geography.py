"""search_point geography point and GiST index, on PostgreSQL with PostGIS

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:35:00.000000

Only where the server has PostGIS and btree_gist (and the user may create them, or they are
there already): the nearest search then asks the GiST index for the k nearest rows
(finder.postgis, finder.nearest). Elsewhere, SQLite included, this revision changes nothing
and the portable box search answers.
"""
from alembic import op

from finder.postgis import add_geography, drop_geography


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    add_geography(op.get_bind())


def downgrade():
    drop_geography(op.get_bind())
