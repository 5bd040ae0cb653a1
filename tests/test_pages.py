"""Server-rendered pages: the search form, results with the map, practitioner and error pages."""

from __future__ import annotations

import re

import pytest

from finder.extensions import db

from .factories import make_practitioner

HOSTILE = "<img src=x onerror=alert(1)> `${alert(1)}` \\u0060"


def test_home_has_the_search_form_with_labels(client):
    html = client.get("/").get_data(as_text=True)
    assert 'action="/search"' in html and 'method="get"' in html
    for label in (
        "City, postal code or country",
        "Techniques",
        "Muscle Energy Technique",
        "Offers telehealth",
        "Use my location",
    ):
        assert label in html


def test_results_page_lists_cards_and_a_local_leaflet_map(client):
    response = client.get("/search?location=London&technique=chiropractic")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('class="result-card') >= 3
    assert "L.map(" in html and "L.markerClusterGroup(" in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    external = [s for s in sources if s.startswith(("http:", "https:", "//"))]
    # Practitioner websites are links, not loaded resources; no script or style comes from elsewhere.
    assert not [
        s
        # (a canonical or alternate link names a page, it loads nothing)
        for s in re.findall(
            r'<(?:script|link)(?![^>]*rel="(?:canonical|alternate)")[^>]+(?:src|href)="([^"]+)"',
            html,
        )
        if s.startswith(("http:", "https:", "//"))
    ], external
    assert (
        "/vendor/leaflet/leaflet.js" in html
        and "/vendor/markercluster/leaflet.markercluster.js" in html
    )


def test_vendored_assets_are_served(client):
    for path in (
        "/vendor/leaflet/leaflet.js",
        "/vendor/leaflet/leaflet.css",
        "/vendor/markercluster/leaflet.markercluster.js",
        "/vendor/leaflet/images/marker-icon.png",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/vendor/other/x.js").status_code == 404
    assert client.get("/vendor/leaflet/../../../../etc/passwd").status_code == 404


def test_unknown_place_on_the_page_gets_a_message_and_422(client):
    response = client.get("/search?location=xqzzyv+blorp")
    assert response.status_code == 422
    assert "could not find" in response.get_data(as_text=True)


def test_ambiguous_place_offers_choices(client):
    response = client.get("/search?location=Springfield")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Which one did you mean?" in html
    assert html.count("Springfield,") >= 3


def test_bad_parameter_on_the_page_is_400_with_a_message(client):
    response = client.get("/search?location=Austin&radius=-4")
    assert response.status_code == 400
    assert "radius must be between" in response.get_data(as_text=True)


def test_hostile_name_is_escaped_in_list_page_and_map(app, client):
    with app.app_context():
        p = make_practitioner(
            db.session, lat=-33.87, lon=151.21, name=HOSTILE, city="Sydney", country="AU"
        )
        pid = p.id
    html = client.get("/search?lat=-33.87&lon=151.21&radius=5").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    script = html[html.index("L.map(") :]
    assert "${alert" not in script and "`${" not in script
    page = client.get(f"/practitioners/{pid}").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_practitioner_page_and_404(client):
    body = client.get("/api/v1/search?location=Toronto&per_page=1").get_json()
    first = body["nearby"][0]
    html = client.get(f"/practitioners/{first['id']}").get_data(as_text=True)
    assert first["name"].replace("'", "&#39;") in html and "Demo listing" in html
    # Each address and its directions link read as two things: "Canada · Directions".
    places = re.findall(r"<li>\s*(.*?)<a class=\"directions\"", html, re.S)
    assert places and all(re.search(r"\S\s+\u00b7\s*$", place) for place in places), places
    missing = client.get("/practitioners/999999")
    assert missing.status_code == 404 and "could not find that page" in missing.get_data(
        as_text=True
    )


def test_security_headers(client):
    headers = client.get("/").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.slow
def test_every_demo_practitioner_page_renders_in_every_language(app, client):
    from sqlalchemy import select

    from finder.models import Practitioner

    with app.app_context():
        ids = db.session.scalars(
            select(Practitioner.id).where(Practitioner.status == "approved")
        ).all()
    assert len(ids) >= 500
    for pid in ids:
        assert client.get(f"/practitioners/{pid}").status_code == 200, pid
    from finder.i18n import LANGUAGES

    for lang in LANGUAGES:
        for pid in ids[:25]:
            assert client.get(f"/practitioners/{pid}?lang={lang}").status_code == 200, (pid, lang)


def test_odd_numbers_in_query_strings_are_not_errors(client, app):
    assert client.get("/shortlist?id=%C2%B2&id=" + "9" * 5000).status_code == 200
    assert client.get("/search?location=London&page=%C2%B2").status_code == 400


def test_ticked_checkboxes_of_the_search_form_are_understood(client):
    """WTForms' checkboxes send "y": every value the form sends must be accepted."""
    html = client.get("/").get_data(as_text=True)
    for name in ("telehealth", "home_visits", "gentle"):
        sent = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]+)"', html)
        assert sent, name
        response = client.get("/search", query_string={"location": "Toronto", name: sent.group(1)})
        assert response.status_code == 200, (name, response.get_data(as_text=True)[:300])


