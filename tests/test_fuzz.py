"""Any query string on any GET page gets an answer, never a server error."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finder.links import SEARCH_PARAMS

ROUTES = [
    "/",
    "/search",
    "/api/v1/search",
    "/fhir/Location",
    "/countries",
    "/countries/KR",
    "/shortlist",
    "/api/v1/hsds/services",
    "/practitioners/1",
    "/unmet-need",
]
REAL_KEYS = [
    *SEARCH_PARAMS,
    "id",
    "near",
    "_count",
    "place",
    "practitioner_id",
    "code",
]
# Flask's url_for takes these as its own options; `endpoint` and `lang` feed the links.
TRAP_KEYS = ["_method", "_scheme", "_external", "_anchor", "endpoint", "lang", "values"]
TRAP_VALUES = [
    "POST",
    "javascript",
    "1",
    "0",
    "x",
    "",
    "ko",
    "es",
    "zz",
    "public.index",
    "admin.queue",
    "static",
    "-1",
    "1e309",
    "nan",
    "inf",
    "64.1",
    "-21.9",
    "Seoul",
    "Springfield",
    "서울",
    "muscle-energy-technique",
    "KR",
    "37.5|126.9|10|km",
    "\x00",
    "\ud7ff\ue000\uffff",
    "%",
    "{{7*7}}",
]
# Valid UTF-8 only: a URL cannot carry lone surrogates.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
VALUES = st.one_of(
    st.sampled_from(TRAP_VALUES),
    TEXT,
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(201, 5000).map(lambda n: "x" * n),
)
KEYS = st.one_of(st.sampled_from(REAL_KEYS + TRAP_KEYS), TEXT)
QUERIES = st.lists(st.tuples(KEYS, VALUES), max_size=8)


def check(client, url: str):
    response = client.get(url)
    assert response.status_code < 500, f"{response.status_code} for GET {url}"
    return response


@pytest.mark.slow
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(route=st.sampled_from(ROUTES), pairs=QUERIES)
def test_no_query_string_makes_a_server_error(client, route, pairs):
    check(client, f"{route}?{urlencode(pairs)}")


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(["/search", "/api/v1/search", "/"]),
    pairs=st.lists(st.tuples(st.sampled_from(TRAP_KEYS), VALUES), min_size=1, max_size=5),
)
def test_url_for_options_in_a_real_search_are_harmless(client, route, pairs):
    """A search that works, plus Flask's own url_for options and link parameters."""
    base = [("lat", "64.1"), ("lon", "-21.9"), ("location", "Reykjavík")]
    check(client, f"{route}?{urlencode(base + pairs)}")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segment=TEXT.filter(lambda s: s not in ("", ".", "..")))
def test_any_path_segment_is_answered(client, segment):
    for template in ("/countries/{}", "/practitioners/{}", "/api/v1/practitioners/{}"):
        check(client, template.format(quote(segment, safe="")))
    check(client, "/api/v1/hsds/services/" + quote(segment, safe=""))


REGRESSIONS = [
    "/search?location=Seoul&_method=POST",
    "/search?location=Seoul&_external=1",
    "/search?location=Seoul&_anchor=x",
    "/search?location=Seoul&_scheme=javascript",
    "/search?location=Seoul&_scheme=javascript&_external=1",
    "/search?lat=64.1&lon=-21.9&_method=POST&_anchor=%3Cscript%3E",
    "/search?location=Springfield&_method=POST",
    "/search?location=Springfield&_scheme=javascript&_external=1",
    "/?endpoint=x",
    "/?endpoint=admin.queue&_method=POST",
    "/?lang=ko&_method=POST",
    "/?_external=1&_scheme=javascript",
    "/countries?_method=POST",
    "/countries/KR?_anchor=x&_method=POST",
    "/countries/KR?code=US",
    "/shortlist?id=1&_method=POST",
    "/shortlist?id=1&_external=0&_scheme=ftp",
    "/practitioners/1?practitioner_id=abc",
    "/practitioners/1?practitioner_id=2&_method=POST",
    "/unmet-need?place=Seoul&_method=POST",
    "/unmet-need?place=Seoul&technique=x&_anchor=y",
    "/api/v1/search?location=Seoul&_method=POST",
    "/api/v1/search?location=Springfield&_method=POST",
    "/fhir/Location?near=64.1|-21.9|10|km&_method=POST",
    "/api/v1/hsds/services?_method=POST&page=1",
    "/search?location=Seoul&page=2&_method=POST",
    "/search?location=Seoul&per_page=1&page=2&_external=1",
]


@pytest.mark.parametrize("url", REGRESSIONS)
def test_url_for_options_in_the_query_do_not_break_pages(client, url):
    response = check(client, url)
    if "Springfield" in url:
        assert response.status_code == 422, url  # several places: the visitor chooses
        if not url.startswith("/api/"):
            assert "Springfield" in response.get_data(as_text=True)
    elif "practitioners/1?" in url:
        assert response.status_code in (200, 404), url
    elif "/hsds/" in url:  # HSDS refuses a parameter it does not define, naming it
        assert response.status_code == 400, url
        assert response.get_json()["error"]["field"] == "_method"
    else:
        assert response.status_code == 200, (url, response.status_code)
    body = response.get_data(as_text=True)
    assert "javascript:" not in body.lower().replace("javascript:void", ""), url


@pytest.mark.parametrize(
    "url",
    [
        "/practitioners/9223372036854775808",
        "/practitioners/2147483648",  # one past PostgreSQL's integer
        "/api/v1/practitioners/2147483648",
        "/practitioners/2147483648/report",
        "/practitioners/99999999999999999999999",
        "/api/v1/practitioners/9223372036854775808",
        "/admin/practitioners/9223372036854775808",
    ],
)
def test_ids_beyond_a_database_integer_are_not_found(client, url):
    """Found by the path fuzzing: an id too big for SQLite's INTEGER answered 500 (and on
    PostgreSQL, one too big for its 32-bit integer)."""
    assert client.get(url).status_code == 404, url
