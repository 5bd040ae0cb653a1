"""What a worker keeps between requests, keyed by the directory's data version.

Every request reads the version once (one small query); anything computed from listings is
kept per worker under it, so a change in any worker's transaction is seen by all at once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import NamedTuple

from flask import Response, current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from .coverage import coverage_counts
from .extensions import db
from .listings import data_version
from .models import Practitioner, PractitionerLanguage, Technique
from .search import Recent
from .security import csp_nonce


class TechniqueInfo(NamedTuple):
    """A technique as pages show it (plain data: safe to keep across requests)."""

    slug: str
    name: str
    short: str
    color: str
    description: str
    position: int


def version() -> str | None:
    """The directory's data version, read once per request."""
    if "data_version" not in g:
        g.data_version = data_version(db.session)
    return g.data_version


def _store() -> dict:
    return current_app.extensions.setdefault("finder.cached", {})


def _kept(name: str, compute):
    """compute() once per data version and worker (recomputed after any change)."""
    current = version()
    store = _store()
    held = store.get(name)
    if current is not None and held is not None and held[0] == current:
        return held[1]
    value = compute()
    if current is not None:
        store[name] = (current, value)
    return value


def techniques() -> dict[str, TechniqueInfo]:
    """Every technique by slug, in display order."""

    def load():
        rows = db.session.scalars(select(Technique).order_by(Technique.position))
        return {
            t.slug: TechniqueInfo(t.slug, t.name, t.short, t.color, t.description, t.position)
            for t in rows
        }

    return _kept("techniques", load)


def spoken_languages() -> list[str]:
    """The language codes approved listings speak, sorted."""

    def load():
        return db.session.scalars(
            select(PractitionerLanguage.code)
            .join(Practitioner, Practitioner.id == PractitionerLanguage.practitioner_id)
            .where(Practitioner.listed)
            .distinct()
            .order_by(PractitionerLanguage.code)
        ).all()

    return _kept("spoken_languages", load)


def coverage() -> dict[str, dict[str, int]]:
    """Approved practitioners per country and technique (see coverage.coverage_counts)."""
    return _kept("coverage", lambda: coverage_counts(db.session))


def found_cache() -> Recent:
    """This worker's cache of what searches found."""
    return current_app.extensions.setdefault("finder.found", Recent(512))


# Pages are kept with this in place of the CSP nonce, and served with a fresh nonce in its
# place. Made per process and never shown, so no visitor can put it into a page.
NONCE_STAND_IN = secrets.token_hex(16)
ANSWERS_KEPT = 256


def _answers() -> Recent:
    return current_app.extensions.setdefault("finder.answers", Recent(ANSWERS_KEPT))


def _answer_key() -> tuple | None:
    """Everything a public GET answer depends on, or None when it must not be kept (a
    signed-in admin, a message waiting to be shown, no data version yet)."""
    if request.method not in ("GET", "HEAD") or current_user.is_authenticated:
        return None
    if session.get("_flashes"):
        return None
    current = version()
    if current is None:
        return None
    return (
        current,
        dt.date.today(),
        request.host,
        request.full_path,
        str(get_locale()),
        request.headers.get("Accept-Language", ""),
    )


def answer(render: Callable[[], object]) -> Response:
    """The response `render()` makes for this request, kept per worker and data version when
    it succeeded: the same page again is served without searching or rendering."""
    key = _answer_key()
    kept = _answers().get(key) if key is not None else None
    if kept is None:
        g.csp_nonce = NONCE_STAND_IN  # what templates write where the nonce goes
        try:
            response = make_response(render())
        finally:
            g.pop("csp_nonce", None)
        body = response.get_data()
        if key is not None and response.status_code == 200:
            _answers().put(key, (body, list(response.headers.items())))
    else:
        body, headers = kept
        response = Response(headers=headers)
    response.set_data(body.replace(NONCE_STAND_IN.encode(), csp_nonce().encode()))
    return response