def test_a_miles_browser_searches_100_miles_by_default_and_the_api_keeps_100_km(client):
    page = client.get("/search?location=Toronto", headers={"Accept-Language": "en-US"})
    assert re.search(r"practitioners? within 100 mi", page.get_data(as_text=True))
    api = client.get("/api/v1/search?location=Toronto&unit=mi").get_json()
    assert api["radius_km"] == 100


def test_shortlist_links_names_and_contacts_and_shows_phones_for_people(client):
    html = client.get("/shortlist?id=1&id=2").get_data(as_text=True)
    assert re.search(r'<h2><a href="/practitioners/1">', html)
    phone = re.search(r'<a href="tel:(\+\d+)" dir="ltr">([^<]+)</a>', html)
    assert (
        phone
        and " " in phone.group(2)
        and phone.group(2).replace(" ", "").replace("-", "") == phone.group(1)
    )
    assert re.search(r'<a href="mailto:[^"]+@example\.org" dir="ltr">', html)


def test_chips_link_to_the_search_without_each_filter(client):
    html = client.get(
        "/search?location=Toronto&technique=chiropractic&technique=physical-therapy"
        "&country=CA&language=fr&home_visits=y&radius=100&unit=km&page=2&lang=en"
    ).get_data(as_text=True)
    chips = dict(
        (label, href.replace("&amp;", "&"))
        for href, label in re.findall(
            r'<a class="chip" href="([^"]+)" aria-label="Remove filter: ([^"]+)"', html
        )
    )
    base = "/search?location=Toronto"
    assert chips == {
        "Chiropractic": f"{base}&technique=physical-therapy&country=CA&language=fr"
        "&home_visits=y&radius=100&unit=km",
        "Physical therapy": f"{base}&technique=chiropractic&country=CA&language=fr"
        "&home_visits=y&radius=100&unit=km",
        "Canada": f"{base}&technique=chiropractic&technique=physical-therapy&language=fr"
        "&home_visits=y&radius=100&unit=km",
        "French (français)": f"{base}&technique=chiropractic&technique=physical-therapy"
        "&country=CA&home_visits=y&radius=100&unit=km",
        "Home visits": f"{base}&technique=chiropractic&technique=physical-therapy&country=CA"
        "&language=fr&radius=100&unit=km",
    }  # 100 km is the default: no chip for it
    assert 'class="chip-clear" href="/search?location=Toronto&amp;unit=km"' in html
    plain = client.get("/search?location=Toronto&radius=100").get_data(as_text=True)
    assert 'class="filter-chips' not in plain


def test_a_search_without_technique_counts_practitioners_and_miles_default_to_100(client):
    html = client.get(
        "/search?location=Toronto&technique=muscle-energy-technique",
        headers={"Accept-Language": "en-US"},
    ).get_data(as_text=True)
    assert re.search(r'id="summary">\d+ MET practitioners within 100 mi of Toronto', html)
    assert 'aria-label="Remove filter: Within' not in html
    html = client.get("/search?location=Toronto&radius=40&unit=mi&lang=en").get_data(as_text=True)
    assert re.search(r'id="summary">\d+ practitioners? within 40 mi of Toronto', html)
    assert 'aria-label="Remove filter: Within 40 mi"' in html


def test_shortlist_distances_need_a_well_formed_origin(client):
    def distances(query):
        return re.findall(
            r'class="distance"[^>]*>([^<]+)<', client.get(query).get_data(as_text=True)
        )

    assert len(distances("/shortlist?id=1&id=2&from=43.65,-79.38&unit=km")) == 2
    assert distances("/shortlist?id=1&from=43.65,-79.38&unit=mi")[0].split()[1] == "mi"
    for bad in ("43.65", "43.65,-79.38,1", "91,0", "0,181", "nan,0", "１,2", "1_0,2", "0x1,2", ""):
        assert distances(f"/shortlist?id=1&from={bad}") == [], bad


def test_shortlist_remove_links_work_without_javascript(client):
    html = client.get("/shortlist?id=1&id=2&id=3&from=43.65,-79.38&unit=km").get_data(as_text=True)
    removes = [
        h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)" data-shortlist-remove', html)
    ]
    origin = "from=43.65000%2C-79.38000&unit=km"
    assert removes == [
        f"/shortlist?id=2&id=3&{origin}",
        f"/shortlist?id=1&id=3&{origin}",
        f"/shortlist?id=1&id=2&{origin}",
    ]
    # The link to share leaves out where the patient searched from.
    assert re.search(
        r'id="shortlist-link" value="http://[^"]+/shortlist\?id=1&amp;id=2&amp;id=3"', html
    )
    empty = client.get("/shortlist").get_data(as_text=True)
    assert "Your shortlist is empty." in empty and 'id="shortlist-empty">' in empty
    assert 'id="shortlist-link"' not in empty
