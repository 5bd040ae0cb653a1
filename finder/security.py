"""Response headers that hold on every page: a nonce-based Content-Security-Policy and friends."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlsplit

from flask import current_app, g


def csp_nonce() -> str:
    """This request's script nonce (made on first use, the same for the whole response)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def tile_origin(tile_url: str) -> str:
    """The scheme and host of the tile server ('https://*.tile.example.org' for '{s}.')."""
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return ""
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy(nonce: str, tile_url: str) -> str:
    """No inline script without the nonce, no eval, no plugins, no framing, forms to us only."""
    tiles = tile_origin(tile_url)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: {tiles}".rstrip(),
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def add_security_headers(response):
    """Every response: CSP, no sniffing, no framing, a careful referrer, HSTS if configured."""
    nonce = csp_nonce()
    response.headers["Content-Security-Policy"] = content_security_policy(
        nonce, current_app.config["TILE_URL"]
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    hsts_seconds = current_app.config.get("HSTS_SECONDS") or 0
    if hsts_seconds > 0:
        # Browsers heed it on HTTPS only; production serves nothing else.
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={int(hsts_seconds)}; includeSubDomains"
        )
    return response


# Headers every response must carry; added at the WSGI edge to any response that lacks
# them (an error page whose own after_request failed), and sent with the last-resort 500.
BASELINE_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
]
LAST_RESORT_BODY = b"Something went wrong on our side. Please try again in a little while.\n"


class LastResort:
    """WSGI middleware: every response carries the security headers, and an error that
    escapes Flask (even its error pages) still gets a plain 500 with them."""

    def __init__(self, app):
        self.app = app
        self.log = logging.getLogger("finder")

    def __call__(self, environ, start_response):
        def start_with_baseline(status, headers, exc_info=None):
            present = {name.lower() for name, _value in headers}
            missing = [(n, v) for n, v in BASELINE_HEADERS if n.lower() not in present]
            return start_response(status, [*headers, *missing], exc_info)

        try:
            return self.app(environ, start_with_baseline)
        except Exception:
            self.log.exception("Error outside the application's error pages")
            headers = [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Cache-Control", "no-store"),
                *BASELINE_HEADERS,
            ]
            # Flask calls start_response last of all, so nothing has been started yet.
            start_response("500 INTERNAL SERVER ERROR", headers)
            return [LAST_RESORT_BODY]
