"""What every read-only API response carries: CORS, an ETag, public caching, a rate limit."""

from __future__ import annotations

from flask import Response, request
from flask_limiter import RateLimitExceeded

from ..errors import error_response
from ..limits import api_limited, seconds_until_reset
from .openapi import CACHE_SECONDS

READ_METHODS = "GET, HEAD, OPTIONS"
# Headers a browser may send on a cross-origin read (beyond the CORS-safelisted ones).
ALLOWED_REQUEST_HEADERS = "Accept, Accept-Language, Content-Type, If-None-Match"
# Headers a script on another origin may read (beyond the CORS-safelisted ones).
EXPOSED_HEADERS = "ETag, Retry-After"
PREFLIGHT_MAX_AGE = 86400


# One budget per client address shared by every read of the API; decorates a blueprint or view.
rate_limited = api_limited


def allow_any_origin(response: Response) -> Response:
    """CORS for a read-only resource: anyone may read it; preflights allow GET only."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = READ_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_REQUEST_HEADERS
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def cache_publicly(response: Response) -> Response:
    """A successful read gets an ETag (a hash of the body), public caching and 304 answers."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.add_etag()
    return response.make_conditional(request)


def finish_read(response: Response) -> Response:
    """after_request of the read-only API: CORS, then caching."""
    return cache_publicly(allow_any_origin(response))


def too_many_requests(error: RateLimitExceeded):
    """429 as the API's error JSON, with Retry-After in seconds."""
    response, status = error_response(
        429,
        "too_many_requests",
        f"Too many requests (limit: {error.description}). Try again in a little while.",
    )
    response.headers["Retry-After"] = str(seconds_until_reset(error))
    return response, status
