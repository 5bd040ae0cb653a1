"""docs/open-data.md's examples are what the API answers: each example request is sent to the
demo directory, and the response shown must be part of the real one (objects: the keys shown,
with the values shown; arrays: the first items; dates: any date). Long arrays are cut in the
document, nothing else.

Write the examples anew after a change (from the project root, the demo database made by
`make db` in instance/):

    .venv/bin/python -m tests.test_doc_examples
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "open-data.md"
SITE = "https://finder.example.org"  # the site's address in the document
LOCAL = "http://localhost"  # the test client's
BLOCK = re.compile(r"<!-- examples: (\w+) -->\n(.*?)<!-- /examples -->\n", re.S)
EXAMPLE = re.compile(r"^`GET ([^`]+)` → (\d{3})[^\n]*\n\n```json\n(.*?)\n```\n", re.S | re.M)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+Z?)?$")
CUT_TO = 4  # items an array keeps in the document

# The requests each block shows. {…} are filled from earlier answers of the same block
# (KEEP: what each answer gives the requests after it).
REQUESTS = {
    "hsds": [
        "/api/v1/hsds/",
        "/api/v1/hsds/services?per_page=1&search=Austin",
        "/api/v1/hsds/services/{service}",
        "/api/v1/hsds/organizations?per_page=1&search=Austin",
        "/api/v1/hsds/organizations/{organization}",
        "/api/v1/hsds/service_at_locations?per_page=1&search=Austin",
        "/api/v1/hsds/service_at_locations/{service_at_location}",
        "/api/v1/hsds/taxonomies",
        "/api/v1/hsds/taxonomies/{taxonomy}",
        "/api/v1/hsds/taxonomy_terms?per_page=1",
        "/api/v1/hsds/taxonomy_terms/{term}",
        "/api/v1/hsds/services/00000000-0000-5000-8000-000000000000",
        "/api/v1/hsds/services?minimal=true",
    ],
    "fhir": [
        "/fhir/metadata",
        "/fhir/Location?near=30.2672|-97.7431|50|km&_count=1",
        "/fhir/PractitionerRole?specialty=muscle-energy-technique"
        "&location.near=30.2672|-97.7431|300|km&_count=1&_include=PractitionerRole:practitioner",
        "/fhir/Practitioner?name=ellis&_count=1",
        "/fhir/PractitionerRole/{role}",
        "/fhir/Practitioner/{practitioner}",
        "/fhir/Location/{location}",
        "/fhir/Organization/{organization}",
        "/fhir/Location/00000000-0000-5000-8000-000000000000",
        "/fhir/Location?near=30.2672|-97.7431|50|km&_sort=name",
    ],
    "geojson": [
        "/api/v1/search.geojson?location=Austin&technique=muscle-energy-technique&per_page=1",
        "/api/v1/locations.geojson?bbox=-97.8,30.2,-97.7,30.3",
    ],
}
KEEP = {
    "/api/v1/hsds/services?per_page=1&search=Austin": {"service": "/contents/0/id"},
    "/api/v1/hsds/organizations?per_page=1&search=Austin": {"organization": "/contents/0/id"},
    "/api/v1/hsds/service_at_locations?per_page=1&search=Austin": {
        "service_at_location": "/contents/0/id"
    },
    "/api/v1/hsds/taxonomies": {"taxonomy": "/contents/0/id"},
    "/api/v1/hsds/taxonomy_terms?per_page=1": {"term": "/contents/0/id"},
}
HEADERS = {"/fhir/Location?near=30.2672|-97.7431|50|km&_sort=name": {"Prefer": "handling=strict"}}


def cut(value):
    """The document's form of an answer: arrays cut to their first items."""
    if isinstance(value, dict):
        return {key: cut(item) for key, item in value.items()}
    if isinstance(value, list):
        return [cut(item) for item in value[:CUT_TO]]
    return value


