"""Public pages: search, results with the map, practitioner pages."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from . import countries, crawl, guide, reports, views  # noqa: E402,F401
