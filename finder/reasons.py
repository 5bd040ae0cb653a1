"""Why an option was suggested, said in the page's language (no Flask: gettext is passed in)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .travel import Trip

Gettext = Callable[..., str]


def N_(message: str) -> str:  # noqa: N802  (the name gettext's extractor looks for)
    """Mark a message for translation where it is defined; translate it where it is shown."""
    return message


ANY_PRACTITIONER = N_("practitioner")


def plain_gettext(message: str, **variables) -> str:
    """English, for callers without a translation catalogue."""
    return message % variables if variables else message


@dataclass(frozen=True)
class Reason:
    """What made an option worth suggesting: its kind, the technique asked for, and where."""

    kind: str  # nearest | nearest-beyond | home-country | more-home | neighbour | international
    #            | among-nearest | telehealth | home-visits
    noun: str  # "MET practitioner", or "practitioner" for several or no techniques
    country: str = ""  # ISO code, for home-country, more-home and neighbour; for telehealth,
    #                    the patient's, when the practitioner does not say whether they see
    #                    patients there
    language: str = ""  # ISO 639-1 code, for telehealth in the patient's language
    languages: tuple[str, ...] = ()  # what they speak, when not (known to be) the patient's


FULL_STOPS = ("。", "！", "？")  # Japanese and Chinese sentences end without a space after


def plain_ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """English plurals, for callers without a translation catalogue."""
    return (singular if num == 1 else plural) % {"num": num, **variables}


def describe_trip(trip: Trip, ngettext: Gettext = plain_ngettext) -> str:
    """'about 4 h by road' / 'about 6 h by air' / 'about 40 min by road' (plural entries, as
    Arabic says 3 ساعات but 11 ساعة)."""
    if trip.hours < 0.75:
        minutes = round(trip.hours * 60)
        return ngettext(
            "about %(minutes)s min by road", "about %(minutes)s min by road", minutes,
            minutes=minutes,
        )  # fmt: skip
    hours = 1 if trip.hours < 1.5 else round(trip.hours)
    if trip.mode == "drive":
        return ngettext(
            "about %(hours)s h by road", "about %(hours)s h by road", hours, hours=hours
        )
    return ngettext("about %(hours)s h by air", "about %(hours)s h by air", hours, hours=hours)


def describe(
    reason: Reason,
    trip: Trip,
    gettext: Gettext = plain_gettext,
    country_name: Callable[[str], str] = lambda code: code,
    language_name: Callable[[str], str] = lambda code: code,
    listed: Callable[[list[str]], str] = ", ".join,
    ngettext: Gettext = plain_ngettext,
) -> str:
    """One plain sentence: why this option, and how far it is."""
    noun = gettext(reason.noun)
    country = country_name(reason.country) if reason.country else ""
    travel = describe_trip(trip, ngettext)
    spoken = listed([language_name(code) for code in reason.languages])
    if reason.kind == "nearest":
        return gettext("The nearest %(noun)s to you, %(trip)s.", noun=noun, trip=travel)
    if reason.kind == "nearest-beyond":
        return gettext(
            "The nearest %(noun)s outside your search area, %(trip)s.", noun=noun, trip=travel
        )
    if reason.kind == "home-country":
        return gettext(
            "The nearest %(noun)s in %(country)s, %(trip)s.",
            noun=noun,
            country=country,
            trip=travel,
        )
    if reason.kind == "more-home":
        return gettext(
            "Another %(noun)s in %(country)s, %(trip)s.", noun=noun, country=country, trip=travel
        )
    if reason.kind == "neighbour":
        return gettext(
            "The nearest %(noun)s in neighbouring %(country)s, %(trip)s.",
            noun=noun,
            country=country,
            trip=travel,
        )
    if reason.kind == "international":
        return gettext(
            "A %(noun)s who welcomes patients from abroad, %(trip)s.", noun=noun, trip=travel
        )
    if reason.kind == "home-visits":
        if spoken:
            return gettext(
                "Visits patients at home, %(trip)s away; speaks %(languages)s.",
                trip=travel,
                languages=spoken,
            )
        return gettext("Visits patients at home, %(trip)s away.", trip=travel)
    if reason.kind == "telehealth":
        if reason.language or spoken:
            sentence = gettext(
                "Offers telehealth in %(language)s: sessions from home.",
                language=language_name(reason.language) if reason.language else spoken,
            )
        else:
            sentence = gettext("Offers telehealth: sessions from home.")
        if country:  # they do not say which countries' patients they may see
            sentence += ("" if sentence.endswith(FULL_STOPS) else " ") + gettext(
                "Ask whether they can see patients in %(country)s.", country=country
            )
        return sentence
    return gettext("One of the nearest %(noun)s options to you, %(trip)s.", noun=noun, trip=travel)
