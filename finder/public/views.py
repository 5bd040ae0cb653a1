"""Search page, results page with the map, practitioner page."""

from __future__ import annotations

import pycountry
from flask import abort, current_app, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..api.views import geocoder_settings, technique_slugs
from ..extensions import db
from ..forms import SearchForm
from ..geo import from_km
from ..geocode import AmbiguousPlace, GeocodeError
from ..maps import MapMarker, build_map
from ..models import Practitioner, PractitionerLanguage, Technique
from ..params import BadParameter, parse_search_args
from ..results import run_search
from . import bp


def techniques_by_slug() -> dict[str, Technique]:
    return {t.slug: t for t in db.session.scalars(select(Technique).order_by(Technique.position))}


def search_form(techniques: dict[str, Technique]) -> SearchForm:
    """The search form, its choices filled and its values taken from the query string."""
    form = SearchForm(request.args)
    form.technique.choices = [(t.slug, t.name) for t in techniques.values()]
    form.country.choices = [("", "Any country")] + sorted(
        ((c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries),
        key=lambda item: item[1],
    )
    codes = sorted(set(db.session.scalars(select(PractitionerLanguage.code).distinct())))
    form.language.choices = [("", "Any language")] + [
        (code, current_app.jinja_env.filters["language_name"](code)) for code in codes
    ]
    return form


@bp.get("/")
def index():
    """The search page."""
    techniques = techniques_by_slug()
    return render_template("index.html", form=search_form(techniques), techniques=techniques)


@bp.get("/search")
def search():
    """Results: the nearest matches as cards and on a map."""
    techniques = techniques_by_slug()
    form = search_form(techniques)
    try:
        search_request = parse_search_args(request.args, technique_slugs())
    except BadParameter as error:
        return render_template(
            "index.html", form=form, techniques=techniques, error=error.message, error_field=error.field
        ), 400
    try:
        outcome = run_search(db.session, search_request, geocoder_settings())
    except AmbiguousPlace as error:
        return render_template(
            "index.html", form=form, techniques=techniques, error=error.message,
            error_field="location", candidates=error.candidates,
        ), 422
    except GeocodeError as error:
        return render_template(
            "index.html", form=form, techniques=techniques, error=error.message, error_field="location"
        ), 422

    def link(pid):
        return url_for("public.practitioner", practitioner_id=pid)

    nearby = outcome.entries(outcome.result.nearby, link)
    unit = search_request.unit
    markers = [
        MapMarker(
            name=entry["name"],
            lat=entry["lat"],
            lon=entry["lon"],
            color=techniques[entry["techniques"][0]].color if entry["techniques"] else "#555555",
            lines=[
                ", ".join(techniques[s].name for s in entry["techniques"]),
                f"{entry['city']}, {entry['country']} · {from_km(entry['distance_km'], unit):.1f} {unit}",
            ],
            url=entry["url"],
        )
        for entry in nearby
    ]
    parts = build_map(
        (outcome.origin.lat, outcome.origin.lon),
        outcome.origin.label,
        search_request.radius_km,
        markers,
        current_app.config["TILE_URL"],
        current_app.config["TILE_ATTRIBUTION"],
    )
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    return render_template(
        "results.html",
        form=form,
        techniques=techniques,
        outcome=outcome,
        nearby=nearby,
        unit=unit,
        radius=from_km(search_request.radius_km, unit),
        map=parts,
        page_args=args,
    )


@bp.get("/practitioners/<int:practitioner_id>")
def practitioner(practitioner_id: int):
    """One approved practitioner's public page."""
    item = db.session.scalar(
        select(Practitioner)
        .where(Practitioner.id == practitioner_id, Practitioner.status == "approved")
        .options(selectinload(Practitioner.techniques), selectinload(Practitioner.locations))
    )
    if item is None:
        abort(404)
    return render_template("practitioner.html", p=item, techniques=techniques_by_slug())
