"""Open data shapes: HSDS 3.0 records and FHIR R4 resources from listings (pure mappers),
and the files `export-hsds` and `export-fhir` write.

Every identifier is a UUID made with uuid5 from the practitioner's `ref` (plus a location's
place in the practitioner's list, or a technique's slug), so an export of the same data is
the same file. The mapping is described in plain words in docs/open-data.md.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import tempfile
import zipfile
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from babel import Locale
from fhir.resources.R4B.location import Location as FhirLocation
from fhir.resources.R4B.organization import Organization as FhirOrganization
from fhir.resources.R4B.practitioner import Practitioner as FhirPractitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole as FhirPractitionerRole
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import details as dd
from .csv_files import approved_practitioners, spreadsheet_safe
from .models import PracticeLocation, Practitioner, Technique, record_id, stable_id

HSDS_STANDARD_DIR = Path(
    os.environ.get(
        "HSDS_STANDARD_DIR",
        Path(__file__).resolve().parent.parent / "data" / "hsds-3",
    )
)
DIRECTORY_URN = "urn:si-joint-finder"
TECHNIQUE_SYSTEM = f"{DIRECTORY_URN}:technique"
REF_SYSTEM = f"{DIRECTORY_URN}:practitioner-ref"
REGISTRY_SYSTEM = f"{DIRECTORY_URN}:registry"
EXTENSION_URL = f"{DIRECTORY_URN}:extension"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"
IDENTIFIER_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0203"
ORGANIZATION_TYPES = "http://terminology.hl7.org/CodeSystem/organization-type"
DISTANCE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/location-distance"
UCUM = "http://unitsofmeasure.org"
TAXONOMY_NAME = "SI-Joint Practitioner Finder techniques"
APPROVED = "approved"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def compact(record: dict) -> dict:
    """The record without its empty values (JSON leaves unknown fields out)."""
    return {key: value for key, value in record.items() if value not in (None, "", [])}


def organization_name(p: Practitioner) -> str:
    """The clinic's name, or the practitioner's own name for their own practice."""
    return p.clinic.strip() or p.name


def display_name(p: Practitioner) -> str:
    """The practitioner's name with credentials: 'Fatima Saleh (demo), DC'."""
    return f"{p.name}, {p.credentials}" if p.credentials else p.name


def language_name_en(code: str) -> str:
    """The English name of an ISO 639-1 code ('ko' -> 'Korean')."""
    return Locale("en").languages.get(code, code)


def _email(p: Practitioner) -> str | None:
    return p.email if _EMAIL.match(p.email or "") else None


# --- HSDS 3.0 records (one table row each; JSON nests them) ------------------------------


def taxonomy_record() -> dict:
    """The taxonomy of this directory's techniques."""
    return {
        "id": stable_id("taxonomy", "techniques"),
        "name": TAXONOMY_NAME,
        "description": "Treatment approaches for SI-joint dysfunction; codes are technique slugs.",
        "uri": TECHNIQUE_SYSTEM,
        "version": None,
    }


def taxonomy_term_record(t: Technique) -> dict:
    """A technique as a taxonomy term whose code is its slug."""
    return {
        "id": stable_id("technique", t.slug),
        "code": t.slug,
        "name": t.name,
        "description": t.description or t.name,
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": stable_id("taxonomy", "techniques"),
        "language": "en",
    }


# The decision details patients filter on, as terms of a second taxonomy (codes are the
# details' own codes), so that HSDS attributes carry them.
DETAIL_TAXONOMY_NAME = "SI-Joint Practitioner Finder decision details"
DETAIL_SYSTEM = f"{DIRECTORY_URN}:detail"
DETAIL_TERMS = {
    "accepting-new-patients": "Taking new patients (now or from a waiting list)",
    "provocation-cluster": "Diagnoses with a cluster of SI-joint provocation tests",
    "diagnostic-injection": "Offers an image-guided diagnostic injection",
    "imaging": "Uses imaging to rule out other causes",
    "posterior-approach": "SI-joint fusion by the posterior approach",
    "lateral-approach": "SI-joint fusion by the lateral approach",
    "lying-down": "Treats patients lying down",
    "step-free": "Step-free access",
    "carer-welcome": "A carer is welcome in the room",
    "international-office": "Has an international patient office",
    "visa-letter": "Helps with a medical visa letter",
}


def detail_taxonomy_record() -> dict:
    """The taxonomy of the decision details patients filter on."""
    return {
        "id": stable_id("taxonomy", "details"),
        "name": DETAIL_TAXONOMY_NAME,
        "description": "What a patient needs to decide: availability, diagnosis, surgery, "
        "access and help for travelling patients; codes are the details' codes.",
        "uri": DETAIL_SYSTEM,
        "version": None,
    }


def detail_term_record(code: str) -> dict:
    """A decision detail as a taxonomy term."""
    return {
        "id": stable_id("detail", code),
        "code": code,
        "name": DETAIL_TERMS[code],
        "description": DETAIL_TERMS[code],
        "taxonomy": DETAIL_TAXONOMY_NAME,
        "taxonomy_id": stable_id("taxonomy", "details"),
        "language": "en",
    }


def taxonomy_records() -> list[dict]:
    """Every taxonomy: the techniques, then the decision details."""
    return [taxonomy_record(), detail_taxonomy_record()]


