"""The techniques the directory knows, as data/techniques.json lists them: their names,
what their practitioners are called, and the Technique rows made from them."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Technique

DATA_DIR = Path(__file__).resolve().parent.parent / "data"  # the checkout's data/ folder
TECHNIQUES_FILE = DATA_DIR / "techniques.json"


@functools.cache
def technique_items(path: Path = TECHNIQUES_FILE) -> tuple[dict, ...]:
    """The techniques as data/techniques.json lists them, read once."""
    return tuple(json.loads(path.read_text("utf-8")))


def technique_nouns() -> dict[str, str]:
    """What a practitioner of each technique is called: slug -> 'MET practitioner'."""
    return {item["slug"]: item.get("noun", item["name"]) for item in technique_items()}


def technique_plurals() -> dict[str, tuple[str, str]]:
    """What practitioners of each technique are called: slug -> ('MET practitioner', 'MET
    practitioners'). Techniques listed without these words have none (say 'offering X')."""
    return {
        i["slug"]: (i["noun"], i["plural"])
        for i in technique_items()
        if i.get("noun") and i.get("plural")
    }


def load_techniques(session: Session, path: Path = TECHNIQUES_FILE) -> int:
    """Create or update the techniques listed in data/techniques.json; returns how many."""
    items = technique_items(path)
    known = {t.slug: t for t in session.scalars(select(Technique))}
    for position, item in enumerate(items):
        technique = known.get(item["slug"]) or Technique(slug=item["slug"])
        technique.name = item["name"]
        technique.short = item.get("short", item["name"])
        technique.color = item.get("color", "#555555")
        technique.description = item.get("description", "")
        technique.position = position
        session.add(technique)
    session.flush()
    return len(items)
