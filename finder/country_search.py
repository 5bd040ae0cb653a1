"""A country as the place searched: its main population centre, from the gazetteer file.

A read-only query of its own (the gazetteer module owns building and the other lookups):
the largest city of a country is where a whole-country search measures distances from.
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Centre:
    """A country's largest city in the gazetteer."""

    name: str
    lat: float
    lon: float


@functools.lru_cache(maxsize=512)
def main_centre(gazetteer_path: str, country: str) -> Centre | None:
    """The most populous city of the country (ISO alpha-2), or None if it has none."""
    uri = f"{Path(gazetteer_path).resolve().as_uri()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        row = conn.execute(
            "SELECT name, lat, lon FROM city WHERE country = ? ORDER BY population DESC, id"
            " LIMIT 1",
            (country.upper(),),
        ).fetchone()
    return Centre(*row) if row else None
