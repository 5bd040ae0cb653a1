"""The directory's data version: it moves with every change to a listing, in the same
transaction, whoever makes the change (an admin, a submission, an import, a command).

Session hooks watch every flush and every INSERT/UPDATE/DELETE statement run through a
session; when either touches a listing's tables the row of DirectoryState gets a new version.
What searches found and the answers rendered from it are kept by version (finder.cached),
so a suspended listing disappears from every worker's next answer.
"""

from __future__ import annotations

import uuid
from itertools import chain

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from .models import (
    DirectoryState,
    PracticeLocation,
    Practitioner,
    PractitionerLanguage,
    PractitionerPattern,
    SearchPoint,
    Technique,
    practitioner_technique,
)

LISTING_CLASSES = (
    Practitioner,
    PracticeLocation,
    PractitionerLanguage,
    PractitionerPattern,
    SearchPoint,
    Technique,
)
LISTING_TABLES = frozenset(
    [cls.__table__.name for cls in LISTING_CLASSES] + [practitioner_technique.name]
)


def data_version(session: Session) -> str | None:
    """The directory's current data version (None before the schema has it)."""
    return session.scalar(select(DirectoryState.version).where(DirectoryState.id == 1))


def _new_version(connection) -> None:
    connection.execute(
        update(DirectoryState.__table__)
        .where(DirectoryState.__table__.c.id == 1)
        .values(version=uuid.uuid4().hex)
    )


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(item, LISTING_CLASSES) for item in changed):
        _new_version(session.connection())


@event.listens_for(Session, "do_orm_execute")
def _after_listing_statement(state):
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in LISTING_TABLES:
        return None
    result = state.invoke_statement()
    _new_version(state.session.connection())
    return result
