"""What a patient needs to decide beyond a name and a distance: can I get in, what will it
cost, will they diagnose my SI joint, surgical details, bedside access, telehealth to my
country, help for travelling patients. Every field is optional, and each group of fields
carries the date it was last confirmed (`<group>_confirmed_on`).

DETAILS describes every field once; the model's columns (finder.models), the CSV columns
and their checks (finder.csv_files), the API's JSON (finder.api.shapes) and the exports
(finder.open_data) all read it.

Stored values: a choice or text is "" when unknown; a whole number or a yes/no is None
when unknown; a list is its codes joined with ";" ("" when none are known).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pycountry

from .words import say

ACCEPTING = ("yes", "waitlist", "no")  # accepting new patients
DIAGNOSTICS = ("provocation-cluster", "diagnostic-injection", "imaging")
APPROACHES = ("posterior", "lateral", "both")  # SI-joint fusion
VOLUMES = ("1-9", "10-24", "25-49", "50+")  # SI-joint fusions a year
ACCESS = ("lying-down", "step-free", "carer-welcome")  # home visits has a column of its own
MAX_FEE = 2_000_000_000  # whole units of the currency (a surgery in VND runs to ~10^9); int4
CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)
COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries)
LANGUAGES = frozenset(x.alpha_2 for x in pycountry.languages if hasattr(x, "alpha_2"))


class DetailError(ValueError):
    """A value a detail field cannot take; the message says what it takes."""


@dataclass(frozen=True)
class Detail:
    """One field: its name (column, CSV column and form field), what it holds, its limits."""

    name: str
    kind: str  # choice, whole, currency, yesno, text, codes, countries, languages
    choices: tuple[str, ...] = ()
    high: int = 0  # whole: the largest value
    length: int = 0  # text: the most characters

    def parse(self, text: str):
        """The stored value of a CSV cell or form text, or DetailError."""
        text = text.strip()
        if self.kind in ("choice", "text", "currency"):
            return self._text(text)
        if self.kind == "whole":
            if not text:
                return None
            if not (text.isascii() and text.isdigit()) or int(text) > self.high:
                raise DetailError(
                    say("“%(value)s” is not a whole number from 0 to %(high)s.", value=text,
                        high=self.high)
                )  # fmt: skip
            return int(text)
        if self.kind == "yesno":
            word = text.lower()
            if word in ("", "unknown"):
                return None
            if word in ("true", "yes", "1", "y"):
                return True
            if word in ("false", "no", "0", "n"):
                return False
            raise DetailError(say("“%(value)s” is not true, false or empty.", value=text))
        return ";".join(self.codes(text))

    def _text(self, text: str) -> str:
        if self.kind == "choice" and text and text not in self.choices:
            raise DetailError(
                say("“%(value)s” is not one of %(choices)s.", value=text,
                    choices=", ".join(self.choices))
            )  # fmt: skip
        if self.kind == "currency":
            text = text.upper()
            if text and text not in CURRENCIES:
                raise DetailError(
                    say("“%(value)s” is not an ISO 4217 currency code (e.g. EUR, USD, KRW).",
                        value=text)
                )  # fmt: skip
        if self.kind == "text" and len(text) > self.length:
            raise DetailError(say("is longer than %(count)s characters.", count=self.length))
        return text

    def codes(self, text: str) -> list[str]:
        """A list field's codes, checked, in the order given, each once."""
        codes = []
        for part in text.replace(",", ";").split(";"):
            code = part.strip()
            if not code:
                continue
            if self.kind == "countries":
                code = code.upper()
                known = code in COUNTRIES
                example = "KR, US"
            elif self.kind == "languages":
                code = code.lower()
                known = code in LANGUAGES
                example = "ko, en"
            else:
                known = code in self.choices
                example = ", ".join(self.choices)
            if not known:
                raise DetailError(
                    say("“%(value)s” is not one of the codes this takes (%(example)s).",
                        value=code, example=example)
                )  # fmt: skip
            if code not in codes:
                codes.append(code)
        return codes

    def listed(self, stored: str) -> list[str]:
        """A stored list as its codes."""
        return [code for code in (stored or "").split(";") if code]

    def cell(self, stored) -> str:
        """The stored value as the CSV export writes it."""
        if stored is None:
            return ""
        if isinstance(stored, bool):
            return "true" if stored else "false"
        return str(stored)


GROUPS: dict[str, tuple[Detail, ...]] = {
    "availability": (
        Detail("accepting_new_patients", "choice", ACCEPTING),
        Detail("wait_weeks", "whole", high=104),
    ),
    "fees": (
        Detail("fee_min", "whole", high=MAX_FEE),
        Detail("fee_max", "whole", high=MAX_FEE),
        Detail("fee_currency", "currency"),
        Detail("self_pay", "yesno"),
        Detail("insurance", "text", length=500),
    ),
    "diagnostics": (Detail("diagnostics", "codes", DIAGNOSTICS),),
    "surgery": (
        Detail("surgery_approach", "choice", APPROACHES),
        Detail("surgery_implants", "text", length=300),
        Detail("surgery_volume", "choice", VOLUMES),
        Detail("industry_ties", "text", length=1000),
    ),
    "access": (Detail("access", "codes", ACCESS),),
    "telehealth_countries": (Detail("telehealth_countries", "countries"),),
    "travel": (
        Detail("international_office", "yesno"),
        Detail("interpreter_languages", "languages"),
        Detail("visa_letter", "yesno"),
        Detail("stay_days", "whole", high=365),
    ),
}
DETAILS: dict[str, Detail] = {d.name: d for group in GROUPS.values() for d in group}


