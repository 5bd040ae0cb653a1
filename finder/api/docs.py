"""/openapi.json at the site root and /api/docs, the same document rendered for people.

Registered by create_app with `app.register_blueprint(api_docs_bp)` (no prefix).
"""

from __future__ import annotations

import re

from flask import Blueprint, render_template, request
from flask_limiter import RateLimitExceeded
from markupsafe import Markup, escape

from .http import finish_read, rate_limited, too_many_requests
from .views import current_document

bp = Blueprint("api_docs", __name__)
bp.register_error_handler(RateLimitExceeded, too_many_requests)
METHODS = ("get", "put", "post", "delete", "patch")
INLINE_CODE = re.compile(r"`([^`]+)`")


@bp.after_request
def open_the_document(response):
    """The JSON document is read like the API (CORS, ETag); the HTML page is a normal page."""
    if request.endpoint == "api_docs.openapi_document":
        return finish_read(response)
    return response


@bp.get("/openapi.json")
@rate_limited
def openapi_document():
    """The OpenAPI 3.1 description of the whole API."""
    return current_document()


@bp.get("/api/docs")
def api_docs():
    """The API reference, rendered on the server from the OpenAPI document."""
    document = current_document()
    return render_template(
        "api_docs.html",
        info=document["info"],
        version=document["openapi"],
        operations=operations(document),
        schemas=document["components"]["schemas"],
        prose=prose,
    )


def prose(description: str) -> Markup:
    """A description, escaped, with Markdown `code` spans as <code>."""
    return Markup(INLINE_CODE.sub(r"<code>\1</code>", str(escape(description or ""))))


def resolve(document: dict, item: dict) -> dict:
    """The component a local $ref points to, or the item itself."""
    target = item.get("$ref", "")
    if not target.startswith("#/"):
        return item
    for key in target[2:].split("/"):
        document = document[key]
    return document


def operations(document: dict) -> list[dict]:
    """Every operation, with its parameters and responses resolved, in path order."""
    found = []
    for path, item in sorted(document["paths"].items()):
        for method in METHODS:
            if method in item:
                found.append(operation_view(document, path, method, item[method]))
    return found


def operation_view(document: dict, path: str, method: str, operation: dict) -> dict:
    """What the page shows of one operation."""
    return {
        "anchor": operation.get("operationId") or f"{method}-{path}",
        "method": method.upper(),
        "path": path,
        "summary": operation.get("summary", ""),
        "description": operation.get("description", ""),
        "parameters": [
            row
            for p in operation.get("parameters", [])
            for row in parameter_rows(resolve(document, p))
        ],
        "responses": [
            response_view(document, status, answer)
            for status, answer in operation.get("responses", {}).items()
        ],
    }


def parameter_rows(parameter: dict) -> list[dict]:
    """A parameter, followed by the parameters an exploded object stands for (the query
    holds them by their own names: origin is location, lat and lon)."""
    schema = parameter.get("schema", {})
    if not (parameter.get("explode") and schema.get("type") == "object"):
        return [parameter]
    members = [
        {
            "name": name,
            "in": parameter["in"],
            "schema": member,
            "description": member.get("description", ""),
        }
        for name, member in schema.get("properties", {}).items()
    ]
    return [parameter, *members]


def response_view(document: dict, status: str, answer: dict) -> dict:
    """A response's status, description, body schema and headers."""
    answer = resolve(document, answer)
    content = answer.get("content", {}).get("application/json", {})
    schema = content.get("schema")
    return {
        "status": status,
        "description": answer.get("description", ""),
        "schema": schema,
        "error_codes": error_codes(schema),
        "headers": sorted(answer.get("headers", {})),
    }


def error_codes(schema: dict | None) -> list[str] | None:
    """The error codes a response may carry, or None for a response that is not an error."""
    detail = (schema or {}).get("properties", {}).get("error")
    if detail is None:
        return None
    return detail.get("properties", {}).get("code", {}).get("enum", [])
