"""/countries: where the directory has practitioners, and where it has none yet."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from .. import cached
from .. import options as policy
from ..api.views import geocoder_settings
from ..coverage import level, total
from ..extensions import db
from ..geocode import all_countries, country_point
from ..limits import pages_limited
from ..maps import CountryMarker, build_coverage_map, build_map
from ..models import ANY_TECHNIQUE
from ..nearest import Filters, Hit, Neighbourhood
from ..options import Origin
from ..search import entries_for, load_practitioners, result_entry
from ..templating import say_reason
from . import bp
from .views import map_marker, page_language, techniques_by_slug


@bp.get("/countries")
@pages_limited
def countries():
    """A world map and table of approved practitioners per country and technique."""
    return cached.answer(coverage_page)


def coverage_page():
    """The world map and table (see countries())."""
    techniques = techniques_by_slug()
    technique = request.args.get("technique", "")
    if technique not in techniques:
        technique = ""
    counts = cached.coverage()
    key = technique or ANY_TECHNIQUE
    name_of = current_app.jinja_env.filters["country_name"]
    markers = []
    for country in all_countries(**geocoder_settings()):
        by_technique = counts.get(country.code, {})
        count = by_technique.get(key, 0)
        lines = [f"{_(t.name)}: {by_technique.get(slug, 0)}" for slug, t in techniques.items()]
        markers.append(
            CountryMarker(
                code=country.code,
                name=name_of(country.code),
                lat=country.lat,
                lon=country.lon,
                count=count,
                level=level(count),
                lines=lines,
                url=url_for("public.country", code=country.code),
            )
        )
    parts = build_coverage_map(
        markers, current_app.config["TILE_URL"], current_app.config["TILE_ATTRIBUTION"]
    )
    rows = sorted((m for m in markers if total(counts.get(m.code, {}))), key=lambda m: m.name)
    return render_template(
        "countries.html",
        map=parts,
        rows=rows,
        counts=counts,
        techniques=techniques,
        technique=technique,
        unserved=sum(1 for m in markers if m.count == 0),
    )


ACROSS_BORDERS_KM = 400.0  # where a country page's search for options starts


@bp.get("/countries/<code>")
@pages_limited
def country(code: str):
    """One country: its approved practitioners, a map, and the nearest options across borders."""
    return cached.answer(lambda: country_page(code))


def country_page(code: str):
    """The page of one country (see country())."""
    code = code.upper()
    place = country_point(code, **geocoder_settings()) if len(code) == 2 else None
    if place is None:
        abort(404)
    techniques = techniques_by_slug()

    def link(pid):
        return url_for("public.practitioner", practitioner_id=pid)

    counts = cached.coverage().get(code, {})
    # For each technique nobody offers here, the options worth travelling for: one
    # neighbourhood of the index answers every technique's questions with shared scans.
    missing = [slug for slug in techniques if counts.get(slug, 0) == 0]
    origin = Origin(place.lat, place.lon, code, page_language())
    asked = {slug: policy.travel_questions(origin, Filters((slug,))) for slug in missing}
    answers = {}
    if missing:
        everyone = Filters(tuple(missing))
        hood = Neighbourhood(db.session, place.lat, place.lon, everyone)
        questions = {(s, key): q for s, qs in asked.items() for key, q in qs.items()}
        answers = hood.answer(questions, start_km=ACROSS_BORDERS_KM)
    # The country's own listings and the options' practitioners, in one load.
    people = load_practitioners(
        db.session, policy.candidates(answers, set()), located_in=code if total(counts) else None
    )
    today = dt.date.today()
    abroad = {}
    for slug in missing:
        mine = {key: answers[(slug, key)] for key in asked[slug]}
        options = policy.travel_worthy(origin, Filters((slug,)), mine, set(), people, today)
        if options[:3]:
            name = _(techniques[slug].name)
            abroad[name] = entries_for(place, options[:3], people, link, say_reason)
    entries = []
    for p in sorted(people.values(), key=lambda p: (p.name, p.id)):
        loc = next((loc for loc in p.locations if loc.country == code), None)
        if loc is None:
            continue  # an option from abroad
        entry = result_entry(
            place, Hit(p.id, loc.id, loc.latitude, loc.longitude, 0.0, loc.country), p, link
        )
        entry["distance_km"] = None  # a distance from the country's centre means nothing
        entries.append(entry)
    markers = [map_marker(e, "nearby", techniques, "km") for e in entries]
    markers += [
        map_marker(e, "travel", techniques, "km") for group in abroad.values() for e in group
    ]
    parts = build_map(
        (place.lat, place.lon),
        place.label,
        None,
        markers,
        current_app.config["TILE_URL"],
        current_app.config["TILE_ATTRIBUTION"],
    )
    return render_template(
        "country.html",
        place=place,
        code=code,
        entries=entries,
        counts=counts,
        techniques=techniques,
        abroad=abroad,
        map=parts,
        unit="km",
    )
