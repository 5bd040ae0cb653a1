"""Error pages in one place: JSON under /api, HTML elsewhere; the session is rolled back."""

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from .extensions import db


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/fhir/")) or request.path == "/openapi.json"


def error_response(status: int, code: str, message: str, field: str | None = None, **extra):
    """The API's error body: {"error": {"code", "message", "field", ...}}."""
    body = {"error": {"code": code, "message": message, "field": field, **extra}}
    return jsonify(body), status


def register_error_handlers(app) -> None:
    """404/4xx/500 handlers for the whole application."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        code = (error.name or "error").lower().replace(" ", "_")
        if wants_json():
            return error_response(error.code or 500, code, error.description or error.name)
        return render_template("error.html", error=error), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        if wants_json():
            return error_response(500, "internal_error", "Something went wrong on our side.")
        return render_template("error.html", error=None), 500
