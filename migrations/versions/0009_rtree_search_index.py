"""R*Tree over the search index on SQLite: box scans whose cost stays bounded

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 04:30:00.000000

The R*Tree and its triggers as finder.models.SEARCH_RTREE_DDL makes them (see there), and
its boxes for the rows already in search_point. PostgreSQL keeps the B-tree index alone.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# finder.models' R*Tree, as it is when this migration is written.
TECHNIQUE_SPACING = 1000


def code(row):
    return (
        f"CASE WHEN {row}.technique = '*' THEN 0 ELSE coalesce((SELECT id FROM technique"
        f" WHERE slug = {row}.technique), -1) * {TECHNIQUE_SPACING} END"
    )


BOX = f"NEW.id, {code('NEW')}, {code('NEW')}, NEW.lat, NEW.lat, NEW.lon, NEW.lon"


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute(
        "CREATE VIRTUAL TABLE search_point_rtree USING rtree("
        "id, technique_min, technique_max, lat_min, lat_max, lon_min, lon_max)"
    )
    op.execute(
        "CREATE TRIGGER search_point_rtree_insert AFTER INSERT ON search_point BEGIN"
        f" INSERT INTO search_point_rtree VALUES ({BOX}); END"
    )
    op.execute(
        "CREATE TRIGGER search_point_rtree_delete AFTER DELETE ON search_point BEGIN"
        " DELETE FROM search_point_rtree WHERE id = OLD.id; END"
    )
    op.execute(
        "CREATE TRIGGER search_point_rtree_update AFTER UPDATE ON search_point BEGIN"
        " DELETE FROM search_point_rtree WHERE id = OLD.id;"
        f" INSERT INTO search_point_rtree VALUES ({BOX}); END"
    )
    op.execute(
        f"INSERT INTO search_point_rtree SELECT sp.id, {code('sp')}, {code('sp')},"
        " sp.lat, sp.lat, sp.lon, sp.lon FROM search_point AS sp"
    )


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    for trigger in ('insert', 'delete', 'update'):
        op.execute(f"DROP TRIGGER IF EXISTS search_point_rtree_{trigger}")
    op.execute("DROP TABLE IF EXISTS search_point_rtree")
