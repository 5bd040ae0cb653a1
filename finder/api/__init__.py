"""The JSON API under /api/v1: read-only, CORS-open, cached by ETag, rate-limited."""

from flask import Blueprint
from flask_limiter import RateLimitExceeded

from .http import finish_read, rate_limited, too_many_requests

bp = Blueprint("api", __name__)
bp.after_request(finish_read)
bp.register_error_handler(RateLimitExceeded, too_many_requests)
rate_limited(bp)

from . import views  # noqa: E402,F401
