"""Admin pages: sign-in, the vetting queue, review, edits and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__)


@bp.after_request
def no_store(response):
    """Admin pages hold private data: never cache them."""
    response.headers["Cache-Control"] = "no-store"
    return response


from . import mailbox, views  # noqa: E402,F401
