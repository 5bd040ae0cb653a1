"""Alphabetical order as each language's readers expect it, for lists of names (countries,
languages): CLDR's default collations, approximated without ICU.

Chinese sorts by pinyin (pypinyin), Japanese by the kana reading (pykakasi: 日本 with に),
Turkish by its own alphabet (ç after c, ı before i, ö after o, ş after s, ü after u);
elsewhere accents and case come after the letters (Å with A, É with E), and Hangul, Arabic and
Cyrillic already sort in dictionary order by code point."""

from __future__ import annotations

import functools
import unicodedata

TURKISH = "abcçdefgğhıijklmnoöpqrsştuüvwxyz"  # with q, w, x where ICU puts them
TURKISH_PLACE = {letter: index for index, letter in enumerate(TURKISH)}


def folded(name: str) -> str:
    """The name without accents, in lower case."""
    plain = "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))
    return plain.casefold()


@functools.cache
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()


def japanese_reading(name: str) -> str:
    return "".join(part["hira"] for part in _kakasi().convert(name)).casefold()


def pinyin(name: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(name, style=Style.TONE3)).casefold()


def turkish(name: str) -> tuple[int, ...]:
    lower = name.replace("I", "ı").replace("İ", "i").lower()
    places = []
    for c in lower:
        if c not in TURKISH_PLACE:
            c = folded(c) or c
        if not c.isalnum():
            places.append(-1)  # spaces and punctuation before any letter
        else:
            places.append(TURKISH_PLACE.get(c[:1], 100 + ord(c[:1])))
    return tuple(places)


def sort_key(name: str, locale: str = "en") -> tuple:
    """The key that puts names in the order of the language of `locale`."""
    language = locale.replace("-", "_").split("_")[0]
    if language == "zh":
        return (pinyin(name), name)
    if language == "ja":
        return (japanese_reading(name), name)
    if language == "tr":
        return (turkish(name), name)
    return (folded(name), name)