def confirmed_column(group: str) -> str:
    """The column (and CSV column) holding the date a group was last confirmed."""
    return f"{group}_confirmed_on"


CONFIRMED_COLUMNS = [confirmed_column(group) for group in GROUPS]
# What a listing that says nothing stores: the values of empty cells.
EMPTY = {name: d.parse("") for name, d in DETAILS.items()} | dict.fromkeys(CONFIRMED_COLUMNS)
# The CSV columns, in this order after the contract's columns.
COLUMNS = [name for group in GROUPS for name in [*(d.name for d in GROUPS[group]),
                                                 confirmed_column(group)]]  # fmt: skip


def parse_date(text: str) -> dt.date | None:
    """A confirmation date, YYYY-MM-DD, or DetailError."""
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DetailError(say("“%(value)s” is not a date (YYYY-MM-DD).", value=text)) from None


def inconsistencies(values: dict) -> list[tuple[str, str]]:
    """(field, problem) for details that contradict each other."""
    problems = []
    low, high = values.get("fee_min"), values.get("fee_max")
    low, high = (x if isinstance(x, int) else None for x in (low, high))  # unchecked: not yet
    if low is not None and high is not None and low > high:
        problems.append(("fee_max", say("is less than fee_min.")))
    if (low is not None or high is not None) and not values.get("fee_currency"):
        problems.append(("fee_currency", say("is required with a fee (e.g. EUR, USD, KRW).")))
    return problems


def known(p, group: str) -> bool:
    """Whether the listing says anything in this group."""
    return any(getattr(p, d.name) not in (None, "") for d in GROUPS[group])


def form_text(p) -> dict:
    """A listing's details as the listing form shows them (lists as lists of codes for the
    checkbox lists, "; "-joined codes for the code fields, yes/no as "true"/"false")."""
    out = {}
    for name, detail in DETAILS.items():
        stored = getattr(p, name)
        if detail.kind == "codes":
            out[name] = detail.listed(stored)
        elif detail.kind in ("countries", "languages"):
            out[name] = "; ".join(detail.listed(stored))
        else:
            out[name] = detail.cell(stored)
    return out


def set_checked(p, values: dict, today: dt.date) -> None:
    """Set a listing's details from checked values (those given); each group whose values
    change (and says something) counts as confirmed today."""
    for group, fields in GROUPS.items():
        before = [getattr(p, d.name) for d in fields]
        for d in fields:
            if d.name in values:  # a caller that gives no details keeps them
                setattr(p, d.name, values[d.name])
        if [getattr(p, d.name) for d in fields] != before and known(p, group):
            setattr(p, confirmed_column(group), today)


def cells(p) -> dict[str, str]:
    """A listing's details as CSV cells."""
    out = {}
    for group, details in GROUPS.items():
        for d in details:
            out[d.name] = d.cell(getattr(p, d.name))
        confirmed = getattr(p, confirmed_column(group))
        out[confirmed_column(group)] = confirmed.isoformat() if confirmed else ""
    return out


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def confirmed(p) -> dict[str, str]:
    """The date each group was last confirmed, for the groups that have one."""
    dates = {group: getattr(p, confirmed_column(group)) for group in GROUPS}
    return {group: day.isoformat() for group, day in dates.items() if day}


def confirmed_on(p) -> dt.date | None:
    """When anything of the listing's details, or the whole listing by its practitioner,
    was last confirmed."""
    dates = [getattr(p, confirmed_column(group)) for group in GROUPS]
    dates.append(getattr(p, "listing_confirmed_on", None))
    return max((day for day in dates if day), default=None)


def api_json(p) -> dict:
    """The details as the API's practitioner JSON has them (DESIGN.md's contract)."""
    fees = None
    if p.fee_min is not None or p.fee_max is not None:
        fees = {"min": p.fee_min, "max": p.fee_max, "currency": p.fee_currency or None}
    surgery = None
    if known(p, "surgery"):
        surgery = {
            "approach": p.surgery_approach or None,
            "implants": p.surgery_implants or None,
            "yearly_volume": p.surgery_volume or None,
            "industry_ties": p.industry_ties or None,
        }
    travel = None
    if known(p, "travel"):
        travel = {
            "international_office": p.international_office,
            "interpreter_languages": DETAILS["interpreter_languages"].listed(
                p.interpreter_languages
            ),
            "visa_letter": p.visa_letter,
            "stay_days": p.stay_days,
        }
    access = (["home-visits"] if p.home_visits else []) + DETAILS["access"].listed(p.access)
    return {
        "confirmed_on": _date(confirmed_on(p)),
        "confirmed": confirmed(p),
        "accepting_new_patients": p.accepting_new_patients or None,
        "wait_weeks": p.wait_weeks,
        "fees": fees,
        "self_pay": p.self_pay,
        "insurance": p.insurance or None,
        "diagnostics": DETAILS["diagnostics"].listed(p.diagnostics),
        "surgery": surgery,
        "access": access,
        "telehealth_countries": DETAILS["telehealth_countries"].listed(p.telehealth_countries),
        "travel_support": travel,
    }
