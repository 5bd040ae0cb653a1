"""/guide: the patient guide — SI-joint dysfunction, its patterns and treatments, what to ask."""

from __future__ import annotations

from flask import render_template

from ..models import PATTERNS
from . import bp


@bp.get("/guide")
def guide():
    """The patient guide, in the page's language."""
    return render_template("guide.html", patterns=PATTERNS)
