"""The page's language: an explicit choice (remembered in a cookie) or the browser's."""

from flask import current_app, g, request

# Each language by its own name, in the switcher's order. Chinese is Simplified; Portuguese
# is Brazil's (CLDR's "pt").
LANGUAGES = {
    "en": "English",
    "ko": "한국어",
    "es": "Español",
    "ja": "日本語",
    "zh": "简体中文",
    "de": "Deutsch",
    "fr": "Français",
    "pt": "Português (Brasil)",
    "ar": "العربية",
    "tr": "Türkçe",
}
RIGHT_TO_LEFT = frozenset({"ar"})
# The page's lang attribute and hreflang, where the code alone says too little.
LANGUAGE_TAGS = {"zh": "zh-Hans", "pt": "pt-BR"}
COOKIE = "lang"
TRADITIONAL_REGIONS = frozenset({"tw", "hk", "mo"})


def language_tag(code: str) -> str:
    return LANGUAGE_TAGS.get(code, code)


def text_direction(code: str) -> str:
    return "rtl" if code in RIGHT_TO_LEFT else "ltr"


def traditional_chinese(tag: str) -> bool:
    """zh-TW, zh-HK, zh-MO, zh-Hant(-…): Chinese in Traditional characters."""
    parts = tag.lower().replace("_", "-").split("-")
    if parts[0] != "zh" or "hans" in parts:
        return False
    return "hant" in parts or any(part in TRADITIONAL_REGIONS for part in parts[1:])


def browser_language() -> tuple[str, bool]:
    """The first language of Accept-Language (by quality) the site speaks, a region falling
    back to its language (pt-PT -> pt, de-AT -> de); and whether Traditional Chinese was
    asked for first. Simplified Chinese is chosen only when the browser accepts it (zh,
    zh-CN, zh-Hans, zh-SG), never in place of Traditional."""
    wanted_traditional = False
    for value, quality in request.accept_languages:
        if quality <= 0:
            continue
        if traditional_chinese(value):
            wanted_traditional = wanted_traditional or value == request.accept_languages[0][0]
            continue
        primary = value.lower().replace("_", "-").split("-")[0]
        if primary in LANGUAGES:
            return primary, wanted_traditional
    return "en", wanted_traditional


def select_locale() -> str:
    """?lang= wins, then the remembered choice, then Accept-Language, then English.

    API answers vary only by their URL and Accept-Language (caches rely on it): no cookie."""
    remembered = None if request.path.startswith("/api/") else request.cookies.get(COOKIE)
    chosen = request.args.get("lang") or remembered
    if chosen in LANGUAGES:
        return chosen
    language, g.no_traditional_chinese = browser_language()
    return language


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
