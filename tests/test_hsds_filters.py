"""The HSDS API's `/` and the filters of `/services` as the standard's OpenAPI defines them:
each one changes the answer as specified, or is refused with 400 naming it — never ignored;
every answer validates against the standard's schemas."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile

import pytest
from sqlalchemy import func, select

from finder.extensions import db
from finder.models import Practitioner, Technique, utcnow
from finder.open_data import DETAIL_TERMS

from .test_exports import (
    CANONICAL,
    SERVICES_PAGE,
    approved_count,
    hsds_package,
    registry,
    schema_errors,
    standard,
)

__all__ = ["hsds_package", "registry", "standard"]  # fixtures used here

SERVICES = "/api/v1/hsds/services"
SERVICE = CANONICAL + "compiled/service.json"
SERVICE_LIST = CANONICAL + "compiled/service_list.json"


def page(client, **query) -> dict:
    response = client.get(SERVICES, query_string={"per_page": 100, **query})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def every(client, **query) -> list[dict]:
    """Every service the query finds, page after page."""
    found, number = [], 1
    while True:
        body = page(client, page=number, **query)
        found += body["contents"]
        if body["last_page"] or body["empty"]:
            return found
        number += 1


def refused(client, query: str) -> dict:
    response = client.get(f"{SERVICES}?{query}")
    assert response.status_code == 400, (query, response.status_code)
    return response.get_json()["error"]


def test_the_root_says_version_profile_and_where_the_openapi_document_is(client):
    body = client.get("/api/v1/hsds/").get_json()
    assert body["version"] == "3.0" and body["profile"].startswith("https://")
    assert body["openapi_url"].endswith("/openapi.json")
    document = client.get("/" + body["openapi_url"].split("/", 3)[3]).get_json()
    assert "/api/v1/hsds/services" in document["paths"]


def test_modified_after_returns_only_the_listing_edited_since(app, client, registry):
    cutoff = utcnow() + dt.timedelta(seconds=1)
    with app.app_context():
        edited = db.session.scalar(
            select(Practitioner).where(Practitioner.listed).order_by(Practitioner.ref.desc())
        )
        edited.updated_at = cutoff + dt.timedelta(minutes=5)  # as the edit would stamp it
        db.session.commit()
        wanted = edited.service_id
    since = cutoff.replace(microsecond=0).isoformat() + "Z"
    body = page(client, modified_after=since)
    assert schema_errors(registry, SERVICES_PAGE, body) == []
    assert [s["id"] for s in body["contents"]] == [wanted] and body["total_items"] == 1
    # The same instant with an offset, and a date before everything: all of them.
    tokyo = (cutoff + dt.timedelta(hours=9)).replace(microsecond=0).isoformat() + "+09:00"
    assert page(client, modified_after=tokyo)["total_items"] == 1
    assert page(client, modified_after="2000-01-01")["total_items"] == approved_count(app)
    assert refused(client, "modified_after=yesterday")["field"] == "modified_after"


def test_taxonomy_term_and_taxonomy_narrow_to_the_technique(app, client, registry):
    with app.app_context():
        met = db.session.scalar(
            select(func.count())
            .select_from(Practitioner)
            .where(
                Practitioner.listed,
                Practitioner.techniques.any(Technique.slug == "muscle-energy-technique"),
            )
        )
    one = every(client, full="true")[0]
    terms = {a["taxonomy_term"]["code"]: a["taxonomy_term"] for a in one["attributes"]}
    some = next(iter(terms.values()))
    taxonomy = some["taxonomy_detail"]["id"]
    term = next(
        (t["id"] for s in every(client, full="true") for a in s["attributes"]
         for t in [a["taxonomy_term"]] if t["code"] == "muscle-energy-technique"),
    )  # fmt: skip
    found = every(client, taxonomy_term_id=term, full="true")
    assert 0 < len(found) == met < approved_count(app)
    for service in found:
        assert schema_errors(registry, SERVICE, service) == []
        assert "muscle-energy-technique" in {
            a["taxonomy_term"]["code"] for a in service["attributes"]
        }
    assert page(client, taxonomy_term_id=str(uuid.uuid4()))["total_items"] == 0
    assert refused(client, "taxonomy_term_id=met")["field"] == "taxonomy_term_id"
    assert page(client, taxonomy_id=taxonomy)["total_items"] == approved_count(app)
    assert page(client, taxonomy_id=str(uuid.uuid4()))["total_items"] == 0
    both = page(client, taxonomy_id=taxonomy, taxonomy_term_id=term)
    assert both["total_items"] == met


def test_search_finds_every_word_in_any_case_and_takes_wildcards_literally(app, client):
    with app.app_context():
        p = db.session.scalar(
            select(Practitioner).where(Practitioner.listed, Practitioner.clinic != "")
        )
        name_word = p.name.split()[0]
        city = p.locations[0].city
    found = every(client, search=f"{name_word.upper()} {city.lower()}")
    assert p.service_id in {s["id"] for s in found}
    for service in found:
        text = json.dumps(service).lower()
        assert name_word.lower() in text
    assert page(client, search="%")["total_items"] == 0
    assert page(client, search="_")["total_items"] == 0
    assert page(client, search="")["total_items"] == approved_count(app)
    assert refused(client, "search=a%00b")["field"] == "search"
    assert refused(client, "search=" + "x" * 201)["field"] == "search"


def test_full_nests_each_service_and_the_page_still_validates(client, registry):
    body = page(client, full="true", per_page=10)
    assert schema_errors(registry, SERVICES_PAGE, body) == []
    for service in body["contents"]:
        assert schema_errors(registry, SERVICE, service) == []
        assert "service_at_locations" in service and "attributes" in service
    plain = page(client, full="false", per_page=10)
    assert all("service_at_locations" not in s for s in plain["contents"])
    assert [s["id"] for s in plain["contents"]] == [s["id"] for s in body["contents"]]
    assert refused(client, "full=yes")["field"] == "full"


def test_ndjson_streams_every_matching_service_one_a_line(app, client, registry):
    response = client.get(SERVICES, query_string={"format": "ndjson"})
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    assert response.headers["ETag"].startswith('W/"')
    lines = response.get_data(as_text=True).splitlines()
    services = [json.loads(line) for line in lines]
    assert len(services) == approved_count(app)
    assert [s["id"] for s in services] == [s["id"] for s in every(client)]
    assert all(schema_errors(registry, SERVICE_LIST, s) == [] for s in services[:50])
    again = client.get(SERVICES, query_string={"format": "ndjson"},
                       headers={"If-None-Match": response.headers["ETag"]})  # fmt: skip
    assert again.status_code == 304
    narrowed = client.get(SERVICES, query_string={"format": "ndjson", "search": "zzzz-none"})
    assert narrowed.get_data(as_text=True) == ""
    # With page or per_page, the lines are that page's services.
    second = client.get(SERVICES, query_string={"format": "ndjson", "page": 2, "per_page": 3})
    assert second.mimetype == "application/x-ndjson"
    assert [json.loads(line) for line in second.get_data(as_text=True).splitlines()] == (
        page(client, page=2, per_page=3)["contents"]
    )
    assert refused(client, "format=xml")["field"] == "format"
    assert refused(client, "page=")["field"] == "page"  # empty is not a whole number


def test_organization_id_finds_the_service_of_that_organization(client, registry):
    wanted = page(client, per_page=5)["contents"][3]
    body = page(client, organization_id=wanted["organization_id"])
    assert schema_errors(registry, SERVICES_PAGE, body) == []
    assert [s["id"] for s in body["contents"]] == [wanted["id"]] and body["total_items"] == 1
    assert page(client, organization_id=str(uuid.UUID(int=3)))["total_items"] == 0
    for value in ("x", wanted["organization_id"].upper()):  # a UUID as the API writes them
        assert refused(client, f"organization_id={value}")["field"] == "organization_id"


@pytest.mark.parametrize(
    "query, field",
    [
        ("minimal=true", "minimal"),
        ("postcode=10115", "postcode"),
        ("colour=green", "colour"),
    ],
)
def test_a_filter_this_directory_cannot_honour_is_refused_naming_it(client, query, field):
    error = refused(client, query)
    assert error["field"] == field and error["code"] == "bad_parameter"
    assert field in error["message"]


TAXONOMY = CANONICAL + "taxonomy.json"
TERM = CANONICAL + "taxonomy_term.json"
TERMS_PAGE = CANONICAL + "openapi.json#/paths/~1taxonomy_terms/get/responses/200/content/application~1json/schema"  # fmt: skip
TAXONOMIES_PAGE = CANONICAL + "openapi.json#/paths/~1taxonomies/get/responses/200/content/application~1json/schema"  # fmt: skip


def test_the_taxonomy_and_its_terms_are_listed_read_and_filtered(app, client, registry):
    with app.app_context():
        slugs = list(db.session.scalars(select(Technique.slug).order_by(Technique.position)))
    taxonomies = client.get("/api/v1/hsds/taxonomies").get_json()
    assert schema_errors(registry, TAXONOMIES_PAGE, taxonomies) == []
    taxonomy, details = taxonomies["contents"]  # the techniques, the decision details
    assert (taxonomy["uri"], details["uri"]) == (
        "urn:si-joint-finder:technique",
        "urn:si-joint-finder:detail",
    )
    for record in (taxonomy, details):
        assert client.get(f"/api/v1/hsds/taxonomies/{record['id']}").get_json() == record
        assert schema_errors(registry, TAXONOMY, record) == []
    every_term = client.get("/api/v1/hsds/taxonomy_terms?per_page=100").get_json()
    assert schema_errors(registry, TERMS_PAGE, every_term) == []
    assert [t["code"] for t in every_term["contents"]] == slugs + list(DETAIL_TERMS)
    terms = {"contents": [t for t in every_term["contents"] if t["code"] in slugs]}
    for term in every_term["contents"]:
        assert schema_errors(registry, TERM, term) == []
        assert term["taxonomy_id"] == (taxonomy if term["code"] in slugs else details)["id"]
        assert client.get(f"/api/v1/hsds/taxonomy_terms/{term['id']}").get_json() == term
    # The terms are the ones services carry, and taxonomy_term_id finds them by it.
    met = next(t for t in terms["contents"] if t["code"] == "muscle-energy-technique")
    for service in every(client, taxonomy_term_id=met["id"], full="true"):
        assert met["id"] in {a["taxonomy_term"]["id"] for a in service["attributes"]}

    def codes(**query):
        body = client.get("/api/v1/hsds/taxonomy_terms", query_string=query).get_json()
        return [t["code"] for t in body["contents"]]

    assert codes(search="MUSCLE energy") == ["muscle-energy-technique"]
    assert codes(taxonomy_id=taxonomy["id"], top_only="true") == slugs
    assert codes(taxonomy_id=str(uuid.UUID(int=1))) == []
    assert codes(parent_id=met["id"]) == []
    assert codes(taxonomy_id=details["id"]) == list(DETAIL_TERMS)
    assert codes(per_page=2, page=2) == slugs[2:4]
    lines = client.get("/api/v1/hsds/taxonomy_terms?format=ndjson").get_data(as_text=True)
    assert [json.loads(line)["code"] for line in lines.splitlines()] == slugs + list(DETAIL_TERMS)
    for query, field in [
        ("top_only=maybe", "top_only"),
        ("parent_id=x", "parent_id"),
        ("format=csv", "format"),
        ("colour=1", "colour"),
    ]:
        answer = client.get(f"/api/v1/hsds/taxonomy_terms?{query}")
        assert answer.status_code == 400 and answer.get_json()["error"]["field"] == field
    for path in ("taxonomies", "taxonomy_terms"):
        missing = client.get(f"/api/v1/hsds/{path}/{uuid.UUID(int=2)}")
        assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_the_datapackage_downloads_as_a_zip_with_its_licence_same_as_export_hsds(
    app, client, hsds_package, tmp_path
):
    response = client.get("/api/v1/hsds/datapackage.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(p.name for p in hsds_package.iterdir())
        for name in names:
            assert archive.read(name) == (hsds_package / name).read_bytes(), name
        descriptor = json.loads(archive.read("datapackage.json"))
    assert descriptor["licenses"] == [
        {
            "name": "CC-BY-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": "Creative Commons Attribution 4.0 International",
        }
    ]
    again = client.get(
        "/api/v1/hsds/datapackage.zip", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    with app.app_context():  # a change to a listing makes a new package
        p = db.session.scalar(select(Practitioner).where(Practitioner.listed))
        p.phone = "+14155550100"
        db.session.commit()
    changed = client.get(
        "/api/v1/hsds/datapackage.zip", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != response.headers["ETag"]


def test_decision_details_are_attributes_and_their_terms_find_services(client, registry):
    """A service's decision details are attributes of the details taxonomy's terms, and
    taxonomy_term_id finds exactly the services with that term."""
    terms = client.get("/api/v1/hsds/taxonomy_terms?per_page=100").get_json()["contents"]
    by_code = {t["code"]: t for t in terms}
    every_service = every(client, full="true")
    for code in ("diagnostic-injection", "lateral-approach", "lying-down"):
        term = by_code[code]
        having = {
            s["id"] for s in every_service
            if term["id"] in {a["taxonomy_term"]["id"] for a in s["attributes"]}
        }  # fmt: skip
        assert having, code
        found = {s["id"] for s in every(client, taxonomy_term_id=term["id"])}
        assert found == having, code
    details_taxonomy = by_code["lying-down"]["taxonomy_id"]
    with_any = {s["id"] for s in every_service if any(
        a["taxonomy_term"]["taxonomy_id"] == details_taxonomy for a in s["attributes"])}  # fmt: skip
    assert {s["id"] for s in every(client, taxonomy_id=details_taxonomy)} == with_any
    assert 0 < len(with_any) < len(every_service)
