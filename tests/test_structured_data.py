"""A practitioner's page as other programs read it: schema.org JSON-LD in its head (what
search engines show), and a vCard to keep in a phone's contacts — both exact, and both
keeping hostile text as text."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from finder.extensions import db
from finder.models import Practitioner

from .test_submit_browser import words

HOSTILE = 'Dr </script><script>alert(1)</script> "Q"; Smith, Jr.\nEND:VCARD\nBEGIN:VCARD'


def listed(app, hostile: bool = False) -> dict:
    """One approved practitioner with a phone and two facts more, optionally renamed."""
    with app.app_context():
        p = db.session.scalar(
            select(Practitioner)
            .where(Practitioner.listed, Practitioner.phone != "")
            .order_by(Practitioner.id)
        )
        if hostile:
            p.name = HOSTILE
            db.session.commit()
        return {
            "id": p.id,
            "name": p.name,
            "phone": p.phone,
            "languages": p.languages,
            "points": [(loc.latitude, loc.longitude) for loc in p.locations],
            "cities": [loc.city for loc in p.locations],
            "slugs": p.technique_slugs,
        }


def json_ld(html: str) -> dict:
    (block,) = re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    return json.loads(block)


def unfolded(card: str) -> list[str]:
    assert all(len(line.encode()) <= 75 for line in card.split("\r\n"))
    return card.replace("\r\n ", "").split("\r\n")[:-1]


def test_the_page_describes_the_practitioner_in_json_ld(app, client):
    p = listed(app)
    data = json_ld(client.get(f"/practitioners/{p['id']}").get_data(as_text=True))
    assert data["@context"] == "https://schema.org" and data["@type"] == "Physician"
    assert data["url"] == f"http://localhost/practitioners/{p['id']}"
    assert data["name"].startswith(p["name"]) and data["telephone"] == p["phone"]
    assert data["availableLanguage"] == p["languages"]
    assert [a["addressLocality"] for a in data["address"]] == p["cities"]
    points = [(place["geo"]["latitude"], place["geo"]["longitude"]) for place in data["location"]]
    assert points == p["points"]
    assert set(data["medicalSpecialty"]) <= {
        "https://schema.org/Musculoskeletal",
        "https://schema.org/Physiotherapy",
        "https://schema.org/Surgical",
    }
    assert len(data["knowsAbout"]) == len(p["slugs"])


def test_hostile_text_stays_text_in_json_ld_and_vcard(app, client):
    p = listed(app, hostile=True)
    html = client.get(f"/practitioners/{p['id']}").get_data(as_text=True)
    head = html.split("</head>")[0]
    assert "<script>alert(1)" not in head
    assert json_ld(html)["name"].startswith(HOSTILE)
    card = client.get(f"/practitioners/{p['id']}.vcf").get_data(as_text=True)
    lines = unfolded(card)
    assert lines.count("BEGIN:VCARD") == 1 and lines.count("END:VCARD") == 1
    (fn,) = [line for line in lines if line.startswith("FN:")]
    unescaped = re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], fn[3:])
    assert unescaped.startswith(HOSTILE)


def test_the_vcard_carries_name_phone_addresses_and_position(app, client):
    p = listed(app)
    response = client.get(f"/practitioners/{p['id']}.vcf")
    assert response.status_code == 200 and response.mimetype == "text/vcard"
    assert f'filename="practitioner-{p["id"]}.vcf"' in response.headers["Content-Disposition"]
    lines = unfolded(response.get_data(as_text=True))
    assert lines[:2] == ["BEGIN:VCARD", "VERSION:3.0"] and lines[-1] == "END:VCARD"
    assert f"TEL;TYPE=WORK,VOICE:{p['phone']}" in lines
    addresses = [line for line in lines if line.startswith("ADR;")]
    assert len(addresses) == len(p["cities"])
    assert all(city in line for city, line in zip(p["cities"], addresses, strict=True))
    lat, lon = p["points"][0]
    assert f"GEO:{lat:.6f};{lon:.6f}" in lines
    assert client.get("/practitioners/999999.vcf").status_code == 404


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "ko", "es"])
def test_the_contacts_link_downloads_the_vcard_in_chromium(app, page, live_server, lang):
    p = listed(app)
    (label,) = words(app, lang, "Save to contacts (vCard)")
    assert lang == "en" or label != "Save to contacts (vCard)"
    page.goto(f"{live_server.url}/practitioners/{p['id']}?lang={lang}")
    with page.expect_download() as download:
        page.get_by_role("link", name=label).click()
    assert download.value.suggested_filename == f"practitioner-{p['id']}.vcf"
    text = open(download.value.path(), encoding="utf-8", newline="").read()
    assert text.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n") and p["phone"] in text
