"""PostGIS behind the search index, where the PostgreSQL server has it.

Every search_point row gets a geography point (a stored generated column, so no writer
changes) and a GiST index on (technique, point), with btree_gist for the text column, plus
one on the points of each technique alone (a partial index: `index_techniques`). The nearest
search then asks an index for rows in order of distance (`<->`, k nearest first) instead of
scanning latitude band ranges (finder.nearest): the one of its technique when it asks
for one (the k nearest of "*" from one technique's index: 0.5 ms at 1M locations, against
3.4 ms from the index on both columns), else the one on both. Without PostGIS, or on
SQLite, nothing here applies and the portable band-range search answers.

The extensions live wherever the server has them (usually `public`); every name of theirs
is written with that schema, so a connection whose search_path leaves it out still works.
"""

from __future__ import annotations

import re
import weakref

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

COLUMN = "geog"
INDEX = "ix_search_point_technique_geog"
_LOCK = 7_245_001  # advisory lock: two processes creating the extensions at once would clash
_found: weakref.WeakKeyDictionary[Engine, str | None] = weakref.WeakKeyDictionary()


def _extension_schema(connection: Connection) -> str | None:
    return connection.execute(
        text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = 'postgis'"
        )
    ).scalar()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def add_geography(connection: Connection) -> bool:
    """On PostgreSQL with PostGIS and btree_gist available: both extensions (when the user
    may create them), the geography column and its index. True when they are there."""
    if connection.dialect.name != "postgresql":
        return False
    available = set(
        connection.execute(
            text("SELECT name FROM pg_available_extensions WHERE name IN ('postgis', 'btree_gist')")
        ).scalars()
    )
    if available != {"postgis", "btree_gist"}:
        return False
    connection.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK})"))
    try:  # all or nothing: without any part of it the portable search stays
        with connection.begin_nested():
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public"))
            gis = _quoted(_extension_schema(connection))
            # Beside PostGIS, wherever that is: a restore then needs one schema made first.
            connection.execute(text(f"CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA {gis}"))
            connection.execute(
                text(
                    f"ALTER TABLE search_point ADD COLUMN IF NOT EXISTS {COLUMN} {gis}.geography"
                    f" GENERATED ALWAYS AS ({gis}.ST_SetSRID({gis}.ST_MakePoint(lon, lat), 4326)"
                    f"::{gis}.geography) STORED"
                )
            )
            connection.execute(
                text(
                    f"CREATE INDEX IF NOT EXISTS {INDEX} ON search_point"
                    f" USING gist (technique, {COLUMN})"
                )
            )
    except DBAPIError:  # not allowed to (create the extensions, use their schema)
        return False
    index_techniques(connection)
    return True


ANY_TECHNIQUE = "*"  # as models.ANY_TECHNIQUE (not imported: migrations import this module)
TECHNIQUE_SLUG = re.compile(r"[a-z0-9*-]{1,40}")  # a slug that may be written into SQL


def technique_index(slug: str) -> str:
    """The name of the GiST index on the points of one technique ("*": every location)."""
    return "ix_search_point_geog_" + ("any" if slug == ANY_TECHNIQUE else slug.replace("-", "_"))


def technique_literal(slug: str) -> str | None:
    """The slug as an SQL string literal, or None when it is not a plain slug: the statement
    names its technique so that PostgreSQL can use that technique's partial index (a bound
    parameter would not let a prepared statement's generic plan use it)."""
    return f"'{slug}'" if TECHNIQUE_SLUG.fullmatch(slug) else None


def index_techniques(connection: Connection) -> list[str]:
    """Where search_point has its geography column: a partial GiST index on the points of
    "*" and of each technique in the technique table, made if missing (init-db runs this
    after loading the techniques). Returns the names of those it made."""
    if connection.dialect.name != "postgresql" or not _has_column(connection):
        return []
    slugs = [ANY_TECHNIQUE, *connection.execute(text("SELECT slug FROM technique")).scalars()]
    existing = set(
        connection.execute(
            text(
                "SELECT indexname FROM pg_indexes"
                " WHERE schemaname = current_schema() AND tablename = 'search_point'"
            )
        ).scalars()
    )
    made = []
    connection.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK})"))
    for slug in slugs:
        literal, name = technique_literal(slug), technique_index(slug)
        if literal is None or name in existing:
            continue
        connection.execute(
            text(
                f"CREATE INDEX IF NOT EXISTS {name} ON search_point USING gist ({COLUMN})"
                f" WHERE technique = {literal}"
            )
        )
        made.append(name)
    return made


def drop_geography(connection: Connection) -> None:
    """The column and index go; the extensions stay (other things may use them)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"DROP INDEX IF EXISTS {INDEX}"))
        connection.execute(text(f"ALTER TABLE search_point DROP COLUMN IF EXISTS {COLUMN}"))


def schema_for_search(connection: Connection) -> str | None:
    """The quoted schema of PostGIS when search_point has its geography column (the nearest
    search then asks the GiST index), else None. Asked once per engine."""
    engine = connection.engine
    if engine in _found:
        return _found[engine]
    found = None
    if connection.dialect.name == "postgresql":
        schema = _extension_schema(connection) if _has_column(connection) else None
        found = _quoted(schema) if schema else None
    _found[engine] = found
    return found


def _has_column(connection: Connection) -> bool:
    return bool(
        connection.execute(
            text(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                f" AND table_name = 'search_point' AND column_name = '{COLUMN}'"
            )
        ).scalar()
    )
