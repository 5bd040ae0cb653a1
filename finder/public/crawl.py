"""What search engines read: robots.txt, and sitemaps of the public pages in every language
(a sitemap index, with the practitioners' pages in files of at most SITEMAP_URLS)."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from flask import Response, abort, url_for
from sqlalchemy import func, select

from ..extensions import db
from ..i18n import LANGUAGES, language_tag
from ..links import site_url
from ..models import Practitioner
from . import bp

SITEMAP_URLS = 10_000  # practitioners a sitemap file lists (the protocol allows 50,000 URLs)
SITEMAPS_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
PUBLIC_PAGES = ("public.index", "public.guide", "public.countries", "public.submit")


@bp.get("/robots.txt")
def robots():
    """Every public page may be crawled; admin pages, searches and forms' answers may not."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search",
        "Disallow: /shortlist",
        "Disallow: /unmet-need",
        "Allow: /",
        f"Sitemap: {site_url(url_for('public.sitemap_index'))}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


def _entry(path: str, modified=None) -> str:
    """A <url> with its page in every language as alternates (the default: no lang)."""
    links = [(language_tag(code), f"{path}?lang={code}") for code in LANGUAGES]
    links.append(("x-default", path))
    alternates = "".join(
        f'<xhtml:link rel="alternate" hreflang={quoteattr(code)} href={quoteattr(site_url(href))}/>'
        for code, href in links
    )
    when = f"<lastmod>{modified.date().isoformat()}</lastmod>" if modified else ""
    return f"<url><loc>{escape(site_url(path))}</loc>{when}{alternates}</url>"


def _urlset(entries: list[str]) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="{SITEMAPS_NS}" xmlns:xhtml="{XHTML_NS}">'
        + "".join(entries)
        + "</urlset>\n"
    )
    return Response(body, mimetype="application/xml")


def _files() -> int:
    listed = db.session.scalar(
        select(func.count()).select_from(Practitioner).where(Practitioner.listed)
    )
    return math.ceil(listed / SITEMAP_URLS)


@bp.get("/sitemap.xml")
def sitemap_index():
    """The sitemap index: the site's own pages, then the practitioners' in files."""
    names = [url_for("public.sitemap_pages")] + [
        url_for("public.sitemap_practitioners", number=n) for n in range(1, _files() + 1)
    ]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="{SITEMAPS_NS}">'
        + "".join(f"<sitemap><loc>{escape(site_url(name))}</loc></sitemap>" for name in names)
        + "</sitemapindex>\n"
    )
    return Response(body, mimetype="application/xml")


@bp.get("/sitemap-pages.xml")
def sitemap_pages():
    return _urlset([_entry(url_for(endpoint)) for endpoint in PUBLIC_PAGES])


@bp.get("/sitemap-practitioners-<int:number>.xml")
def sitemap_practitioners(number: int):
    """The number-th SITEMAP_URLS approved practitioners' pages, by id."""
    if not 1 <= number <= _files():
        abort(404)
    rows = db.session.execute(
        select(Practitioner.id, Practitioner.updated_at)
        .where(Practitioner.listed)
        .order_by(Practitioner.id)
        .offset((number - 1) * SITEMAP_URLS)
        .limit(SITEMAP_URLS)
    )
    return _urlset(
        [
            _entry(url_for("public.practitioner", practitioner_id=pid), modified)
            for pid, modified in rows
        ]
    )
