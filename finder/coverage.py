"""How many approved practitioners each country has, per technique (no Flask)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import ANY_TECHNIQUE, SearchPoint

FEW = 3  # fewer approved practitioners than this and a country is thinly served


def coverage_counts(session: Session) -> dict[str, dict[str, int]]:
    """country -> technique slug (and "*" for all) -> approved practitioners with a location there."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    rows = session.execute(
        select(
            SearchPoint.country,
            SearchPoint.technique,
            func.count(func.distinct(SearchPoint.practitioner_id)),
        ).group_by(SearchPoint.country, SearchPoint.technique)
    )
    for country, technique, count in rows:
        counts[country][technique] = count
    return dict(counts)


def level(count: int) -> str:
    """'none', 'few' or 'served': how a count reads on the coverage map."""
    if count == 0:
        return "none"
    return "few" if count < FEW else "served"


def total(counts: dict[str, int]) -> int:
    return counts.get(ANY_TECHNIQUE, 0)
