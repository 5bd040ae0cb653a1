"""Jinja filters: language and country names in the page's language."""

import datetime as dt
import functools
import json
import re

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency
from flask import current_app, g
from flask_babel import format_decimal, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from .gazetteer import country_name as _country_name
from .geo import from_km
from .geocode import country_label, local_city_label, settings_from_config
from .i18n import RIGHT_TO_LEFT
from .reasons import describe


def language_name(code: str) -> str:
    """ "Korean (한국어)": the language in the page's language, then in its own."""
    return _language_name(str(get_locale() or "en"), code)


@functools.lru_cache(maxsize=4096)  # bounded: the code may come from a query string
def _language_name(page_locale: str, code: str) -> str:
    """language_name on a page in page_locale, worked out once (CLDR's names do not change
    while the site runs)."""
    page = Locale.parse(page_locale)
    try:
        own = Locale.parse(code).get_display_name(code)
    except (ValueError, UnknownLocaleError):
        own = None
    here = page.languages.get(code, code)
    if own and own.casefold() != here.casefold():
        return f"{here} ({own})"
    return here


def country_name(code: str) -> str:
    """The country's name in the page's language."""
    page = get_locale()
    return _country_name(code, str(page) if page else "en")


# Words for the codes the data keeps (statuses, decisions, patterns...), for people.
CODE_NAMES = {
    "pending": _l("pending"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "needs-changes": _l("needs changes"),
    "suspended": _l("suspended"),
    "due": _l("due for review"),
    "approve": _l("Approve"),
    "reject": _l("Reject"),
    "suspend": _l("Suspend"),
    "submit": _l("submitted"),
    "edit": _l("edited"),
    "erase-submitter": _l("submitter details erased"),
    "purge-submitters": _l("submitter details purged"),
    "upslip": _l("upslip"),
    "anterior-rotation": _l("anterior rotation"),
    "posterior-rotation": _l("posterior rotation"),
    "inflare": _l("inflare"),
    "outflare": _l("outflare"),
    "provocation-cluster": _l("a cluster of SI-joint provocation tests"),
    "diagnostic-injection": _l("an image-guided diagnostic injection"),
    "imaging": _l("imaging to rule out other causes"),
    "posterior": _l("posterior approach"),
    "lateral": _l("lateral approach"),
    "both": _l("posterior or lateral approach"),
    "lying-down": _l("treatment lying down"),
    "step-free": _l("step-free access"),
    "carer-welcome": _l("a carer is welcome in the room"),
    "home-visits": _l("home visits"),
    "self": _l("the practitioner themself"),
    "patient": _l("a patient"),
    "colleague": _l("a colleague"),
}


def code_name(code) -> str:
    """A status, decision, pattern or relation code in the page's language."""
    if code is True:
        return gettext("yes")
    if code is False:
        return gettext("no")
    if code is None:
        return "—"
    return str(CODE_NAMES.get(code, code))


VETTING_CHECK_WORDS = {
    "licence": _l("licence"),
    "experience": _l("SI-joint experience"),
    "techniques": _l("techniques"),
    "contact": _l("contact details"),
}


def vetting_check(code: str) -> str:
    """A vetting check (finder.vetting.CHECKLIST key) in a word or two of the page's language."""
    return str(VETTING_CHECK_WORDS.get(code, code))


def translate(text) -> str:
    """A catalogue string (a technique's name, for one) in the page's language."""
    return gettext(text) if text else text


def readable_json(value) -> str:
    """JSON for people: indented, every script as itself (autoescaping makes it safe HTML)."""
    return json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True, default=str)


# How a language separates the items of a plain list ("Korean, English") and the parts of a
# place ("Cairo, Egypt"): Arabic's comma, the ideographic enumeration comma in Japanese and
# Chinese, and Chinese's full-width comma between a city and its country.
LIST_SEPARATORS = {"ar": "، ", "ja": "、", "zh": "、"}
PLACE_SEPARATORS = {"ar": "، ", "ja": "、", "zh": "，"}
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")  # a part that needs isolating in right-to-left text


def _language() -> str:
    return str(get_locale() or "en").split("_")[0]


# Punctuation that joins a label to its text, items of a longer list, and an aside, as each
# language writes it: full-width in Japanese and Chinese, a space before French's double marks,
# Arabic's semicolon.
COLONS = {"ja": "：", "zh": "：", "fr": "\u00a0: "}
SEMICOLONS = {"ja": "；", "zh": "；", "ar": "؛ ", "fr": "\u00a0; "}
BRACKETS = {"ja": ("（", "）"), "zh": ("（", "）")}
ARROWS = {"back": ("←", "→"), "forward": ("→", "←")}  # left to right, right to left


def colon() -> str:
    """What follows a label before its text ("Speaks: …", "語言：…", "Parle : …")."""
    return COLONS.get(_language(), ": ")


def semicolon_listed(items) -> str:
    """Items joined by the language's semicolon ("a; b", "a；b", "a؛ b")."""
    return SEMICOLONS.get(_language(), "; ").join(str(item) for item in items)


def bracketed(text) -> Markup:
    """An aside in the language's brackets ("(confirmed …)", "（…確認）")."""
    opening, closing = BRACKETS.get(_language(), ("(", ")"))
    return Markup("{}{}{}").format(opening, text, closing)


def gap() -> str:
    """The space between two sentences: none in Japanese and Chinese (。 and ？ are wide)."""
    return "" if _language() in ("ja", "zh") else " "


def arrow(way: str) -> str:
    """An arrow pointing back or forward in the page's reading direction."""
    return ARROWS[way][_language() in RIGHT_TO_LEFT]


