"""Field rules shared by CSV import and forms: countries, languages, phones, URLs, NPI."""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from email_validator.syntax import DOT_ATOM_TEXT

from .models import PracticeLocation, Practitioner
from .words import say

TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n", ""}


class FieldError(ValueError):
    """A value that breaks a field's rule; the message says what is expected."""


def column_lengths(*models) -> dict[str, int]:
    """Field name -> how many characters its database column holds, for every text column."""
    return {
        column.name: column.type.length
        for model in models
        for column in model.__table__.columns
        if getattr(column.type, "length", None)
    }


# What a listing's text fields may hold: the forms, the CSV import and the admin edit all
# check these, so nothing longer ever reaches an INSERT.
LISTING_LENGTHS = {
    name: length
    for name, length in column_lengths(Practitioner, PracticeLocation).items()
    if name not in ("status", "import_run", "country")
}


# The codes country_code and language_codes take, as the API's document lists them.
COUNTRY_CODES = tuple(sorted(country.alpha_2 for country in pycountry.countries))
LANGUAGE_CODES = tuple(
    sorted(language.alpha_2 for language in pycountry.languages if hasattr(language, "alpha_2"))
)


def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper case, or FieldError."""
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise FieldError(
            say("“%(value)s” is not an ISO 3166-1 alpha-2 country code (e.g. KR, US).", value=value)
        )
    return code


def language_codes(value: str) -> list[str]:
    """ISO 639-1 codes from a ';'-separated text, or FieldError."""
    codes = [part.strip().lower() for part in value.split(";") if part.strip()]
    for code in codes:
        if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
            raise FieldError(
                say("“%(code)s” is not an ISO 639-1 language code (e.g. en, ko, es).", code=code)
            )
    return codes


def boolean(value: str) -> bool:
    """true/false, yes/no, 1/0 (empty is false), or FieldError."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldError(say("“%(value)s” is not true or false.", value=value))


