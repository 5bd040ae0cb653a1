"""What search engines read: robots.txt, a sitemap index whose files list every public page
and every approved practitioner's page (with each language as an alternate), and on every
page a meta description in its language, its canonical URL and its hreflang alternates."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from finder.extensions import db
from finder.i18n import LANGUAGES, language_tag
from finder.models import Practitioner
from finder.public import crawl

NS = {"s": crawl.SITEMAPS_NS, "x": crawl.XHTML_NS}
SITE = "http://localhost"


def xml(client, path: str) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/xml", path
    return ET.fromstring(response.data)


def locs(root: ET.Element, tag: str) -> list[str]:
    return [loc.text for loc in root.findall(f"s:{tag}/s:loc", NS)]


def listed_ids(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(Practitioner.id).where(Practitioner.listed)))


def test_robots_keeps_crawlers_out_of_admin_and_searches_and_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert {"Disallow: /admin/", "Disallow: /search", "Allow: /"} <= set(lines)
    assert f"Sitemap: {SITE}/sitemap.xml" in lines


@pytest.mark.parametrize("per_file", [crawl.SITEMAP_URLS, 100])
def test_the_sitemaps_list_every_approved_practitioner_once_with_each_language(
    app, client, monkeypatch, per_file
):
    monkeypatch.setattr(crawl, "SITEMAP_URLS", per_file)
    with app.app_context():  # a suspended listing is left out
        suspended = db.session.scalar(select(Practitioner).order_by(Practitioner.id.desc()))
        suspended.status = "suspended"
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(Practitioner))
    expected = listed_ids(app)
    assert len(expected) == total - 1
    files = locs(xml(client, "/sitemap.xml"), "sitemap")
    assert files[0] == f"{SITE}/sitemap-pages.xml"
    assert len(files) == 1 + -(-len(expected) // per_file)
    pages = xml(client, files[0].removeprefix(SITE))
    assert set(locs(pages, "url")) == {
        f"{SITE}/",
        f"{SITE}/guide",
        f"{SITE}/countries",
        f"{SITE}/submit",
    }
    seen = []
    for name in files[1:]:
        root = xml(client, name.removeprefix(SITE))
        for url in root.findall("s:url", NS):
            loc = url.find("s:loc", NS).text
            seen.append(int(re.fullmatch(rf"{SITE}/practitioners/(\d+)", loc)[1]))
            alternates = {
                link.get("hreflang"): link.get("href") for link in url.findall("x:link", NS)
            }
            assert alternates == {
                **{language_tag(code): f"{loc}?lang={code}" for code in LANGUAGES},
                "x-default": loc,
            }
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", url.find("s:lastmod", NS).text)
    assert sorted(seen) == sorted(expected)
    assert client.get(f"/sitemap-practitioners-{len(files)}.xml").status_code == 404
    assert client.get(f"/practitioners/{seen[0]}").status_code == 200


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_page_names_its_canonical_url_its_languages_and_describes_itself(app, client, lang):
    some = min(listed_ids(app))
    english = None
    for path in ("/", "/guide", "/countries", f"/practitioners/{some}", "/search?location=Seoul"):
        separator = "&" if "?" in path else "?"
        html = client.get(f"{path}{separator}lang={lang}").get_data(as_text=True)
        head = html.split("</head>")[0]
        canonical = re.search(r'<link rel="canonical" href="([^"]+)">', head)[1]
        assert canonical == f"{SITE}{path}{separator}lang={lang}".replace("&", "&amp;")
        alternates = dict(
            re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', head)
        )
        assert set(alternates) == {language_tag(code) for code in LANGUAGES} | {"x-default"}
        assert alternates["x-default"] == f"{SITE}{path}".replace("&", "&amp;")
        description = re.search(r'<meta name="description" content="([^"]+)">', head)[1]
        assert len(description) > 40
        if lang == "en":
            english = english or description
    if lang != "en":
        en_html = client.get("/?lang=en").get_data(as_text=True)
        en_description = re.search(r'<meta name="description" content="([^"]+)">', en_html)[1]
        assert description != en_description
