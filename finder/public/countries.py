"""/countries: where the directory has practitioners, and where it has none yet."""

from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..api.views import geocoder_settings
from ..coverage import coverage_counts, level, total
from ..extensions import db
from ..geocode import all_countries, country_point
from ..limits import pages_limited
from ..maps import CountryMarker, build_coverage_map, build_map
from ..models import ANY_TECHNIQUE, PracticeLocation, Practitioner
from ..results import entries_for, result_entry
from ..search import Filters, Hit, Origin, travel_worthy
from ..templating import say_reason
from . import bp
from .views import map_marker, page_language, techniques_by_slug


@bp.get("/countries")
@pages_limited
def countries():
    """A world map and table of approved practitioners per country and technique."""
    techniques = techniques_by_slug()
    technique = request.args.get("technique", "")
    if technique not in techniques:
        technique = ""
    counts = coverage_counts(db.session)
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


@bp.get("/countries/<code>")
@pages_limited
def country(code: str):
    """One country: its approved practitioners, a map, and the nearest options across borders."""
    code = code.upper()
    place = country_point(code, **geocoder_settings()) if len(code) == 2 else None
    if place is None:
        abort(404)
    techniques = techniques_by_slug()
    people = db.session.scalars(
        select(Practitioner)
        .where(
            Practitioner.status == "approved",
            Practitioner.locations.any(PracticeLocation.country == code),
        )
        .options(
            selectinload(Practitioner.techniques),
            selectinload(Practitioner.locations),
            selectinload(Practitioner.language_rows),
        )
        .order_by(Practitioner.name)
    ).all()

    def link(pid):
        return url_for("public.practitioner", practitioner_id=pid)

    entries = []
    for p in people:
        loc = next(loc for loc in p.locations if loc.country == code)
        entry = result_entry(
            place, Hit(p.id, loc.id, loc.latitude, loc.longitude, 0.0, loc.country), p, link
        )
        entry["distance_km"] = None  # a distance from the country's centre means nothing
        entries.append(entry)
    counts = coverage_counts(db.session).get(code, {})
    # For each technique nobody offers here, the options worth travelling for.
    origin = Origin(place.lat, place.lon, code, page_language())
    abroad = {}
    for slug, technique in techniques.items():
        if counts.get(slug, 0) == 0:
            options = travel_worthy(db.session, origin, Filters(techniques=(slug,)), set())[:3]
            if options:
                ids = {o.hit.practitioner_id for o in options}
                found = {
                    p.id: p
                    for p in db.session.scalars(
                        select(Practitioner).where(Practitioner.id.in_(ids))
                    )
                }
                abroad[_(technique.name)] = entries_for(place, options, found, link, say_reason)
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