def taxonomy_term_records(techniques) -> list[dict]:
    """Every term: the techniques in the directory's order, then the decision details."""
    return [taxonomy_term_record(t) for t in techniques] + [
        detail_term_record(code) for code in DETAIL_TERMS
    ]


def detail_codes(p: Practitioner) -> list[str]:
    """The decision-detail terms a listing has, in DETAIL_TERMS' order."""
    listed = set(dd.DETAILS["diagnostics"].listed(p.diagnostics))
    listed |= set(dd.DETAILS["access"].listed(p.access))
    if p.accepting_new_patients in ("yes", "waitlist"):
        listed.add("accepting-new-patients")
    if p.surgery_approach in ("posterior", "both"):
        listed.add("posterior-approach")
    if p.surgery_approach in ("lateral", "both"):
        listed.add("lateral-approach")
    if p.international_office:
        listed.add("international-office")
    if p.visa_letter:
        listed.add("visa-letter")
    return [code for code in DETAIL_TERMS if code in listed]


def organization_record(p: Practitioner) -> dict:
    """The clinic the practitioner works in, or their own practice."""
    if p.clinic.strip():
        description = f"{p.clinic.strip()}, where {p.name} practises."
    else:
        description = f"The own practice of {p.name}."
    return {
        "id": record_id("organization", p.service_id),
        "name": organization_name(p),
        "description": description,
    }


def _sentence(words: list[str]) -> str:
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]


def service_description(p: Practitioner) -> str:
    """The listing in plain words: techniques, patterns assessed, ways of working."""
    parts = [f"SI-joint care by {display_name(p)}"]
    if p.techniques:
        parts[0] += f": {_sentence([t.name for t in p.techniques])}"
    parts[0] += "."
    if p.patterns:
        patterns = _sentence([s.replace("-", " ") for s in p.patterns])
        parts.append(f"Assesses and explains these misalignment patterns: {patterns}.")
    flags = [
        (p.teaches_self_correction, "Teaches self-corrections."),
        (p.gentle_only, "Uses only gentle (non-thrust) methods."),
        (p.telehealth, "Offers telehealth."),
        (p.home_visits, "Makes home visits."),
        (p.accepts_international, "Welcomes patients from abroad."),
    ]
    parts.extend(text for flag, text in flags if flag)
    diagnostics = dd.DETAILS["diagnostics"].listed(p.diagnostics)
    if diagnostics:
        parts.append(f"Diagnoses with {_sentence([DIAGNOSTIC_WORDS[d] for d in diagnostics])}.")
    if p.surgery_approach:
        parts.append(f"SI-joint fusion by the {APPROACH_WORDS[p.surgery_approach]} approach.")
    if p.surgery_volume:
        parts.append(f"SI-joint fusions a year: {p.surgery_volume}.")
    if p.surgery_implants:
        parts.append(f"Implants: {p.surgery_implants}.")
    if p.industry_ties:
        parts.append(f"Industry relationships: {p.industry_ties}.")
    countries = dd.DETAILS["telehealth_countries"].listed(p.telehealth_countries)
    if countries:
        parts.append(f"Telehealth for patients in: {', '.join(countries)}.")
    if p.international_office:
        parts.append("Has an international patient office.")
    if p.visa_letter:
        parts.append("Helps with a medical visa letter.")
    if p.stay_days is not None:
        parts.append(f"Stay about {p.stay_days} days before flying home.")
    return " ".join(parts)


def licences_text(p: Practitioner) -> str | None:
    """The registration and NPI as one line, or None."""
    parts = []
    if p.registry_number:
        parts.append(f"{p.registry_name or 'Registration'} {p.registry_number}".strip())
    if p.npi:
        parts.append(f"NPI {p.npi}")
    return "; ".join(parts) or None


ACCEPTING_WORDS = {
    "yes": "Accepting new patients",
    "waitlist": "New patients join a waiting list",
    "no": "Not accepting new patients",
}
DIAGNOSTIC_WORDS = {
    "provocation-cluster": "a cluster of SI-joint provocation tests",
    "diagnostic-injection": "an image-guided diagnostic injection",
    "imaging": "imaging to rule out other causes",
}
APPROACH_WORDS = {"posterior": "posterior", "lateral": "lateral", "both": "posterior or lateral"}
ACCESS_WORDS = {
    "lying-down": "Treatment lying down",
    "step-free": "Step-free access",
    "carer-welcome": "A carer is welcome in the room",
}


def wait_time_text(p: Practitioner) -> str | None:
    """Whether new patients are taken and the typical wait, in words."""
    if not p.accepting_new_patients:
        return None
    text = ACCEPTING_WORDS[p.accepting_new_patients]
    if p.wait_weeks is not None:
        text += f"; typical wait {p.wait_weeks} week{'s' if p.wait_weeks != 1 else ''}"
    return text + "."


def fees_text(p: Practitioner) -> str | None:
    """Fees, self-pay and insurance in words."""
    parts = []
    if p.fee_min is not None or p.fee_max is not None:
        low, high = p.fee_min, p.fee_max
        amount = f"{low}–{high}" if low is not None and high is not None else f"{low or high}"
        parts.append(f"Fees {amount} {p.fee_currency}".strip())
    if p.self_pay is not None:
        parts.append("Self-pay accepted" if p.self_pay else "No self-pay")
    if p.insurance:
        parts.append(f"Insurance: {p.insurance}")
    return ". ".join(parts) + "." if parts else None