def shown_in(shown, real, where: str = "") -> list[str]:
    """Where `shown` is not part of `real` (empty: it is)."""
    if isinstance(shown, dict):
        if not isinstance(real, dict):
            return [f"{where}: an object in the document, {type(real).__name__} in the answer"]
        problems = []
        for key, item in shown.items():
            if key not in real:
                problems.append(f"{where}.{key}: not in the answer")
            else:
                problems += shown_in(item, real[key], f"{where}.{key}")
        return problems
    if isinstance(shown, list):
        if not isinstance(real, list) or len(real) < len(shown):
            return [f"{where}: more items in the document than in the answer"]
        return [p for i, item in enumerate(shown) for p in shown_in(item, real[i], f"{where}[{i}]")]
    if isinstance(shown, str) and isinstance(real, str) and DATE.match(shown) and DATE.match(real):
        return []
    return [] if shown == real else [f"{where}: {shown!r} in the document, {real!r} in the answer"]


def answer(client, path: str):
    parts = urlsplit(path)
    response = client.get(parts.path, query_string=parts.query, headers=HEADERS.get(path, {}))
    text = response.get_data(as_text=True).replace(LOCAL, SITE)
    return response.status_code, json.loads(text)


def fill(path: str, found: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: found[m.group(1)], path)


def pointed(body, pointer: str):
    """The value at a JSON pointer ("/contents/0/id")."""
    for part in pointer.strip("/").split("/"):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def remember(path: str, body: dict, found: dict) -> None:
    """Ids later requests of the block read: KEEP's, and the first FHIR role's."""
    for name, pointer in KEEP.get(path, {}).items():
        found[name] = pointed(body, pointer)
    for entry in body.get("entry", []) if isinstance(body, dict) else []:
        resource = entry["resource"]
        if resource["resourceType"] == "PractitionerRole" and "role" not in found:
            found["role"] = resource["id"]
            found["practitioner"] = resource["practitioner"]["reference"].split("/")[1]
            found["location"] = resource["location"][0]["reference"].split("/")[1]
            found["organization"] = resource["organization"]["reference"].split("/")[1]


def examples(client, block: str) -> list[tuple[str, int, dict]]:
    """The block's requests with their answers, as the document shows them."""
    found: dict[str, str] = {}
    shown = []
    for template in REQUESTS[block]:
        path = fill(template, found)
        status, body = answer(client, path)
        remember(template, body, found)
        shown.append((path, status, cut(body)))
    return shown


def render(shown: list[tuple[str, int, dict]]) -> str:
    parts = []
    for path, status, body in shown:
        header = (
            ""
            if path not in HEADERS
            else " with " + ", ".join(f"`{k}: {v}`" for k, v in HEADERS[path].items())
        )
        text = json.dumps(body, indent=2, ensure_ascii=False)
        parts.append(f"`GET {path}` → {status}{header}\n\n```json\n{text}\n```\n")
    return "\n".join(parts)


def documented() -> dict[str, list[tuple[str, int, dict]]]:
    blocks = {}
    for name, body in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        blocks[name] = [
            (path, int(status), json.loads(text)) for path, status, text in EXAMPLE.findall(body)
        ]
    return blocks


@pytest.mark.parametrize("block", sorted(REQUESTS))
def test_every_example_is_what_the_api_answers(client, block):
    shown = documented()[block]
    assert [path for path, _, _ in shown][: len(REQUESTS[block])] == [
        path for path, _, _ in examples(client, block)
    ]
    for path, status, body in shown:
        real_status, real = answer(client, path)
        assert real_status == status, path
        assert not shown_in(body, real), (path, shown_in(body, real))


def write_examples() -> None:
    """Write the blocks of docs/open-data.md anew from the demo database in instance/."""
    sys.path.insert(0, str(ROOT))
    from finder import create_app

    client = create_app().test_client()
    text = DOC.read_text(encoding="utf-8")
    for block in REQUESTS:
        fresh = f"<!-- examples: {block} -->\n{render(examples(client, block))}<!-- /examples -->\n"
        assert f"<!-- examples: {block} -->" in text, f"no {block} examples block in {DOC}"
        text = BLOCK.sub(lambda m, b=block, f=fresh: f if m.group(1) == b else m.group(0), text)
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_examples()
