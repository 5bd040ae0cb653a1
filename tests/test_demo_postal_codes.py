"""The demo directory's postal codes: one on every row of a country that has them, in the
country's format, and where the site's own geocoder puts it: near the row's city."""

from __future__ import annotations

import csv
import functools

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import finder.models  # noqa: F401  (registers the tables on db.metadata)
from finder.csv_files import DEMO_FILE
from finder.extensions import db
from finder.gazetteer import Gazetteer
from finder.geo import haversine_km
from finder.geocode import GeocodeError, geocode

NEAR_KM = 30  # a row's code is placed this close to the row's point
NO_POSTAL_CODES = {"AE", "FJ", "HK", "JM"}  # countries without a postal code system
# Cities whose codes the gazetteer lacks (it has none of Dar es Salaam's or Arusha's, nor
# Cebu City's 6000): their codes are in the published ranges, but the site cannot place them.
UNPLACED = {("TZ", "Dar es Salaam"), ("TZ", "Arusha"), ("PH", "Cebu City")}


@functools.cache
def demo_rows() -> list[dict]:
    with DEMO_FILE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def gazetteer(gazetteer_path) -> Gazetteer:
    return Gazetteer(gazetteer_path)


@pytest.fixture(scope="module")
def find(gazetteer_path):
    """geocode() a code with its country, offline, on an empty in-memory database."""
    engine = create_engine("sqlite://")
    db.metadata.create_all(engine)
    with Session(engine) as session:

        def find(code: str, country: str):
            return geocode(session, code, gazetteer_path=gazetteer_path, country_hint=country)

        yield find
    engine.dispose()


def countries_with_codes(gazetteer: Gazetteer) -> set[str]:
    """The countries whose postal codes the gazetteer holds (the US's are its ZIP table)."""
    return {row[0] for row in gazetteer._rows("SELECT DISTINCT country FROM postal_code")} | {"US"}


def test_every_row_has_a_postal_code_unless_its_country_has_none():
    rows = demo_rows()
    assert len(rows) == 698
    wrong = [
        (r["ref"], r["country"], r["postal_code"])
        for r in rows
        if bool(r["postal_code"]) == (r["country"] in NO_POSTAL_CODES)
    ]
    assert wrong == []
    assert {r["country"] for r in rows} >= NO_POSTAL_CODES  # the empty cells are all used


def test_every_code_has_its_countrys_format(gazetteer):
    formats = gazetteer.postal_formats()
    wrong = [
        (r["ref"], r["country"], r["postal_code"], formats[r["country"]][1])
        for r in demo_rows()
        if r["postal_code"]
        and r["country"] in formats
        and not formats[r["country"]][0].fullmatch(r["postal_code"])
    ]
    assert wrong == []


def test_every_code_the_gazetteer_knows_lands_near_its_row(gazetteer, find):
    known = countries_with_codes(gazetteer)
    checked, far = 0, []
    for row in demo_rows():
        country, code = row["country"], row["postal_code"]
        if not code or country not in known or (country, row["city"]) in UNPLACED:
            continue
        try:
            place = find(code, country)
        except GeocodeError as error:
            far.append((row["ref"], country, code, error.message))
            continue
        km = haversine_km(place.lat, place.lon, float(row["latitude"]), float(row["longitude"]))
        if place.country != country or km > NEAR_KM:
            far.append((row["ref"], row["city"], code, place.label, round(km)))
        checked += 1
    assert far == []
    assert checked > 600


def test_the_cities_left_unplaced_are_still_unknown_to_the_gazetteer(gazetteer):
    """Once the gazetteer knows these codes, they belong in the test above."""
    rows = [r for r in demo_rows() if (r["country"], r["city"]) in UNPLACED]
    assert {(r["country"], r["city"]) for r in rows} == UNPLACED
    for row in rows:
        postal = gazetteer.postal_code(row["country"], row["postal_code"])
        assert postal is None or not postal.exact, (row["city"], row["postal_code"], postal)


def test_the_hsds_export_carries_the_demo_postal_codes(client):
    answer = client.get("/api/v1/hsds/services?full=true&per_page=5")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    services = answer.get_json()["contents"]
    assert len(services) == 5
    codes_of = {}  # a service's url is its practitioner's website: one per ref
    for row in demo_rows():
        codes_of.setdefault(row["website"], set()).add(row["postal_code"])
    for service in services:
        physical = [
            link["location"]
            for link in service["service_at_locations"]
            if link["location"]["location_type"] == "physical"
        ]
        assert physical, service["name"]
        codes = {a["postal_code"] for loc in physical for a in loc["addresses"]}
        assert all(len(loc["addresses"]) == 1 for loc in physical), physical
        assert codes and "" not in codes, (service["url"], codes)
        assert codes <= codes_of[service["url"]], (service["url"], codes)
