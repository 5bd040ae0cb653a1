"""Builders for test data: practitioners stored through the project's own code."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from finder.models import PracticeLocation, Practitioner, Technique

_numbers = itertools.count(1)


def make_practitioner(
    session,
    *,
    lat: float,
    lon: float,
    techniques=("physical-therapy",),
    status: str = "approved",
    city: str = "Testville",
    country: str = "US",
    **overrides,
) -> Practitioner:
    """A stored, indexed practitioner with one location; keyword arguments override fields."""
    by_slug = {t.slug: t for t in session.scalars(select(Technique))}
    practitioner = Practitioner(
        ref=f"test-{next(_numbers)}",
        name=overrides.pop("name", "Test Practitioner (demo)"),
        status=status,
        **overrides,
    )
    practitioner.techniques = [by_slug[s] for s in techniques]
    practitioner.languages = ["en"]
    practitioner.locations = [
        PracticeLocation(city=city, country=country, latitude=lat, longitude=lon)
    ]
    session.add(practitioner)
    session.flush()  # the flush indexes it too (finder.listings)
    session.commit()
    return practitioner
