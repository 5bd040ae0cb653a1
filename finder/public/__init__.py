"""Public pages: search, results with the map, practitioner pages."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from . import claims, countries, crawl, guide, reports, views  # noqa: E402,F401
