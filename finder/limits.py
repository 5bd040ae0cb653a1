"""Rate limits per client address, each named by a setting; one store shared by every worker.

The limits count in RATELIMIT_STORAGE_URI: `memory://` counts per process (one gunicorn
worker each), so a site with several workers sets `redis://…` to make a limit hold as written.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app, request
from flask_limiter import RateLimitExceeded

from .extensions import limiter

DEFAULT_LIMITS = {
    "API_RATE_LIMIT": "120 per minute",  # every read of /api/v1, /openapi.json and /fhir
    "PAGE_RATE_LIMIT": "60 per minute",  # search results and country pages: the costly pages
    "SUBMIT_RATE_LIMIT": "20 per hour",  # listing submissions (POST /submit)
    "UNMET_NEED_RATE_LIMIT": "10 per hour",  # "tell me when someone is listed" (POST)
    "REPORT_RATE_LIMIT": "10 per hour",  # "report a problem with this listing" (POST)
    "CLAIM_RATE_LIMIT": "10 per hour",  # claim-link requests and answers from one address
    "CLAIM_ADDRESS_RATE_LIMIT": "3 per day",  # claim-link requests naming one email
    "LISTING_RATE_LIMIT": "10 per day",  # reports about one listing, from anyone
}


def setting(name: str):
    """A callable Flask-Limiter evaluates per request: the limit the setting names now."""

    def limit() -> str:
        return current_app.config.get(name) or DEFAULT_LIMITS[name]

    limit.__name__ = name.lower()
    return limit


# One budget per client address for every read of the API (decorates a blueprint or view).
api_limited = limiter.shared_limit(setting("API_RATE_LIMIT"), scope="api", methods=["GET", "HEAD"])
# One budget per client address shared by the search results and country pages.
pages_limited = limiter.shared_limit(
    setting("PAGE_RATE_LIMIT"), scope="pages", methods=["GET", "HEAD"]
)
submit_limited = limiter.limit(setting("SUBMIT_RATE_LIMIT"), methods=["POST"])
unmet_need_limited = limiter.limit(setting("UNMET_NEED_RATE_LIMIT"), methods=["POST"])
report_limited = limiter.limit(setting("REPORT_RATE_LIMIT"), methods=["POST"])
claim_limited = limiter.limit(setting("CLAIM_RATE_LIMIT"), methods=["POST"])


def named_email() -> str:
    """The email a claim-link request names (a digest: limits never store addresses)."""
    email = (request.form.get("email") or "").strip().lower()
    return "email:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def named_listing() -> str:
    return f"listing:{(request.view_args or {}).get('practitioner_id')}"


# The same budget whoever asks: one address cannot be flooded with links, nor one listing
# with reports, from many client addresses.
claim_address_limited = limiter.limit(
    setting("CLAIM_ADDRESS_RATE_LIMIT"), key_func=named_email, methods=["POST"]
)
listing_limited = limiter.limit(
    setting("LISTING_RATE_LIMIT"), key_func=named_listing, methods=["POST"]
)


def seconds_until_reset(error: RateLimitExceeded) -> int:
    """Whole seconds until the breached limit's window resets (at least 1)."""
    current = limiter.current_limit
    if current is not None:
        reset_time, _remaining = current.window
        return max(1, math.ceil(reset_time - time.time()))
    return max(1, int(error.limit.limit.get_expiry()))