def listed(items) -> str:
    """Items joined as the page's language separates a list ("A, B"; "A، B"; "A、B")."""
    return LIST_SEPARATORS.get(_language(), ", ").join(str(item) for item in items)


def place_parts(*parts: str) -> str:
    """A place's parts, smallest first, as the page's language separates them. On a right-to-
    left page a part in Latin letters ("Ulaanbaatar", "12 Main St") is isolated (U+2068 …
    U+2069), so it reads left to right without pulling the comma and the country into its
    order."""
    language = _language()
    if language in RIGHT_TO_LEFT:
        parts = tuple(
            f"\u2068{part}\u2069" if LATIN.search(part) else part for part in parts if part
        )
    return PLACE_SEPARATORS.get(language, ", ").join(part for part in parts if part)


def _day(value) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value.date() if isinstance(value, dt.datetime) else value


def date_words(value) -> str:
    """A date (or ISO date text) as the page's language writes it: "Dec 2, 2026",
    "2026年12月2日", "2 ديسمبر 2026" (CLDR's long form: the month in words)."""
    return format_date(_day(value), "long", locale=str(get_locale() or "en"))


def date_text(value) -> Markup:
    """date_words in a <time> element that keeps the ISO date for machines."""
    day = _day(value)
    return Markup('<time datetime="{}">{}</time>').format(day.isoformat(), escape(date_words(day)))


def place_label(place) -> str:
    """A geocoded place's label with its country named in the page's language.

    Labels are made (and cached) in English, "Seoul, South Korea"; a city is named as the
    page's language names it where the gazetteer knows (CLDR, GeoNames' Hangul names), and
    the country part, the one every place has, is swapped for the page's name ("서울, 대한민국").
    A city the patient typed by another of its names (g.typed_place, set by the search page)
    is named as typed ("北京", "München")."""
    label, code = place.label, place.country
    if not code or place.kind == "point":
        return label
    settings = settings_from_config(current_app.config)
    if place.kind in ("city", "postal", "zip"):
        typed = g.get("typed_place") or ""
        label = local_city_label(label, code, str(get_locale() or "en"), typed, **settings)
    # The name the geocoder ended the label with (GeoNames': "Turkey", not babel's "Türkiye").
    english = country_label(code, **settings)
    here = country_name(code)
    if label == english:
        return here
    if label.endswith(", " + english):
        label = label[: -len(english)] + here
    return place_parts(*label.split(", "))


def city_name(name: str, country: str) -> str:
    """A city's name ("Beijing": a gazetteer city, or a listing's city as written) as the
    page's language names it ("北京"), or as the patient typed it when searching that city
    ("München": g.typed_place, set by the search page); a name the gazetteer does not know
    stays as written."""
    if not name or not country:
        return name
    settings = settings_from_config(current_app.config)
    typed = g.get("typed_place") or ""
    return local_city_label(name, country, str(get_locale() or "en"), typed, **settings)


def phone_display(e164: str) -> str:
    """A stored E.164 number as people write it internationally: "+82 2-312-3456"."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def number(value: float, digits: int = 1) -> str:
    """A number written as the page's language writes it ("2,6" in Spanish, "1,234.5")."""
    return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""))


def money(amount: int, currency: str) -> str:
    """A whole amount of a currency as the page's language writes it ("$80", "80 US$")."""
    locale = str(get_locale() or "en")
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    whole = pattern.split(";")[0].replace(".00", "")
    return format_currency(amount, currency, format=whole, locale=locale, currency_digits=False)


def distance(km: float, unit: str, digits: int = 1) -> str:
    """A distance in km shown in the unit, as the page's language writes numbers and units
    ("2,6 km", "2.6公里", "100 ميل"; CLDR's short unit names). Where CLDR's short patterns
    lack the number's plural form (Portuguese has only "{0} mi") the "other" form is used, not
    the long name babel would fall back to ("1,3 milhas" beside "2,4 mi")."""
    locale = Locale.parse(str(get_locale() or "en"))
    value = from_km(km, unit)
    patterns = locale._data["unit_patterns"]["length-kilometer" if unit == "km" else "length-mile"][
        "short"
    ]
    pattern = patterns.get(locale.plural_form(value), "")
    if "{0}" not in pattern:  # missing, or Arabic's "ميل" for one, without the number
        pattern = patterns["other"]
    shown = format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""))
    return pattern.replace("{0}", shown)


def register_filters(app) -> None:
    app.jinja_env.filters["phone_display"] = phone_display
    app.jinja_env.filters["place_label"] = place_label
    app.jinja_env.filters["readable_json"] = readable_json
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.filters["city_name"] = city_name
    app.jinja_env.filters["listed"] = listed
    app.jinja_env.filters["date_text"] = date_text
    app.jinja_env.filters["date_words"] = date_words
    app.jinja_env.globals["place_parts"] = place_parts
    app.jinja_env.globals["colon"] = colon
    app.jinja_env.globals["arrow"] = arrow
    app.jinja_env.globals["gap"] = gap
    app.jinja_env.filters["semicolon_listed"] = semicolon_listed
    app.jinja_env.filters["bracketed"] = bracketed
    app.jinja_env.filters["extract"] = lambda key, mapping: mapping[key]
    app.jinja_env.filters["to_unit"] = from_km
    app.jinja_env.filters["distance"] = distance
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["code_name"] = code_name
    app.jinja_env.filters["translate"] = translate
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["vetting_check"] = vetting_check


def say_reason(reason, trip) -> str:
    """A travel or telehealth reason in the page's language."""
    return describe(reason, trip, gettext, country_name, language_in_page, listed, ngettext)


def language_in_page(code: str) -> str:
    """A language's name in the page's language ("Korean", "한국어", "coreano")."""
    page = get_locale() or Locale("en")
    return page.languages.get(code, code)
