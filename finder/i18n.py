"""The page's language: an explicit choice (remembered in a cookie) or the browser's."""

from flask import current_app, request

LANGUAGES = {"en": "English", "ko": "한국어", "es": "Español"}
COOKIE = "lang"


def select_locale() -> str:
    """?lang= wins, then the remembered choice, then Accept-Language, then English.

    API answers vary only by their URL and Accept-Language (caches rely on it): no cookie."""
    remembered = None if request.path.startswith("/api/") else request.cookies.get(COOKIE)
    chosen = request.args.get("lang") or remembered
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def remember_choice(response):
    """Keep a ?lang= choice for the next pages."""
    chosen = request.args.get("lang")
    if request.path.startswith("/api/"):
        return response  # API answers are cacheable: no cookies
    if chosen in LANGUAGES and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=365 * 86400,
            samesite="Lax",
            httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


MILE_TERRITORIES = {"US", "GB", "LR", "MM"}  # where road distances are given in miles


def browser_region() -> str | None:
    """The region of the browser's first language ('DE' for de-DE), or None."""
    for value, _quality in request.accept_languages:
        parts = value.replace("_", "-").split("-")
        region = parts[1].upper() if len(parts) > 1 else ""
        return region if len(region) == 2 and region.isalpha() else None
    return None


def default_unit() -> str:
    """'mi' for browsers set to a miles-using region (en-US, en-GB...), else 'km'."""
    for value, _quality in request.accept_languages:
        parts = value.replace("_", "-").split("-")
        return "mi" if len(parts) > 1 and parts[1].upper() in MILE_TERRITORIES else "km"
    return "km"
