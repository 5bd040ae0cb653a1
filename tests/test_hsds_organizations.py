"""HSDS /organizations and /service_at_locations as the standard's OpenAPI defines them: one
organization per approved listing, one service_at_location per practice location and a
virtual one for telehealth; read back by the ids the lists give; filtered as asked or
refused with 400; every answer valid against the standard's schemas."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, select

from finder.extensions import db
from finder.models import PracticeLocation, Practitioner, Technique, utcnow

from .test_exports import CANONICAL, approved_count, registry, schema_errors, standard

__all__ = ["registry", "standard"]  # fixtures used here

ORGANIZATIONS = "/api/v1/hsds/organizations"
PLACES = "/api/v1/hsds/service_at_locations"


def page_schema(path: str) -> str:
    """The standard's schema of a page of `path` (its OpenAPI document's 200 answer)."""
    return (
        CANONICAL
        + f"openapi.json#/paths/~1{path}/get/responses/200/content/application~1json/schema"
    )


ORGANIZATIONS_PAGE = page_schema("organizations")
PLACES_PAGE = page_schema("service_at_locations")
ORGANIZATION_ITEM = CANONICAL + "compiled/organization_list.json"
# The standard's OpenAPI names compiled/organization.json for one organization, which HSDS 3.0
# does not ship; organization.json is the same organization with its nested tables.
ORGANIZATION = CANONICAL + "organization.json"
PLACE_ITEM = CANONICAL + "compiled/service_at_location_list.json"
PLACE = CANONICAL + "service_at_location.json"
SERVICE = CANONICAL + "compiled/service.json"


def every(client, path: str, **query) -> list[dict]:
    """Every item of a list, page after page (each page valid against the standard)."""
    found, number = [], 1
    while True:
        response = client.get(path, query_string={"per_page": 100, "page": number, **query})
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        found += body["contents"]
        if body["last_page"] or body["empty"]:
            return found
        number += 1


def refused(client, path: str, query: str) -> dict:
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400, (query, response.status_code)
    error = response.get_json()["error"]
    assert error["code"] == "bad_parameter"
    return error


def ndjson(client, path: str, **query) -> list[dict]:
    response = client.get(path, query_string={"format": "ndjson", **query})
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def services(client) -> list[dict]:
    return every(client, "/api/v1/hsds/services", full="true")


# --- organizations ----------------------------------------------------------------------


def test_each_approved_listing_is_one_organization_valid_as_the_standard_says(
    app, client, registry
):
    body = client.get(ORGANIZATIONS, query_string={"per_page": 7, "page": 2}).get_json()
    assert schema_errors(registry, ORGANIZATIONS_PAGE, body) == []
    assert (body["page_number"], body["size"], body["total_items"]) == (2, 7, approved_count(app))
    organizations = every(client, ORGANIZATIONS)
    assert all(schema_errors(registry, ORGANIZATION_ITEM, o) == [] for o in organizations)
    # In the order of the services, each the organization its service names.
    by_service = [(s["organization_id"], s["organization"]) for s in services(client)]
    assert [(o["id"], o) for o in organizations] == by_service


def test_an_organization_reads_back_fully_nested_with_its_locations_and_service(client, registry):
    service = next(s for s in services(client) if len(s["service_at_locations"]) > 1)
    listed = next(o for o in every(client, ORGANIZATIONS) if o["id"] == service["organization_id"])
    response = client.get(f"{ORGANIZATIONS}/{listed['id']}")
    assert response.status_code == 200
    organization = response.get_json()
    assert schema_errors(registry, ORGANIZATION, organization) == []
    assert {k: organization[k] for k in listed} == listed  # the list's record, nested further
    assert organization["locations"] == [p["location"] for p in service["service_at_locations"]]
    assert all(loc["organization_id"] == listed["id"] for loc in organization["locations"])
    (own,) = organization["services"]  # the service's own fields
    assert own == {k: v for k, v in service.items() if not isinstance(v, list | dict)}
    full = client.get(f"{ORGANIZATIONS}/{listed['id']}?full_service=true").get_json()
    assert full["services"] == [service]
    assert schema_errors(registry, SERVICE, full["services"][0]) == []
    # The list gives the same record fully nested with full (and full_service).
    found = [o for o in every(client, ORGANIZATIONS, full="true") if o["id"] == listed["id"]]
    assert found == [organization]
    found = every(client, ORGANIZATIONS, full_service="true")
    assert [o for o in found if o["id"] == listed["id"]] == [full]


def test_search_finds_just_the_organizations_with_every_word_in_their_names(client):
    organizations = every(client, ORGANIZATIONS)

    def matching(words: list[str]) -> list[dict]:
        # The organization's name and the practitioner's (its description names them).
        return [
            o for o in organizations
            if all(w.casefold() in f"{o['name']} {o['description']}".casefold() for w in words)
        ]  # fmt: skip

    alone = next(o for o in organizations if matching(o["name"].split()) == [o])
    words = alone["name"].upper().split()
    assert every(client, ORGANIZATIONS, search=" ".join(words)) == [alone]
    two = [o["name"].split()[0] for o in organizations[:2]]
    assert every(client, ORGANIZATIONS, search=two[0]) == matching([two[0]])
    assert every(client, ORGANIZATIONS, search="zzzz-nobody") == []
    assert every(client, ORGANIZATIONS, search="%") == []  # wildcards are taken literally
    assert refused(client, ORGANIZATIONS, "search=a%00b")["field"] == "search"


def test_organizations_stream_as_ndjson_all_or_the_page_asked(client, registry):
    organizations = every(client, ORGANIZATIONS)
    assert ndjson(client, ORGANIZATIONS) == organizations
    assert ndjson(client, ORGANIZATIONS, page=2, per_page=5) == organizations[5:10]
    nested = ndjson(client, ORGANIZATIONS, full="true")
    assert [o["id"] for o in nested] == [o["id"] for o in organizations]
    assert all(schema_errors(registry, ORGANIZATION, o) == [] for o in nested[:50])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("full=yes", "full"),
        ("full_service=1", "full_service"),
        ("page=0", "page"),
        ("page=", "page"),
        ("per_page=101", "per_page"),
        ("format=csv", "format"),
        ("taxonomy_id=" + str(uuid.UUID(int=1)), "taxonomy_id"),  # not an /organizations filter
        ("colour=green", "colour"),
    ],
)
def test_organizations_refuse_what_they_cannot_use_naming_it(client, query, field):
    assert refused(client, ORGANIZATIONS, query)["field"] == field


def test_an_unknown_organization_is_a_404(client):
    service = services(client)[0]
    for unknown in (str(uuid.UUID(int=5)), service["id"], "not-a-uuid"):
        response = client.get(f"{ORGANIZATIONS}/{unknown}")
        assert response.status_code == 404 and response.get_json()["error"]["field"] == "id"
    known = service["organization_id"]
    assert refused(client, f"{ORGANIZATIONS}/{known}", "full=true")["field"] == "full"


# --- service_at_locations ---------------------------------------------------------------


def expected_places(app) -> int:
    """Practice locations of approved listings, and one virtual place per telehealth one."""
    with app.app_context():
        located = db.session.scalar(
            select(func.count())
            .select_from(PracticeLocation)
            .join(Practitioner)
            .where(Practitioner.listed)
        )
        remote = db.session.scalar(
            select(func.count()).where(Practitioner.listed, Practitioner.telehealth)
        )
    return located + remote


def test_each_location_and_telehealth_is_a_service_at_location_valid_as_the_standard_says(
    app, client, registry
):
    body = client.get(PLACES, query_string={"per_page": 9, "page": 3}).get_json()
    assert schema_errors(registry, PLACES_PAGE, body) == []
    assert body["total_items"] == expected_places(app) > approved_count(app)
    places = every(client, PLACES)
    assert len(places) == body["total_items"] == len({p["id"] for p in places})
    assert all(schema_errors(registry, PLACE_ITEM, p) == [] for p in places)
    # In the order of the services, each service's places as /services/{id} nests them.
    nested = [(s, link) for s in services(client) for link in s["service_at_locations"]]
    assert [p["id"] for p in places] == [link["id"] for _, link in nested]
    for place, (service, link) in zip(places, nested, strict=True):
        assert (place["service_id"], place["location_id"]) == (service["id"], link["location_id"])
        assert place["service"]["id"] == service["id"]
        assert place["service"]["organization"] == service["organization"]
        assert place["location"]["id"] == link["location"]["id"] == place["location_id"]
        assert "addresses" not in place["location"]  # one-to-one fields only, without full


def test_a_service_at_location_has_its_own_location_and_service(app, client, registry):
    with app.app_context():
        p = db.session.scalar(
            select(Practitioner)
            .where(Practitioner.listed, Practitioner.telehealth)
            .where(Practitioner.locations.any(PracticeLocation.position > 0))
            .order_by(Practitioner.ref)
        )
        wanted = p.service_id
        located = [(loc.city, loc.latitude, loc.longitude) for loc in p.locations]
    places = [x for x in every(client, PLACES) if x["service_id"] == wanted]
    assert len(places) == len(located) + 1
    for place, (city, lat, lon) in zip(places, located, strict=False):
        location = place["location"]
        assert location["location_type"] == "physical" and city in location["name"]
        assert (location["latitude"], location["longitude"]) == (lat, lon)
    virtual = places[-1]["location"]
    assert virtual["location_type"] == "virtual" and "latitude" not in virtual
    for place in places:
        assert place["service"]["id"] == wanted
        response = client.get(f"{PLACES}/{place['id']}")
        assert response.status_code == 200
        full = response.get_json()
        for schema in (PLACE_ITEM, PLACE):
            assert schema_errors(registry, schema, full) == []
        assert schema_errors(registry, SERVICE, full["service"]) == []
        assert {k: full[k] for k in ("id", "service_id", "location_id")} == {
            k: place[k] for k in ("id", "service_id", "location_id")
        }
        assert full["location"]["id"] == place["location"]["id"]
        assert full["service"] == client.get(f"/api/v1/hsds/services/{wanted}").get_json()
    # The list gives the same records fully nested with full.
    fully = [x for x in every(client, PLACES, full="true") if x["service_id"] == wanted]
    assert fully == [client.get(f"{PLACES}/{x['id']}").get_json() for x in places]


def test_the_filters_of_services_narrow_the_service_at_locations_alike(app, client):
    places = every(client, PLACES)

    def services_of(found: list[dict]) -> list[str]:
        return list(dict.fromkeys(p["service_id"] for p in found))

    def same_as_services(**query):
        wanted = every(client, "/api/v1/hsds/services", **query)
        found = every(client, PLACES, **query)
        assert services_of(found) == [s["id"] for s in wanted], query
        assert found == [p for p in places if p["service_id"] in {s["id"] for s in wanted}]
        return found

    physical = next(p for p in places[4:] if p["location"]["location_type"] == "physical")
    some = physical["location"]["name"].split(", ")[-1]  # a city
    assert 0 < len(same_as_services(search=some)) < len(places)
    with app.app_context():
        slug = db.session.scalar(select(Technique.slug).order_by(Technique.position))
    term = next(
        a["taxonomy_term"] for s in services(client) for a in s["attributes"]
        if a["taxonomy_term"]["code"] == slug
    )  # fmt: skip
    assert 0 < len(same_as_services(taxonomy_term_id=term["id"])) < len(places)
    assert same_as_services(taxonomy_id=term["taxonomy_id"]) == places
    assert same_as_services(taxonomy_id=str(uuid.UUID(int=7))) == []
    organization = places[4]["service"]["organization_id"]
    assert services_of(same_as_services(organization_id=organization)) == [places[4]["service_id"]]
    with app.app_context():
        edited = db.session.scalar(
            select(Practitioner).where(Practitioner.listed).order_by(Practitioner.ref.desc())
        )
        cutoff = utcnow() + dt.timedelta(seconds=1)
        edited.updated_at = cutoff + dt.timedelta(minutes=5)
        db.session.commit()
        edited_id = edited.service_id
    since = cutoff.replace(microsecond=0).isoformat() + "Z"
    assert services_of(every(client, PLACES, modified_after=since)) == [edited_id]


def test_service_at_locations_stream_as_ndjson_all_or_the_page_asked(client):
    places = every(client, PLACES)
    assert ndjson(client, PLACES) == places
    assert ndjson(client, PLACES, page=3, per_page=4) == places[8:12]
    words = places[0]["service"]["name"].replace(",", "")  # the name and credentials
    fully = ndjson(client, PLACES, full="true", search=words)
    assert fully == every(client, PLACES, full="true", search=words) != []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("postcode=10115", "postcode"),  # the standard's, but nothing here has a service area
        ("proximity=5000", "proximity"),
        ("minimal=true", "minimal"),  # not an /service_at_locations filter
        ("organization_id=x", "organization_id"),
        ("taxonomy_term_id=met", "taxonomy_term_id"),
        ("modified_after=yesterday", "modified_after"),
        ("full=maybe", "full"),
        ("search=" + "x" * 201, "search"),
        ("per_page=0", "per_page"),
        ("format=xml", "format"),
    ],
)
def test_service_at_locations_refuse_what_they_cannot_use_naming_it(client, query, field):
    error = refused(client, PLACES, query)
    assert error["field"] == field and field in error["message"]


def test_an_unknown_service_at_location_is_a_404(client):
    service = services(client)[0]
    link = service["service_at_locations"][0]
    for unknown in (str(uuid.UUID(int=9)), service["id"], link["location_id"], "x"):
        response = client.get(f"{PLACES}/{unknown}")
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
