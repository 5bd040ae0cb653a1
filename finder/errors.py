"""Error pages in one place: JSON under /api, HTML elsewhere; the session is rolled back."""

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import (
    HTTPException,
    RequestEntityTooLarge,
    SecurityError,
    ServiceUnavailable,
)

from .database import database_busy, set_write_intent
from .extensions import db
from .limits import seconds_until_reset


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/fhir/")) or request.path == "/openapi.json"


def wants_fhir() -> bool:
    """A request of the FHIR API: its errors are OperationOutcomes."""
    return request.path == "/fhir" or request.path.startswith("/fhir/")


# FHIR's issue-type codes for the HTTP statuses this site answers with.
FHIR_ISSUE_CODES = {
    400: "invalid",
    404: "not-found",
    405: "not-supported",
    413: "too-costly",
    429: "throttled",
    500: "exception",
    503: "transient",
}


def fhir_error_response(status: int, message: str, headers=()):
    """An OperationOutcome with one error issue, as the FHIR API answers."""
    from .api.open_data import fhir_error  # the API imports this module

    response = fhir_error(status, FHIR_ISSUE_CODES.get(status, "processing"), message)
    response.headers.extend(list(headers))
    return response


def error_response(status: int, code: str, message: str, field: str | None = None, **extra):
    """The API's error body: {"error": {"code", "message", "field", ...}}."""
    body = {"error": {"code": code, "message": message, "field": field, **extra}}
    return jsonify(body), status


def too_large_message() -> str:
    """'The request is larger than 2 MB, the most this site accepts.'"""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    size = f"{limit / 1024**2:g} MB" if limit >= 1024**2 else f"{limit / 1024:g} KB"
    return f"The request is larger than {size}, the most this site accepts."


def refuse_oversized_requests() -> None:
    """A body over MAX_CONTENT_LENGTH is refused (413) on every URL, read or not."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return
    if request.content_length is not None:
        if request.content_length > limit:
            raise RequestEntityTooLarge(too_large_message())
    elif request.environ.get("wsgi.input_terminated"):
        # A streamed (chunked) body: Werkzeug would quietly cut it off at the limit.
        request.get_data(cache=True)  # at most `limit` bytes, kept for the form parser
        if request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge(too_large_message())


def _kept_headers(error: HTTPException) -> list[tuple[str, str]]:
    """The exception's own headers (Allow on 405, Retry-After on 503), not its type;
    Retry-After on every 429, so a client knows when its budget comes back."""
    headers = [(n, v) for n, v in error.get_headers() if n.lower() != "content-type"]
    if isinstance(error, RateLimitExceeded):
        headers.append(("Retry-After", str(seconds_until_reset(error))))
    return headers


BUSY_RETRY_AFTER_S = 60


def register_error_handlers(app) -> None:
    """404/4xx/500 handlers for the whole application."""
    # First of all, before CSRF protection reads (a cut-off copy of) the form.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_oversized_requests)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        status = error.code or 500
        if isinstance(error, RequestEntityTooLarge):
            error.description = too_large_message()
        code = (error.name or "error").lower().replace(" ", "_")
        if wants_fhir():
            return fhir_error_response(
                status, error.description or error.name, _kept_headers(error)
            )
        if wants_json():
            body, _ = error_response(status, code, error.description or error.name)
            return body, status, _kept_headers(error)
        if isinstance(error, SecurityError):
            # An untrusted Host: no URL can be built for it, so no page with links either.
            return error.description, status, {"Content-Type": "text/plain; charset=utf-8"}
        return render_template("error.html", error=error), status, _kept_headers(error)

    @app.errorhandler(OperationalError)
    def database_error(error: OperationalError):
        """Another writer held the lock too long (the swap of a large import, say): 503 with
        Retry-After, and on the submission form what the visitor typed, ready to send again."""
        if not database_busy(error):
            return unexpected_error(error)
        db.session.rollback()
        set_write_intent(False)  # what is shown now only reads: it need not wait for the lock
        busy = ServiceUnavailable(
            _(
                "The directory is busy with a large update and could not store this just now. "
                "Nothing was changed: please send it again in a minute."
            ),
            retry_after=BUSY_RETRY_AFTER_S,
        )
        if request.endpoint == "public.submit" and not wants_json():
            from .public.views import submission_form  # imported here: it imports the package

            form = submission_form()
            # A suggestion that was being sent comes back with its pin, ready to send again.
            preview = "send" in request.form and form.validate()
            page = render_template(
                "submit.html", form=form, error=busy.description, preview=preview
            )
            return page, 503, _kept_headers(busy)
        return http_error(busy)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        if wants_fhir():
            return fhir_error_response(500, "Something went wrong on our side.")
        if wants_json():
            return error_response(500, "internal_error", "Something went wrong on our side.")
        return render_template("error.html", error=None), 500
