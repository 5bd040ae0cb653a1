"""Every catalogue is complete, keeps its placeholders and is compiled, and no page falls back
to English."""

from __future__ import annotations

import functools
import io
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from finder.extensions import db
from finder.i18n import LANGUAGES, language_tag, text_direction
from tests.factories import make_practitioner

ROOT = Path(__file__).resolve().parent.parent
LANGS = tuple(code for code in LANGUAGES if code != "en")  # every language the site offers
ADMIN = ("i18n-admin@example.org", "i18n admin password 1")
PENDING_NAME = "Dr. Pending Translation"


def po_path(lang: str) -> Path:
    return ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"


def load_po(lang: str):
    with open(po_path(lang), "rb") as f:
        return read_po(f, locale=lang)


def translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return all(s and s.strip() for s in strings)


def message_set(catalog) -> dict:
    def frozen(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {frozen(m.id): frozen(m.string) for m in catalog if m.id}


@pytest.mark.parametrize("lang", LANGS)
def test_every_catalogue_entry_is_translated_and_not_fuzzy(lang):
    catalog = load_po(lang)
    untranslated = [m.id for m in catalog if m.id and not translated(m)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"{lang}: untranslated {untranslated}"
    assert not fuzzy, f"{lang}: fuzzy {fuzzy}"


FORMAT_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")


@pytest.mark.parametrize("lang", LANGS)
def test_every_translation_keeps_the_placeholders_of_its_source(lang):
    """A translation with a placeholder missing, added or renamed would fail (or show a raw
    %(name)s) when the page is made; each plural form keeps the plural source's."""
    wrong = []
    for m in load_po(lang):
        if not m.id:
            continue
        sources = m.id if isinstance(m.id, tuple | list) else (m.id,)
        strings = m.string if isinstance(m.string, tuple | list) else (m.string,)
        allowed = [sorted(FORMAT_PLACEHOLDER.findall(source)) for source in sources]
        wrong += [
            (sources[0], t) for t in strings if sorted(FORMAT_PLACEHOLDER.findall(t)) not in allowed
        ]
    assert not wrong, f"{lang}: placeholders differ from the source in {wrong}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_string_in_the_code_is_in_the_catalogue(lang, tmp_path):
    """A fresh extraction finds nothing the catalogue lacks (run translations/update.sh)."""
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext"]
        + ["-o", str(pot), "finder", "templates"],
        cwd=ROOT,
        check=True,
    )
    with open(pot, "rb") as f:
        fresh = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in load_po(lang) if m.id}
    missing = sorted(fresh - known)
    assert not missing, f"{lang}: not in the catalogue yet: {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalogue_matches_its_source(lang, tmp_path):
    catalog = load_po(lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    expected = message_set(read_mo(buffer))
    with open(po_path(lang).with_suffix(".mo"), "rb") as f:
        committed = message_set(read_mo(f))
    stale = sorted(
        k for k in expected.keys() | committed.keys() if expected.get(k) != committed.get(k)
    )
    assert not stale, (
        f"{lang}: messages.mo differs from messages.po (run translations/update.sh): {stale[:10]}"
    )


# --- What a Korean or Spanish visitor sees -------------------------------------------------

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")


def english_sentences(lang: str) -> set[str]:
    """Fragments of 3+ words of every msgid whose translation differs from the English."""
    catalog = load_po(lang)
    translations = " ".join(str(m.string) for m in catalog if m.id)
    found = set()
    for m in catalog:
        if not m.id or not isinstance(m.id, str) or m.string == m.id:
            continue
        for part in PLACEHOLDER.split(m.id):
            part = part.strip(" .,:;—–-()“”\"'")
            if len(part.split()) >= 3 and part not in translations:
                found.add(part)
    return found


@functools.cache
def english_country_names() -> set[str]:
    import pycountry

    names = set(Locale("en").territories.values())
    names |= {getattr(c, "common_name", c.name) for c in pycountry.countries}
    return names


def check_page(page, lang: str, label: str, sentences: set[str], problems: list[str]):
    assert page.locator("html").get_attribute("lang") == language_tag(lang), label
    assert (page.locator("html").get_attribute("dir") or "ltr") == text_direction(lang), label
    text = page.evaluate("() => document.body.innerText")
    english = sorted(s for s in sentences if s in text)
    if english:
        problems.append(f"{lang} {label} ({page.url}): {english}")
    own = set(Locale(lang).territories.values())
    options = page.evaluate(
        "() => Array.from(document.querySelectorAll('select[name=country] option'), o => o.text)"
    )
    leaked = sorted(o for o in options if o in english_country_names() and o not in own)
    if leaked:
        problems.append(f"{lang} {label}: English country names {leaked[:8]}")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.language_only
@pytest.mark.parametrize("lang", LANGS)
def test_pages_in_every_language_show_no_english(page, live_server, app, lang):
    base = live_server.url
    result = app.test_cli_runner().invoke(args=["create-admin", ADMIN[0], "--password", ADMIN[1]])
    assert result.exit_code == 0, result.output
    with app.app_context():
        pending_id = make_practitioner(
            db.session, lat=48.2, lon=16.37, status="pending", name=PENDING_NAME, country="AT"
        ).id
    problems: list[str] = []
    sentences = english_sentences(lang)

    def visit(label, path):
        page.goto(base + path)
        check_page(page, lang, label, sentences, problems)

    visit("home", f"/?lang={lang}")
    page.locator("input[name=location]").fill("Toronto")
    page.locator("form.search-form button[type=submit]").first.click()
    page.wait_for_selector(".result-card")
    check_page(page, lang, "results", sentences, problems)
    first = page.locator(".result-card a[href*='/practitioners/']").first.get_attribute("href")
    ids = re.findall(r"/practitioners/(\d+)", first)

    visit("underserved results", "/search?location=Ulaanbaatar")
    visit("did you mean", "/search?location=Springfield")
    visit("bad parameter", "/search?location=Toronto&radius=x")
    visit("practitioner", first)
    visit("shortlist", f"/shortlist?id={ids[0]}")
    visit("countries", "/countries")
    visit("country", "/countries/KR")
    visit("guide", "/guide")
    visit("submit", "/submit")
    page.locator("button[name=preview]").click()
    page.locator(".error-summary").wait_for()
    check_page(page, lang, "submit after error", sentences, problems)

    visit("admin login", "/admin/login")
    page.locator("input[name=email]").fill(ADMIN[0])
    page.locator("input[name=password]").fill("not the password")
    page.locator("form button[type=submit]").last.click()
    page.locator(".error-summary").wait_for()
    check_page(page, lang, "admin login failed", sentences, problems)
    page.locator("input[name=email]").fill(ADMIN[0])
    page.locator("input[name=password]").fill(ADMIN[1])
    page.locator("form button[type=submit]").last.click()
    page.locator(f"text={PENDING_NAME}").first.wait_for()
    check_page(page, lang, "admin queue", sentences, problems)
    visit("admin review", f"/admin/practitioners/{pending_id}")
    page.locator("textarea[name=notes]").fill("Checked by phone.")
    page.locator("button[name=action][value=approve]").click()  # no checklist: refused
    page.locator(".flash").first.wait_for()
    check_page(page, lang, "admin review with error", sentences, problems)
    assert not problems, "\n".join(problems)


# --- Without a browser ---------------------------------------------------------------------


def country_options(html: str) -> list[str]:
    select = html.split('name="country"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option[^>]*value="[A-Z]{2}"[^>]*>([^<]+)</option>', select)


@pytest.mark.parametrize(
    ("lang", "own", "english", "before", "after"),
    [
        ("ko", "대한민국", "South Korea", "가나", "헝가리"),
        ("es", "Alemania", "Germany", "Austria", "Bélgica"),
        ("ja", "日本", "Japan", "日本", "ニュージーランド"),  # 日本 read にっぽん
        ("zh", "中国", "China", "智利", "中国"),  # pinyin: zhi li before zhong guo
        ("de", "Deutschland", "Germany", "Österreich", "Panama"),  # Ö with O
        ("fr", "Allemagne", "Germany", "Égypte", "Émirats arabes unis"),
        ("pt", "Alemanha", "Germany", "Áustria", "Azerbaijão"),
        ("ar", "ألمانيا", "Germany", "ألمانيا", "تركيا"),
        ("tr", "Almanya", "Germany", "Cibuti", "Çin"),  # ç after c
    ],
)
def test_country_lists_are_in_the_page_language_and_its_order(
    client, lang, own, english, before, after
):
    from finder.forms import collation_key

    for path in ("/", "/submit"):
        html = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        names = [unescape(n) for n in country_options(html)]
        assert len(names) >= 249 and own in names and english not in names
        assert names == sorted(names, key=lambda name: collation_key(name, lang))
        assert names.index(before) <= names.index(after), (before, after)


def test_scripts_get_their_words_from_the_page(client):
    home = client.get("/?lang=ko").get_data(as_text=True)
    assert 'data-finding="현재 위치를 찾는 중…"' in home
    spanish = client.get("/?lang=es").get_data(as_text=True)
    assert "Su navegador no compartió su ubicación" in spanish


def test_search_parameter_errors_are_in_the_page_language(client):
    spanish = client.get("/search?location=Toronto&radius=x&lang=es")
    assert spanish.status_code == 400
    assert "«radio» debe ser un número." in spanish.get_data(as_text=True)
    english = client.get("/api/v1/search?location=Toronto&radius=x").get_json()
    assert english["error"]["message"] == "radius must be a number."


def test_spanish_reasons_read_naturally(client):
    html = client.get("/search?location=Ulaanbaatar&lang=es").get_data(as_text=True)
    assert "a unas" in html and "(profesional" not in html


@pytest.mark.parametrize(
    ("lang", "required"),
    [
        ("ko", "이 항목은 필수입니다."),
        ("es", "obligatorio"),
        ("ja", "このフィールドは必須です。"),
        ("zh", "该字段是必填字段。"),
        ("de", "Dieses Feld wird benötigt."),
        ("fr", "Ce champ est requis."),
        ("pt", "Campo obrigatório."),
        ("ar", "هذا الحقل مطلوب."),
        ("tr", "Bu alan zorunludur."),
    ],
)
def test_form_validation_messages_are_in_the_page_language(app, lang, required):
    app.config["WTF_CSRF_ENABLED"] = False
    html = app.test_client().post(f"/submit?lang={lang}", data={"preview": "1"})
    text = html.get_data(as_text=True)
    assert html.status_code == 400 and required in text
    assert "This field is required." not in text and "Please correct" not in text


def test_searched_places_name_their_country_in_the_page_language(client):
    korean = client.get("/search?location=%EC%84%9C%EC%9A%B8&lang=ko").get_data(as_text=True)
    title = re.search(r'<h1 class="results-title">(.*?)</h1>', korean, re.S).group(1)
    assert "대한민국" in title and "South Korea" not in title
    spanish = client.get("/search?location=Springfield&lang=es").get_data(as_text=True)
    candidates = re.findall(r'<li><a href="/search\?[^"]*">([^<]*)</a></li>', spanish)
    assert candidates and all(c.endswith("Estados Unidos") for c in candidates), candidates
    # The links still carry the English label the geocoder knows.
    assert "location=Springfield%2C+" in spanish and "United+States" in spanish


def test_place_labels_swap_the_gazetteers_own_country_name(client):
    """GeoNames says "The Netherlands" where babel says "Netherlands": still translated."""
    page = client.get("/search?location=Amsterdam&lang=es").get_data(as_text=True)
    title = re.search(r'<h1 class="results-title">(.*?)</h1>', page, re.S).group(1)
    assert "Países Bajos" in title and "Netherlands" not in title
