"""Leaflet and its marker-cluster plugin, served from the xstatic packages (no CDN)."""

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from flask import Blueprint, abort, send_from_directory

bp = Blueprint("vendor", __name__)

PACKAGES = {
    "leaflet": xstatic.pkg.leaflet.BASE_DIR,
    "markercluster": xstatic.pkg.leaflet_markercluster.BASE_DIR,
}


@bp.get("/<package>/<path:filename>")
def asset(package: str, filename: str):
    """A file of one vendored package, cached for a day."""
    if package not in PACKAGES:
        abort(404)
    return send_from_directory(PACKAGES[package], filename, max_age=86400)