def interpretation_text(p: Practitioner) -> str | None:
    codes = dd.DETAILS["interpreter_languages"].listed(p.interpreter_languages)
    if not codes:
        return None
    return "Interpreters: " + ", ".join(language_name_en(c) for c in codes) + "."


def cost_option_records(p: Practitioner) -> list[dict]:
    """The fee range as an HSDS cost option (amount: the lowest fee)."""
    if p.fee_min is None and p.fee_max is None:
        return []
    low = p.fee_min if p.fee_min is not None else p.fee_max
    return [
        {
            "id": stable_id("cost-option", p.ref),
            "service_id": p.service_id,
            "option": "Surgery" if "si-joint-fusion" in p.technique_slugs else "Per visit",
            "currency": p.fee_currency or None,
            "amount": low,
            "amount_description": fees_text(p),
        }
    ]


def accessibility_records(p: Practitioner, index: int) -> list[dict]:
    """Bedside access at a practice location (HSDS accessibility, one row each)."""
    found = dd.DETAILS["access"].listed(p.access)
    return [
        {
            "id": stable_id("accessibility", p.ref, index, item),
            "location_id": record_id("location", p.service_id, index),
            "description": ACCESS_WORDS[item],
            "details": None,
            "url": None,
        }
        for item in found
    ]


