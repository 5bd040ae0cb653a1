"""Scripts, styles and icons with their content's fingerprint in the URL, cached for a year.

Every `url_for('static', ...)` and `url_for('vendor.asset', ...)` gets `?v=` and a hash of
the file as it is now. A request carrying the current hash is answered as immutable for a
year, so browsers load each file once and never ask again on the next page; a changed file
has a new hash, hence a new URL. A request without it (or with an old one) is revalidated.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, request

from .vendor import PACKAGES

A_YEAR = 365 * 86400


@lru_cache(maxsize=256)
def _digest(path: str, _modified: int, _size: int) -> str:
    """The file's fingerprint, computed again only when its time or size changes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def fingerprint(path: Path) -> str | None:
    """A short hash of the file's content, or None if there is no such file."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _digest(str(path), stat.st_mtime_ns, stat.st_size)


def asset_path(endpoint: str | None, values: dict) -> Path | None:
    """The file behind a static or vendored asset's URL values, if they name one."""
    filename = values.get("filename")
    if not filename:
        return None
    if endpoint == "static":
        return Path(current_app.static_folder) / filename
    if endpoint == "vendor.asset" and values.get("package") in PACKAGES:
        return Path(PACKAGES[values["package"]]) / filename
    return None


def add_fingerprint(endpoint: str | None, values: dict) -> None:
    """url_for for a static or vendored file: append ?v=<hash of its content>."""
    if "v" in values:
        return
    path = asset_path(endpoint, values)
    version = fingerprint(path) if path is not None else None
    if version:
        values["v"] = version


def cache_fingerprinted(response):
    """A file fetched by its current fingerprint never changes: a year, immutable."""
    version = request.args.get("v")
    if response.status_code != 200 or not version:
        return response
    path = asset_path(request.endpoint, request.view_args or {})
    if path is not None and version == fingerprint(path):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = A_YEAR
        response.cache_control.immutable = True
        response.headers.pop("Expires", None)
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(add_fingerprint)
    app.after_request(cache_fingerprinted)