def phone_e164(value: str, country: str | None) -> str:
    """A phone number in E.164 form, parsed for `country`, or FieldError."""
    if not value.strip():
        return ""
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException as error:
        raise FieldError(
            say("“%(value)s” is not a phone number (%(why)s).", value=value, why=error)
        ) from None
    if not phonenumbers.is_valid_number(number):
        if country:
            raise FieldError(
                say(
                    "“%(value)s” is not a valid phone number for %(country)s.",
                    value=value,
                    country=country,
                )
            )
        raise FieldError(say("“%(value)s” is not a valid phone number.", value=value))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Characters nobody types on purpose that hide or disguise text: C0/C1 controls (NUL cannot
# even be stored by PostgreSQL), bidirectional embeddings, overrides and isolates (U+202E
# shows "gpj.exe" as "exe.jpg"), and zero-width spaces. A regular expression class, written
# with escapes so that the OpenAPI document can give it too.
HIDDEN_CLASS = (
    r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff\u180e"
)
_HIDDEN = re.compile(f"[{HIDDEN_CLASS}]")
# What str.strip() takes away (every space is in the Basic Multilingual Plane), as a class.
SPACE_CLASS = "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x10000)) if c.isspace())
# Zero-width non-joiner and joiner shape Persian, Indic and other scripts and join emoji
# (👩‍⚕️): between two letters, marks or symbols they are writing; anywhere else they only
# hide something.
_JOINERS = "\u200c\u200d"


def _joinable(char: str) -> bool:
    return unicodedata.category(char)[0] in "LMS"


def hidden_character(text: str) -> str | None:
    """The first character of `text` that hides or disguises text, else None."""
    found = _HIDDEN.search(text)
    if found:
        return found.group()
    if _JOINERS[0] not in text and _JOINERS[1] not in text:
        return None
    for index, char in enumerate(text):
        if char in _JOINERS:
            before = text[index - 1] if index else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if not (before and after and _joinable(before) and _joinable(after)):
                return char
    return None


def control_character(text: str) -> str | None:
    """The first character of `text` in HIDDEN_CLASS, else None: what a searched text may not
    hold. (Joiners are fine there: a search keeps and shows nothing.)"""
    found = _HIDDEN.search(text)
    return found.group() if found else None


def text_pattern(forbidden: str) -> str:
    """A regular expression (as Python and JSON Schema read it) of text without characters
    of the class `forbidden`, and with one at least that is not a space."""
    return f"^[^{forbidden}]*[^{forbidden}{SPACE_CLASS}][^{forbidden}]*$"


def visible_text(value: str) -> str:
    """Text without hidden characters (see hidden_character), or FieldError."""
    if hidden_character(value) is not None:
        raise FieldError(say("Remove the invisible control characters from this field."))
    return value


# What a spreadsheet would run as a formula at the start of a cell (see csv_files.spreadsheet_safe).
FORMULA_STARTS = ("=", "+", "-", "@")


def email_address(value: str) -> str:
    """An email address as typed (trimmed), or FieldError; empty stays empty.

    The syntax is email-validator's (what WTForms' Email checks, no DNS lookups); an address
    starting with a formula character is refused too: nobody's mailbox starts with "=" and
    "+cmd|' /C calc'!A0@example.org" is valid syntax made to run in a spreadsheet.
    """
    address = value.strip()
    if not address:
        return ""
    problem = None
    if hidden_character(address) or address.startswith(FORMULA_STARTS):
        problem = say("“%(value)s” is not an email address.", value=value)
    elif not _plain_email(address):
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            problem = say("“%(value)s” is not an email address.", value=value)
    if problem:
        raise FieldError(problem)
    return address


def _plain_email(address: str) -> bool:
    """Whether email-validator certainly accepts the address without being asked again: a
    short one whose part before the @ is its plain "dot-atom" (DOT_ATOM_TEXT) and whose
    domain it accepted before (a large import repeats a few domains a million times; the
    domain's checks are most of the cost). False means: ask it."""
    local, at, domain = address.rpartition("@")
    return (
        bool(at)
        and len(address) <= 254
        and len(local) <= 64
        and domain.isascii()
        and DOT_ATOM_TEXT.fullmatch(local) is not None
        and _domain_accepted(domain)
    )


@functools.lru_cache(maxsize=1024)
def _domain_accepted(domain: str) -> bool:
    try:
        validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def http_url(value: str) -> str:
    """An http(s) URL without spaces or invisible characters, or FieldError; empty stays empty."""
    url = value.strip()
    # Not printable: a character of Unicode's categories Other or Separator, but for the
    # space (which _URL already refuses).
    if url and (not _URL.match(url) or not url.isprintable()):
        raise FieldError(say("“%(value)s” is not an http:// or https:// address.", value=value))
    return url


def npi_is_valid(npi: str) -> bool:
    """A US National Provider Identifier: 10 digits whose last is the Luhn check digit of
    "80840" followed by the first nine."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def npi(value: str) -> str:
    """A valid NPI or empty, or FieldError."""
    text = value.strip()
    if text and not npi_is_valid(text):
        raise FieldError(
            say("“%(value)s” is not a valid NPI (10 digits with a check digit).", value=value)
        )
    return text


def coordinate(value: str, low: float, high: float, what: str) -> float | None:
    """A latitude or longitude in range; empty is None."""
    text = value.strip()
    if not text:
        return None
    number = decimal_number(text)
    if number is None:
        raise FieldError(say("“%(value)s” is not a number.", value=value))
    if not (low <= number <= high):
        raise FieldError(
            say(
                "%(what)s must be between %(low)s and %(high)s.",
                what=what,
                low=f"{low:g}",
                high=f"{high:g}",
            )
        )
    return number


# A decimal number as people and programs write it, in ASCII digits only: float() would also
# take "１２", "1_000", "nan" and "inf".
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def decimal_number(text: str) -> float | None:
    """A finite float from ASCII decimal notation ('-33.86', '1e3'), else None."""
    text = (text or "").strip()
    if not _DECIMAL.fullmatch(text):
        return None
    value = float(text)
    return value if value not in (float("inf"), float("-inf")) else None


def whole_number(text: str, digits: int = 9) -> int | None:
    """A non-negative int from ASCII digits (at most `digits` of them), else None."""
    text = (text or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= digits:
        return int(text)
    return None