def service_record(p: Practitioner) -> dict:
    """The practitioner's SI-joint care as an HSDS service."""
    return {
        "id": p.service_id,
        "organization_id": record_id("organization", p.service_id),
        "name": display_name(p),
        "description": service_description(p),
        "url": p.website or None,
        "email": _email(p),
        "status": "active",
        "licenses": licences_text(p),
        "wait_time": wait_time_text(p),
        "fees_description": fees_text(p),
        "interpretation_services": interpretation_text(p),
        "assured_date": p.last_vetted_at.date().isoformat() if p.last_vetted_at else None,
        "last_modified": (p.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") if p.updated_at else None),
    }


def location_name(p: Practitioner, loc: PracticeLocation) -> str:
    """'Northgate Spine Demo Clinic, Manchester'."""
    return f"{organization_name(p)}, {loc.city}"


def address_text(loc: PracticeLocation) -> str:
    """The address on one line: street, city, region, postal code, country."""
    parts = (loc.address, loc.city, loc.region, loc.postal_code, loc.country)
    return ", ".join(part for part in parts if part)


def location_record(p: Practitioner, index: int, loc: PracticeLocation) -> dict:
    """A practice location as an HSDS physical location with its coordinates."""
    return {
        "id": record_id("location", p.service_id, index),
        "location_type": "physical",
        "organization_id": record_id("organization", p.service_id),
        "name": location_name(p, loc),
        "description": address_text(loc),
        "latitude": loc.latitude,
        "longitude": loc.longitude,
    }


def address_record(p: Practitioner, index: int, loc: PracticeLocation) -> dict | None:
    """The HSDS address, or None when a field the standard requires is unknown.

    HSDS requires address_1, city, state_province, postal_code and country; many places
    have no postal code or province, so those locations carry the address as text in
    their description instead of an incomplete address row."""
    record = {
        "id": record_id("address", p.service_id, index),
        "location_id": record_id("location", p.service_id, index),
        "address_1": loc.address,
        "city": loc.city,
        "state_province": loc.region,
        "postal_code": loc.postal_code,
        "country": loc.country,
        "address_type": "physical",
    }
    required = ("address_1", "city", "state_province", "postal_code", "country")
    return record if all(record[name] for name in required) else None


def virtual_location_record(p: Practitioner) -> dict | None:
    """A telehealth practitioner's virtual location (HSDS location_type 'virtual')."""
    if not p.telehealth:
        return None
    return {
        "id": record_id("virtual-location", p.service_id),
        "location_type": "virtual",
        "organization_id": record_id("organization", p.service_id),
        "name": f"Telehealth with {p.name}",
        "description": "Remote sessions from home.",
        "url": p.website or None,
    }


@dataclass
class Place:
    """A location of the service with its service_at_location link and address rows."""

    link: dict
    location: dict
    addresses: list[dict]
    accessibility: list[dict]


def service_places(p: Practitioner) -> list[Place]:
    """Where the service is given: each practice location, and a virtual one for telehealth."""
    service_id = p.service_id
    places = []
    for index, loc in enumerate(p.locations):
        location = location_record(p, index, loc)
        address = address_record(p, index, loc)
        link = {
            "id": record_id("service-at-location", p.service_id, index),
            "service_id": service_id,
            "location_id": location["id"],
        }
        access = accessibility_records(p, index)
        places.append(Place(link, location, [address] if address else [], access))
    virtual = virtual_location_record(p)
    if virtual:
        link = {
            "id": record_id("service-at-virtual-location", p.service_id),
            "service_id": service_id,
            "location_id": virtual["id"],
        }
        places.append(Place(link, virtual, [], []))
    return places


def phone_records(p: Practitioner) -> list[dict]:
    """The practitioner's phone (E.164) as the service's phone."""
    if not p.phone:
        return []
    return [{"id": record_id("phone", p.service_id), "service_id": p.service_id,
             "number": p.phone}]  # fmt: skip


def language_records(p: Practitioner) -> list[dict]:
    """The languages spoken, ISO 639-1 code and English name; then the languages an
    interpreter is arranged for (note: "Interpreter")."""
    spoken = [
        {
            "id": stable_id("language", p.ref, code),
            "service_id": p.service_id,
            "name": language_name_en(code),
            "code": code,
        }
        for code in p.languages
    ]
    interpreted = [
        {
            "id": stable_id("interpreter-language", p.ref, code),
            "service_id": p.service_id,
            "name": language_name_en(code),
            "code": code,
            "note": "Interpreter",
        }
        for code in dd.DETAILS["interpreter_languages"].listed(p.interpreter_languages)
    ]
    return spoken + interpreted


def attribute_records(p: Practitioner) -> list[tuple[dict, dict]]:
    """Links from the service to the taxonomy terms it has: its techniques, then its
    decision details; each with its term record."""
    terms = [(t.slug, taxonomy_term_record(t)) for t in p.techniques]
    terms += [(f"detail:{code}", detail_term_record(code)) for code in detail_codes(p)]
    return [
        (
            {
                "id": stable_id("attribute", p.ref, key),
                "link_id": p.service_id,
                "link_entity": "service",
                "taxonomy_term_id": term["id"],
            },
            term,
        )
        for key, term in terms
    ]


def hsds_rows(p: Practitioner) -> dict[str, list[dict]]:
    """One practitioner's rows of each HSDS table."""
    places = service_places(p)
    return {
        "organization": [organization_record(p)],
        "service": [service_record(p)],
        "location": [place.location for place in places],
        "accessibility": [a for place in places for a in place.accessibility],
        "cost_option": cost_option_records(p),
        "address": [address for place in places for address in place.addresses],
        "service_at_location": [place.link for place in places],
        "phone": phone_records(p),
        "language": language_records(p),
        "attribute": [record for record, _ in attribute_records(p)],
    }


def taxonomy_term_json(term: dict) -> dict:
    """A taxonomy term record with its taxonomy nested, as the compiled schema has it."""
    taxonomies = {record["id"]: record for record in taxonomy_records()}
    return compact(term) | {"taxonomy_detail": compact(taxonomies[term["taxonomy_id"]])}


def hsds_service_summary(p: Practitioner) -> dict:
    """A service's one-to-one fields and organization (the /services list item)."""
    return compact(service_record(p)) | {"organization": compact(organization_record(p))}


def hsds_location(place: Place) -> dict:
    """A location with its addresses and accessibility, as fully nested records have it."""
    return compact(place.location) | {
        "addresses": [compact(a) for a in place.addresses],
        "accessibility": [compact(a) for a in place.accessibility],
    }


def hsds_service(p: Practitioner) -> dict:
    """A fully nested HSDS service: organization, locations, phones, languages, techniques."""
    return hsds_service_summary(p) | {
        "phones": [compact(r) for r in phone_records(p)],
        "languages": [compact(r) for r in language_records(p)],
        "service_at_locations": [
            compact(place.link) | {"location": hsds_location(place)} for place in service_places(p)
        ],
        "cost_options": [compact(r) for r in cost_option_records(p)],
        "attributes": [
            compact(record) | {"taxonomy_term": taxonomy_term_json(term)}
            for record, term in attribute_records(p)
        ],
    }


def hsds_organization(p: Practitioner, full_service: bool = False) -> dict:
    """The organization fully nested: its locations with their addresses and accessibility,
    and its service (one here): the service's own fields, or fully nested with
    `full_service`."""
    service = hsds_service(p) if full_service else compact(service_record(p))
    return compact(organization_record(p)) | {
        "locations": [hsds_location(place) for place in service_places(p)],
        "services": [service],
    }


def hsds_service_at_location(p: Practitioner, place: Place, full: bool = False) -> dict:
    """Where the service is given (one of service_places) with its location and service:
    their own fields and the service's organization, or fully nested with `full`."""
    if full:
        nested = {"location": hsds_location(place), "service": hsds_service(p)}
    else:
        nested = {"location": compact(place.location), "service": hsds_service_summary(p)}
    return compact(place.link) | nested


def hsds_page(contents: list[dict], total: int, page: int, per_page: int) -> dict:
    """One page of services (their summaries) in the HSDS Page shape."""
    total_pages = math.ceil(total / per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def load_hsds_descriptor(standard_dir: Path) -> dict:
    """The standard's datapackage.json (tables, columns, constraints)."""
    return json.loads((standard_dir / "datapackage.json").read_text(encoding="utf-8"))


# The licence the directory's data are published under (Data Package `licenses`): free to
# reuse with attribution, as referral platforms need to copy a directory into their own.
DATA_LICENSES = [
    {
        "name": "CC-BY-4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
        "title": "Creative Commons Attribution 4.0 International",
    }
]


def package_descriptor(standard: dict) -> dict:
    """This directory's datapackage.json: the standard's tables under our own name, with
    the data's licence."""
    descriptor = {
        key: value for key, value in standard.items() if key not in ("license", "licenses")
    }
    descriptor.update(
        name="si-joint-practitioner-finder",
        title="SI-Joint Practitioner Finder: approved listings (HSDS 3.0)",
        description="Vetted SI-joint practitioners as Open Referral HSDS 3.0 tables; "
        "see docs/open-data.md for the mapping.",
        licenses=DATA_LICENSES,
    )
    return descriptor


def write_hsds_zip(session: Session, target: Path, standard_dir: Path) -> None:
    """The datapackage (write_hsds_package) as one zip file at target, written beside it and
    moved into place at once: a reader never sees half a file."""
    with tempfile.TemporaryDirectory(dir=target.parent) as folder:
        package = Path(folder) / "hsds"
        write_hsds_package(session, package, standard_dir)
        partial = Path(folder) / "package.zip"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(package.iterdir()):
                # A fixed date: the same data give the same bytes.
                info = zipfile.ZipInfo(path.name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
        os.replace(partial, target)


def _cell(value) -> str:
    """A CSV cell: floats exact, and text a spreadsheet would run as a formula quoted."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return spreadsheet_safe(str(value))


def write_hsds_package(session: Session, out_dir: Path, standard_dir: Path) -> Counter:
    """Write datapackage.json and one CSV per HSDS table; returns rows written per table.

    Cells starting with = + - @ tab, CR or ' get a leading ' (finder.csv_files.spreadsheet_safe)."""
    standard = load_hsds_descriptor(standard_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: Counter = Counter()
    with ExitStack() as stack:
        writers = {}
        for resource in standard["resources"]:
            handle = stack.enter_context(
                open(out_dir / resource["path"], "w", encoding="utf-8", newline="")
            )
            columns = [f["name"] for f in resource["schema"]["fields"]]
            writers[resource["name"]] = csv.DictWriter(handle, fieldnames=columns)
            writers[resource["name"]].writeheader()

        def write(table: str, rows: list[dict]) -> None:
            writers[table].writerows({k: _cell(v) for k, v in row.items()} for row in rows)
            counts[table] += len(rows)

        write("taxonomy", taxonomy_records())
        techniques = session.scalars(select(Technique).order_by(Technique.position))
        write("taxonomy_term", taxonomy_term_records(techniques))
        for p in approved_practitioners(session):
            for table, rows in hsds_rows(p).items():
                write(table, rows)
    descriptor = package_descriptor(standard)
    text = json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"
    (out_dir / "datapackage.json").write_text(text, encoding="utf-8")
    return counts


# --- FHIR R4 (fhir.resources R4B models; these resources are the same in R4) ---------------

FHIR_MODELS = {
    "Organization": FhirOrganization,
    "Location": FhirLocation,
    "Practitioner": FhirPractitioner,
    "PractitionerRole": FhirPractitionerRole,
}


def in_bundle(resource_type: str, resource_id: str) -> str:
    """How a file's collection Bundle refers to its resources: by their urn:uuid fullUrl."""
    return f"urn:uuid:{resource_id}"


def on_server(resource_type: str, resource_id: str) -> str:
    """How the FHIR API refers to its resources: relative to its base ("Location/<id>"),
    which a client reads at <base>/Location/<id>."""
    return f"{resource_type}/{resource_id}"


def reference(resource_type: str, resource_id: str, display: str, link=in_bundle) -> dict:
    """A Reference to a resource, written as `link` writes them (in_bundle or on_server)."""
    return {
        "reference": link(resource_type, resource_id),
        "type": resource_type,
        "display": display,
    }


def telecom(p: Practitioner) -> list[dict]:
    """Phone, email and website as ContactPoints."""
    points = [
        ("phone", p.phone, "work"),
        ("email", _email(p), "work"),
        ("url", p.website, None),
    ]
    return [compact({"system": s, "value": v, "use": u}) for s, v, u in points if v]


def _coding_type(code: str, display: str) -> dict:
    return {"coding": [{"system": IDENTIFIER_TYPES, "code": code, "display": display}]}


def registry_system(p: Practitioner) -> str:
    """A urn naming the registry that issued the practitioner's number."""
    name = re.sub(r"\s+", "-", p.registry_name.strip().lower()) or "unnamed"
    return f"{REGISTRY_SYSTEM}:{quote(name, safe='-')}"


def registry_identifier(p: Practitioner) -> dict | None:
    """The licence/registration number in its registry's namespace, or None."""
    if not p.registry_number:
        return None
    identifier = {
        "use": "official",
        "type": _coding_type("LN", "License number"),
        "system": registry_system(p),
        "value": p.registry_number,
    }
    if p.registry_name:
        identifier["assigner"] = {"display": p.registry_name}
    return identifier


def practitioner_identifiers(p: Practitioner) -> list[dict]:
    """The NPI when known, else the registry number; and the directory's own ref."""
    if p.npi:
        official = {
            "use": "official",
            "type": _coding_type("NPI", "National provider identifier"),
            "system": NPI_SYSTEM,
            "value": p.npi,
        }
    else:
        official = registry_identifier(p)
    ours = {"use": "secondary", "system": REF_SYSTEM, "value": p.ref}
    return [identifier for identifier in (official, ours) if identifier]


def qualification(p: Practitioner) -> list[dict]:
    """Credentials and registration as a Practitioner.qualification, if any."""
    if not (p.credentials or p.registry_number or p.registry_name):
        return []
    entry: dict = {"code": {"text": p.credentials or p.registry_name or "Registered"}}
    identifier = registry_identifier(p)
    if identifier:
        entry["identifier"] = [identifier]
    if p.registry_name:
        entry["issuer"] = {"display": p.registry_name}
    if p.registry_url:
        entry["extension"] = [
            {"url": f"{EXTENSION_URL}:registry-verification", "valueUrl": p.registry_url}
        ]
    return [entry]


def communication(p: Practitioner) -> list[dict]:
    """Languages spoken as BCP-47 codings (ISO 639-1 codes are valid BCP-47 tags)."""
    return [
        {
            "coding": [
                {"system": LANGUAGE_SYSTEM, "code": code, "display": language_name_en(code)}
            ],
            "text": language_name_en(code),
        }
        for code in p.languages
    ]


# Languages whose speakers say the family name first ("Tanaka Sota", "Kim Minjun").
FAMILY_NAME_FIRST = {"ko", "ja", "zh", "vi", "hu"}
_NOTE = re.compile(r"\s*\([^()]*\)\s*$")  # a trailing "(demo)"-like note, not a name part


def human_name(p: Practitioner) -> dict:
    """The listed name as a FHIR HumanName: the text always; family and given parts where
    they are known, that is when the name is two words (a note in brackets aside) and the
    listing's first language says which comes first. Longer names (two family names, a
    middle name) stay text only rather than be split wrongly."""
    name = {"use": "official", "text": p.name}
    words = _NOTE.sub("", p.name).split()
    if len(words) == 2:
        first, second = words
        family_first = bool(p.languages) and p.languages[0] in FAMILY_NAME_FIRST
        family, given = (first, second) if family_first else (second, first)
        name |= {"family": family, "given": [given]}
    return name


def fhir_practitioner(p: Practitioner) -> dict:
    """The person: identifiers, name, contact, qualification, languages."""
    return compact(
        {
            "resourceType": "Practitioner",
            "id": record_id("practitioner", p.service_id),
            "active": True,
            "identifier": practitioner_identifiers(p),
            "name": [human_name(p)],
            "telecom": telecom(p),
            "qualification": qualification(p),
            "communication": communication(p),
        }
    )


def fhir_organization(p: Practitioner) -> dict:
    """The clinic (or own practice) as a healthcare provider Organization."""
    return {
        "resourceType": "Organization",
        "id": record_id("organization", p.service_id),
        "active": True,
        "type": [
            {
                "coding": [
                    {"system": ORGANIZATION_TYPES, "code": "prov", "display": "Healthcare Provider"}
                ]
            }
        ],
        "name": organization_name(p),
    }


def fhir_address(loc: PracticeLocation) -> dict:
    """A practice location's postal address."""
    return compact(
        {
            "use": "work",
            "type": "physical",
            "text": address_text(loc),
            "line": [loc.address] if loc.address else [],
            "city": loc.city,
            "state": loc.region,
            "postalCode": loc.postal_code,
            "country": loc.country,
        }
    )


def fhir_location(p: Practitioner, index: int, loc: PracticeLocation, organization: dict) -> dict:
    """A practice location with its address and position; `organization` is a Reference."""
    return {
        "resourceType": "Location",
        "id": record_id("location", p.service_id, index),
        "status": "active",
        "mode": "instance",
        "name": location_name(p, loc),
        "address": fhir_address(loc),
        "position": {"longitude": loc.longitude, "latitude": loc.latitude},
        "managingOrganization": organization,
    }


def service_flags(p: Practitioner) -> list[dict]:
    """Telehealth, home visits and international patients as this directory's extensions."""
    flags = (
        ("telehealth", p.telehealth),
        ("home-visits", p.home_visits),
        ("accepts-international", p.accepts_international),
    )
    return [{"url": f"{EXTENSION_URL}:{name}", "valueBoolean": bool(v)} for name, v in flags]


FHIR_VALUE = {
    "choice": "valueCode", "codes": "valueCode", "countries": "valueCode",
    "languages": "valueCode", "currency": "valueCode", "whole": "valueInteger",
    "yesno": "valueBoolean", "text": "valueString",
}  # fmt: skip


def detail_extensions(p: Practitioner) -> list[dict]:
    """The decision details (finder.details) as this directory's complex extensions, one
    per group the listing fills: `<EXTENSION_URL>:<group>`, a sub-extension per known field
    (named as the field; lists repeat it) and `confirmed` (valueDate) when it was."""
    found = []
    for group, fields in dd.GROUPS.items():
        parts = []
        for detail in fields:
            value = getattr(p, detail.name)
            if value in (None, ""):
                continue
            key = FHIR_VALUE[detail.kind]
            values = detail.listed(value) if isinstance(value, str) and key == "valueCode" and (
                detail.kind in ("codes", "countries", "languages")
            ) else [value]  # fmt: skip
            parts += [{"url": detail.name, key: item} for item in values]
        if not parts:
            continue
        day = getattr(p, dd.confirmed_column(group))
        if day:
            parts.append({"url": "confirmed", "valueDate": day.isoformat()})
        found.append({"url": f"{EXTENSION_URL}:{group.replace('_', '-')}", "extension": parts})
    return found


def verification_extension(p: Practitioner) -> list[dict]:
    """When the listing was last vetted (the directory's own verification)."""
    if not p.last_vetted_at:
        return []
    return [{"url": f"{EXTENSION_URL}:vetted-on", "valueDate": p.last_vetted_at.date().isoformat()}]


def specialty(p: Practitioner) -> list[dict]:
    """The techniques offered, coded in this directory's technique system (code = slug)."""
    return [
        {
            "coding": [{"system": TECHNIQUE_SYSTEM, "code": t.slug, "display": t.name}],
            "text": t.name,
        }
        for t in p.techniques
    ]


def fhir_practitioner_role(p: Practitioner, link=in_bundle) -> dict:
    """What the practitioner offers, where and for whom: techniques, locations, telehealth."""
    org_id = record_id("organization", p.service_id)
    person_id = record_id("practitioner", p.service_id)
    return compact(
        {
            "resourceType": "PractitionerRole",
            "id": record_id("practitioner-role", p.service_id),
            "extension": service_flags(p) + verification_extension(p) + detail_extensions(p),
            "active": True,
            "practitioner": reference("Practitioner", person_id, display_name(p), link),
            "organization": reference("Organization", org_id, organization_name(p), link),
            "location": [
                reference(
                    "Location",
                    record_id("location", p.service_id, i),
                    location_name(p, loc),
                    link,
                )
                for i, loc in enumerate(p.locations)
            ],
            "specialty": specialty(p),
            "telecom": telecom(p),
        }
    )


def location_organization(p: Practitioner, link=in_bundle) -> dict:
    """A Location's managingOrganization: the listing's Organization."""
    return reference(
        "Organization", record_id("organization", p.service_id), organization_name(p), link
    )


def fhir_resources(p: Practitioner) -> list[dict]:
    """One practitioner's Organization, Locations, Practitioner and PractitionerRole."""
    organization = location_organization(p)
    return [
        fhir_organization(p),
        *(fhir_location(p, i, loc, organization) for i, loc in enumerate(p.locations)),
        fhir_practitioner(p),
        fhir_practitioner_role(p),
    ]


def bundle_entry_json(resource: dict) -> str:
    """A collection entry: the resource checked against its FHIR model, with its fullUrl."""
    model = FHIR_MODELS[resource["resourceType"]].model_validate(resource)
    full_url = json.dumps(f"urn:uuid:{resource['id']}")
    return f'{{"fullUrl":{full_url},"resource":{model.model_dump_json()}}}'


def write_fhir_bundle(session: Session, path: Path) -> Counter:
    """Write a FHIR collection Bundle of every approved listing; returns resources per type.

    Entries are written one at a time, so memory stays flat however large the directory."""
    counts: Counter = Counter()
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"resourceType":"Bundle","type":"collection"')
        for p in approved_practitioners(session):
            for resource in fhir_resources(p):
                out.write(',"entry":[\n' if not counts else ",\n")
                out.write(bundle_entry_json(resource))
                counts[resource["resourceType"]] += 1
        out.write("\n]}\n" if counts else "}\n")
    return counts


def distance_extension(distance_km: float) -> dict:
    """The standard location-distance extension of a search entry, in km."""
    return {
        "url": DISTANCE_EXTENSION,
        "valueDistance": {
            "value": round(distance_km, 3),
            "unit": "km",
            "system": UCUM,
            "code": "km",
        },
    }


def search_entry(resource: dict, base: str, mode: str = "match", distance_km=None) -> dict:
    """A searchset entry: the resource at its URL on the server (base is the FHIR base URL),
    found (`match`) or brought along by _include (`include`), with its distance if any."""
    search: dict = {"mode": mode}
    if distance_km is not None:
        search["extension"] = [distance_extension(distance_km)]
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": search,
    }


def searchset(total: int, entries: list[dict], links: list[tuple[str, str]]) -> dict:
    """A searchset Bundle: every match counted in `total`, this page's entries, and links
    (relation, url): self, and next and previous where there are such pages."""
    return compact(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": total,
            "link": [{"relation": relation, "url": url} for relation, url in links],
            "entry": entries,
        }
    )


def operation_outcome(code: str, message: str) -> dict:
    """An error as a FHIR OperationOutcome with one issue."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }


# --- schema.org (JSON-LD on practitioner pages) and vCard ---------------------------------

# schema.org's MedicalSpecialty for each technique (it names no chiropractic of its own).
SCHEMA_ORG_SPECIALTIES = {
    "chiropractic": "https://schema.org/Musculoskeletal",
    "physical-therapy": "https://schema.org/Physiotherapy",
    "muscle-energy-technique": "https://schema.org/Musculoskeletal",
    "si-joint-fusion": "https://schema.org/Surgical",
}


def _postal_address(loc: PracticeLocation) -> dict:
    return compact(
        {
            "@type": "PostalAddress",
            "streetAddress": loc.address,
            "addressLocality": loc.city,
            "addressRegion": loc.region,
            "postalCode": loc.postal_code,
            "addressCountry": loc.country,
        }
    )


def _geo(loc: PracticeLocation) -> dict:
    return {"@type": "GeoCoordinates", "latitude": loc.latitude, "longitude": loc.longitude}


def schema_org_practitioner(p: Practitioner, page_url: str) -> dict:
    """The practitioner as schema.org JSON-LD: a Physician (schema.org's type for a medical
    practitioner's practice) at each location, with its specialties, languages and contact."""
    specialties = list(dict.fromkeys(SCHEMA_ORG_SPECIALTIES[s] for s in p.technique_slugs))
    record = {
        "@context": "https://schema.org",
        "@type": "Physician",
        "@id": page_url,
        "url": page_url,
        "name": display_name(p),
        "description": service_description(p),
        "medicalSpecialty": specialties,
        "knowsAbout": [t.name for t in p.techniques],
        "availableLanguage": p.languages,
        "telephone": p.phone,
        "email": _email(p),
        "sameAs": [p.website] if p.website else [],
        "address": [_postal_address(loc) for loc in p.locations],
        "geo": _geo(p.locations[0]) if p.locations else None,
        "location": [
            {"@type": "Place", "address": _postal_address(loc), "geo": _geo(loc)}
            for loc in p.locations
        ],
        "parentOrganization": (
            {"@type": "MedicalClinic", "name": p.clinic.strip()} if p.clinic.strip() else None
        ),
    }
    return compact(record)


def _vcard_text(value: str) -> str:
    """A vCard text value: backslash, comma, semicolon and line breaks escaped (RFC 6350)."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """A content line folded at 75 octets, continuation lines starting with a space."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode("utf-8")) > 75:
            out.append(current)
            current = " "
        current += char
    out.append(current)
    return "\r\n".join(out)


def vcard(p: Practitioner, page_url: str) -> str:
    """The practitioner as a vCard 3.0 (the version phones and mail programs all read)."""
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"FN:{_vcard_text(display_name(p))}",
        f"N:{_vcard_text(p.name)};;;;",
    ]
    if p.clinic.strip():
        lines.append(f"ORG:{_vcard_text(p.clinic.strip())}")
    if p.credentials:
        lines.append(f"TITLE:{_vcard_text(p.credentials)}")
    if p.phone:
        lines.append(f"TEL;TYPE=WORK,VOICE:{_vcard_text(p.phone)}")
    if email := _email(p):
        lines.append(f"EMAIL;TYPE=INTERNET,WORK:{_vcard_text(email)}")
    if p.website:
        lines.append(f"URL:{_vcard_text(p.website)}")
    for loc in p.locations:
        parts = ["", "", loc.address, loc.city, loc.region, loc.postal_code, loc.country]
        lines.append("ADR;TYPE=WORK:" + ";".join(_vcard_text(part) for part in parts))
    if p.locations:
        lines.append(f"GEO:{p.locations[0].latitude:.6f};{p.locations[0].longitude:.6f}")
    techniques = ", ".join(t.name for t in p.techniques)
    lines.append(f"NOTE:{_vcard_text(f'SI-joint care: {techniques}. Listing: {page_url}')}")
    lines.append(f"SOURCE:{_vcard_text(page_url)}")
    lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _search_parameter(name: str, kind: str, documentation: str, definition: str = "") -> dict:
    parameter = {"name": name, "type": kind, "documentation": documentation}
    if definition:
        parameter["definition"] = f"http://hl7.org/fhir/SearchParameter/{definition}"
    return parameter


COUNT_PARAMETER = _search_parameter("_count", "number", "Entries a page at most, 1 to 100.")
NEAR_DOCUMENTATION = (
    "latitude|longitude|distance|units; units km, m or [mi_i] (default km); without a "
    "distance, 100 km; nearest first."
)


def _resource(kind: str, search: list[dict] = (), includes: list[str] = ()) -> dict:
    """A CapabilityStatement.rest.resource: read always, search-type when it has parameters."""
    interactions = [{"code": "read"}] + ([{"code": "search-type"}] if search else [])
    return compact(
        {
            "type": kind,
            "interaction": interactions,
            "searchInclude": list(includes),
            "searchParam": list(search),
        }
    )


def capability_statement(base_url: str, published: str) -> dict:
    """What the FHIR API supports, exactly: reads of the four resource types, and searches
    of Location by distance, PractitionerRole by technique, place and reference, and
    Practitioner by name. Anything else a search is given is left out of its self link (or
    refused with Prefer: handling=strict)."""
    location = _resource(
        "Location", [_search_parameter("near", "special", NEAR_DOCUMENTATION, "Location-near"),
                     COUNT_PARAMETER],
    )  # fmt: skip
    role = _resource(
        "PractitionerRole",
        [
            _search_parameter(
                "specialty",
                "token",
                f"A technique: its slug, or {TECHNIQUE_SYSTEM}|slug; commas for any of several.",
                "PractitionerRole-specialty",
            ),
            _search_parameter(
                "location",
                "reference",
                "Location/<id>; or chained as location.near (" + NEAR_DOCUMENTATION + ") for "
                "the roles with a location within the distance, nearest first.",
                "PractitionerRole-location",
            ),
            _search_parameter(
                "practitioner", "reference", "Practitioner/<id>.", "PractitionerRole-practitioner"
            ),
            COUNT_PARAMETER,
        ],
        ["PractitionerRole:practitioner", "PractitionerRole:location"],
    )
    practitioner = _resource(
        "Practitioner",
        [
            _search_parameter(
                "name",
                "string",
                "Each word begins a word of the name (any case); :contains for anywhere in "
                "it, :exact for the whole name as listed.",
                "Practitioner-name",
            ),
            COUNT_PARAMETER,
        ],
    )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "publisher": "SI-Joint Practitioner Finder",
        "kind": "instance",
        "software": {"name": "SI-Joint Practitioner Finder"},
        "implementation": {
            "description": "Approved SI-joint practitioners, their roles and practice locations.",
            "url": base_url,
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "resource": [location, _resource("Organization"), practitioner, role],
            }
        ],
    }
