"""Search page, results page with the map, practitioner page."""

from __future__ import annotations

import datetime as dt

from babel.lists import format_list
from flask import Response, abort, current_app, g, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import cached, details, open_data
from ..api.views import geocoder_settings, practitioner_url, searched
from ..extensions import db
from ..forms import (
    SearchForm,
    SubmissionForm,
    UnmetNeedForm,
    as_choices,
    country_choices,
    fill_listing_choices,
)
from ..geo import from_km
from ..geocode import AmbiguousPlace, GeocodeError, geocode
from ..i18n import default_unit
from ..limits import pages_limited, submit_limited, unmet_need_limited
from ..links import FILTER_PARAMS, search_url, shortlist_url
from ..maps import MapMarker, build_map, practitioner_map
from ..models import Practitioner, Technique
from ..search import DEFAULT_RADIUS_KM, Outcome, nearest_distance_km, overdue
from ..search_params import BadParameter, SearchRequest, parse_search_args
from ..submissions import check_fields, record_unmet_need, store_submission
from ..techniques import technique_plurals
from ..templating import (
    city_name,
    country_name,
    distance,
    language_name,
    listed,
    place_label,
    place_parts,
    say_reason,
)
from ..validation import decimal_number, whole_number
from . import bp


def techniques_by_slug() -> dict[str, cached.TechniqueInfo]:
    return cached.techniques()


def search_form(techniques: dict[str, Technique]) -> SearchForm:
    """The search form, its choices filled and its values taken from the query string."""
    form = SearchForm(request.args)
    form.technique.choices = as_choices((t.slug, _(t.name)) for t in techniques.values())
    form.country.choices = as_choices([("", _("Any country")), *country_choices()])
    if "unit" not in request.args:
        form.unit.data = default_unit()
    codes = cached.spoken_languages()  # languages someone listed speaks: approved listings only
    name_of = current_app.jinja_env.filters["language_name"]
    form.language.choices = as_choices([("", _("Any language"))] + [(c, name_of(c)) for c in codes])
    return form


def page_language() -> str:
    """The page's language code ('en', 'ko', ...)."""
    locale = get_locale()
    return locale.language if locale else "en"


def map_marker(entry: dict, kind: str, techniques: dict[str, Technique], unit: str) -> MapMarker:
    """A map marker for one result entry, coloured by its first technique."""
    names = listed([_(techniques[s].name) for s in entry["techniques"]])
    where = place_parts(city_name(entry["city"], entry["country"]), country_name(entry["country"]))
    if entry["distance_km"] is not None:
        where += f" · {distance(entry['distance_km'], unit)}"
    return MapMarker(
        name=entry["name"],
        lat=entry["lat"],
        lon=entry["lon"],
        color=techniques[entry["techniques"][0]].color if entry["techniques"] else "#555555",
        lines=[names, where] + ([entry["reason"]] if entry.get("reason") else []),
        url=entry["url"],
        kind=kind,
    )


def radius_text(radius_km: float, unit: str) -> str:
    """A radius as the page's language writes a distance: "100 km", "2.5 mi", "100公里"
    (one decimal only when it is not whole in the unit)."""
    radius = from_km(radius_km, unit)
    return distance(radius_km, unit, 0 if abs(radius - round(radius)) < 0.05 else 1)


def active_filters(
    search_request: SearchRequest, techniques: dict[str, Technique], unit: str
) -> list[dict]:
    """One removable chip per filter in force: its name in the page's language and a link to
    the same search without it (from its first page)."""
    filters = search_request.filters
    chips = []
    for slug in filters.techniques:
        others = [s for s in filters.techniques if s != slug]
        chips.append((_(techniques[slug].name), {"technique": others or None}))
    if filters.country:
        chips.append((country_name(filters.country), {"country": None}))
    if filters.language:
        chips.append((language_name(filters.language), {"language": None}))
    for name, label in (
        ("telehealth", _("Telehealth")),
        ("home_visits", _("Home visits")),
        ("gentle", _("Gentle methods only")),
        ("accepting", _("Taking new patients")),
        ("diagnostic_injection", _("Diagnostic injection")),
        ("lying_down", _("Treats lying down")),
    ):
        if getattr(filters, name):
            chips.append((label, {name: None}))
    if filters.approach:
        approach = {"posterior": _("Posterior fusion"), "lateral": _("Lateral fusion")}
        chips.append((approach[filters.approach], {"approach": None}))
    radius = from_km(search_request.radius_km, unit)
    if abs(radius - DEFAULT_RADIUS_KM) > 1e-6:  # the default is 100 of the page's unit
        label = _("Within %(distance)s", distance=radius_text(search_request.radius_km, unit))
        chips.append((label, {"radius": None}))
    return [{"label": label, "url": search_url(**drop, page=None)} for label, drop in chips]


def without_filters_url() -> str:
    """This search again with no filter at all."""
    return search_url(**dict.fromkeys(FILTER_PARAMS), page=None)


def practitioner_noun(slugs: tuple[str, ...], count: int) -> str | None:
    """ "physical therapists" when one technique with words for its practitioners is chosen."""
    words = technique_plurals().get(slugs[0]) if len(slugs) == 1 else None
    return _(words[0] if count == 1 else words[1]) if words else None


def techniques_named(slugs: tuple[str, ...], techniques: dict[str, Technique]) -> str:
    """ "Chiropractic or Physical therapy" in the page's language."""
    return format_list(
        [_(techniques[s].name) for s in slugs], style="or", locale=str(get_locale() or "en")
    )


def found_summary(outcome: Outcome, techniques: dict[str, Technique]) -> str:
    """How many were found, who they are and where: "12 physical therapists within 100 km of
    Toronto"; several techniques are named ("3 practitioners offering A or B ...")."""
    count, slugs = outcome.result.total, outcome.request.filters.techniques
    noun = practitioner_noun(slugs, count)
    offering = techniques_named(slugs, techniques) if slugs and not noun else None
    if outcome.whole_country:
        where = {
            "country": country_name(outcome.origin.country),
            "city": city_name(outcome.centre, outcome.origin.country),
        }
        if not count:
            return _("No practitioner in %(country)s matches this search yet.", **where)
        if noun:
            return ngettext(
                "%(num)s %(noun)s in %(country)s, nearest to %(city)s first",
                "%(num)s %(noun)s in %(country)s, nearest to %(city)s first",
                count,
                noun=noun,
                **where,
            )
        if offering:
            return ngettext(
                "%(num)s practitioner offering %(techniques)s in %(country)s, "
                "nearest to %(city)s first",
                "%(num)s practitioners offering %(techniques)s in %(country)s, "
                "nearest to %(city)s first",
                count,
                techniques=offering,
                **where,
            )
        return ngettext(
            "%(count)s practitioner in %(country)s, nearest to %(city)s first",
            "%(count)s practitioners in %(country)s, nearest to %(city)s first",
            count,
            count=count,
            **where,
        )
    # "of 43.6532, -79.3832" says nothing to a person who used their location.
    pointed = outcome.origin.kind == "point" and not outcome.request.location
    where = {
        "distance": radius_text(outcome.request.radius_km, outcome.request.unit),
        "place": _("your location") if pointed else place_label(outcome.origin),
    }
    if noun:
        return ngettext(
            "%(num)s %(noun)s within %(distance)s of %(place)s",
            "%(num)s %(noun)s within %(distance)s of %(place)s",
            count,
            noun=noun,
            **where,
        )
    if offering:
        return ngettext(
            "%(num)s practitioner offering %(techniques)s within %(distance)s of %(place)s",
            "%(num)s practitioners offering %(techniques)s within %(distance)s of %(place)s",
            count,
            techniques=offering,
            **where,
        )
    return ngettext(
        "%(num)s practitioner within %(distance)s of %(place)s",
        "%(num)s practitioners within %(distance)s of %(place)s",
        count,
        **where,
    )


def few_nearby(outcome: Outcome) -> str:
    """The underserved banner's headline, naming the practitioners as the summary does."""
    count, travel = outcome.result.total, bool(outcome.result.travel_worthy)
    if not count:
        return _("Nobody near you matches yet — you are not alone in this.")
    noun = practitioner_noun(outcome.request.filters.techniques, count)
    if noun and travel:
        return ngettext(
            "Only %(num)s %(noun)s near you — here are more worth the trip.",
            "Only %(num)s %(noun)s near you — here are more worth the trip.",
            count,
            noun=noun,
        )
    if noun:
        return ngettext(
            "Only %(num)s %(noun)s near you.", "Only %(num)s %(noun)s near you.", count, noun=noun
        )
    if travel:
        return ngettext(
            "Only %(count)s near you — here are more worth the trip.",
            "Only %(count)s near you — here are more worth the trip.",
            count,
            count=count,
        )
    return ngettext("Only %(count)s near you.", "Only %(count)s near you.", count, count=count)


@bp.get("/")
def index():
    """The search page."""
    techniques = techniques_by_slug()
    return render_template("index.html", form=search_form(techniques), techniques=techniques)


@bp.get("/search")
@pages_limited
def search():
    """Results: the nearest matches as cards and on a map (kept per data version)."""
    return cached.answer(results_page)


def results_page():
    """The results page for this request's search, or the search page with what is wrong."""
    techniques = techniques_by_slug()
    form = search_form(techniques)
    try:
        search_request = parse_search_args(
            request.args, set(techniques), default_unit(), radius_in_unit=True
        )
    except BadParameter as error:
        return render_template(
            "index.html",
            form=form,
            techniques=techniques,
            error=error.message,
            error_field=error.field,
        ), 400
    try:
        # The browser's region decides between countries for a bare postal code.
        outcome = searched(search_request, page_language())
        g.typed_place = search_request.location  # its city is named as typed (place_label)
    except AmbiguousPlace as error:
        return render_template(
            "index.html",
            form=form,
            techniques=techniques,
            error=error.message,
            error_field="location",
            candidates=error.candidates,
        ), 422
    except GeocodeError as error:
        return render_template(
            "index.html",
            form=form,
            techniques=techniques,
            error=error.message,
            error_field="location",
        ), 422

    def link(pid):
        return url_for("public.practitioner", practitioner_id=pid)

    nearby = outcome.entries(outcome.result.nearby, link)
    travel = outcome.entries(outcome.result.travel_worthy, link, say_reason)
    remote = outcome.entries(outcome.result.remote, link, say_reason)
    unit = search_request.unit
    # A whole country: every listing in it on the map (the list shows one page of them).
    mapped = (
        outcome.entries(outcome.result.whole_country, link) if outcome.whole_country else nearby
    )
    markers = [
        map_marker(entry, kind, techniques, unit)
        for kind, entries in (("nearby", mapped), ("travel", travel), ("remote", remote))
        for entry in entries
    ]
    parts = build_map(
        (outcome.origin.lat, outcome.origin.lon),
        _("You searched: %(place)s", place=place_label(outcome.origin)),
        None if outcome.whole_country else search_request.radius_km,
        markers,
        current_app.config["TILE_URL"],
        current_app.config["TILE_ATTRIBUTION"],
    )
    return render_template(
        "results.html",
        form=form,
        techniques=techniques,
        outcome=outcome,
        nearby=nearby,
        travel=travel,
        remote=remote,
        unit=unit,
        radius=from_km(search_request.radius_km, unit),
        map=parts,
        shortlist_form=True,
        chips=active_filters(search_request, techniques, unit),
        clear_url=without_filters_url(),
        summary=found_summary(outcome, techniques),
        few_nearby=few_nearby(outcome),
    )


def listed_practitioner(practitioner_id: int) -> Practitioner:
    """The approved practitioner with its techniques and locations, or 404."""
    item = db.session.scalar(
        select(Practitioner)
        .where(Practitioner.id == practitioner_id, Practitioner.listed)
        .options(selectinload(Practitioner.techniques), selectinload(Practitioner.locations))
    )
    if item is None:
        abort(404)
    return item


@bp.get("/practitioners/<int:practitioner_id>")
def practitioner(practitioner_id: int):
    """One approved practitioner's public page."""
    item = listed_practitioner(practitioner_id)
    tiles = current_app.config["TILE_URL"], current_app.config["TILE_ATTRIBUTION"]
    registry = item.registry_name or _("its registry")
    return render_template(
        "practitioner.html",
        p=item,
        map=practitioner_map(item, *tiles),
        structured=open_data.schema_org_practitioner(item, practitioner_url(item.id)),
        info=details.api_json(item),
        checks=item.vetting_checks,
        overdue=overdue(item, dt.date.today()),
        vetting_words={
            "licence": _("licence checked against %(registry)s", registry=registry),
            "experience": _("evidence of SI-joint experience"),
            "techniques": _("technique claims verified"),
            "contact": _("contact details verified"),
        },
    )


@bp.get("/practitioners/<int:practitioner_id>.vcf")
def practitioner_vcard(practitioner_id: int):
    """One approved practitioner as a vCard, to keep in a phone's contacts."""
    item = listed_practitioner(practitioner_id)
    return Response(
        open_data.vcard(item, practitioner_url(item.id)),
        mimetype="text/vcard",
        headers={"Content-Disposition": f'attachment; filename="practitioner-{item.id}.vcf"'},
    )


def submission_form() -> SubmissionForm:
    return fill_listing_choices(SubmissionForm(), techniques_by_slug().values())


@bp.route("/submit", methods=["GET", "POST"])
@submit_limited
def submit():
    """Suggest a practitioner: check every field, preview the pin, then store as pending."""
    form = submission_form()
    if request.method == "GET":
        return render_template("submit.html", form=form)
    if form.nickname.data:
        return render_template(
            "submit.html",
            form=form,
            error=_("This submission looks automated and was not accepted."),
        ), 400
    valid = form.validate()
    data = {name: field.data for name, field in form._fields.items()}
    problems = check_fields(data)
    for name, message in problems.items():
        if not getattr(form, name).errors:  # one message a field: "required" says it all
            getattr(form, name).errors = [message]
    if not valid or problems:
        return render_template(
            "submit.html", form=form, error=_("Please correct the fields marked below.")
        ), 400
    if data["latitude"] is None:
        text = ", ".join(part for part in (data["city"], data["region"], data["country"]) if part)
        try:
            place = geocode(
                db.session, text, country_hint=data["country"] or None, **geocoder_settings()
            )
        except GeocodeError as error:
            form.city.errors = [error.message]
            return render_template(
                "submit.html", form=form, error=_("We could not place this address on the map.")
            ), 422
        form.latitude.data, form.longitude.data = f"{place.lat:.5f}", f"{place.lon:.5f}"
        return render_template("submit.html", form=form, preview=True)
    if "preview" in request.form:  # the pin where the submitter put it: no lookup needed
        return render_template("submit.html", form=form, preview=True)
    data["language"] = str(get_locale())
    submission = store_submission(db.session, data)
    db.session.commit()
    return render_template(
        "submitted.html", reference=submission.reference, notify=submission.notify
    ), 201


MAX_SHORTLIST = 50


def shortlist_origin(text: str) -> tuple[float, float] | None:
    """The search place a shortlist was opened from, "LAT,LON"; None unless exactly that."""
    parts = text.split(",")
    if len(parts) != 2:
        return None
    lat, lon = (decimal_number(part) for part in parts)
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


@bp.get("/shortlist")
def shortlist():
    """A printable page of the practitioners a patient ticked; the link is the shortlist.

    Opened from a results page (`from=LAT,LON`), each shows how far it is from that place."""
    numbers = (whole_number(i) for i in request.args.getlist("id")[:MAX_SHORTLIST])
    ids = list(dict.fromkeys(n for n in numbers if n is not None))
    people = db.session.scalars(
        select(Practitioner)
        .where(Practitioner.id.in_(ids), Practitioner.listed)
        .options(selectinload(Practitioner.techniques), selectinload(Practitioner.locations))
    ).all()
    order = {pid: i for i, pid in enumerate(ids)}
    people = sorted(people, key=lambda p: order[p.id])
    origin = shortlist_origin(request.args.get("from", ""))
    unit = request.args.get("unit", "")
    unit = unit if unit in ("km", "mi") else default_unit()
    kept = [p.id for p in people]
    items = [
        {
            "p": p,
            "distance_km": nearest_distance_km(p, *origin) if origin and p.locations else None,
            "remove_url": shortlist_url([i for i in kept if i != p.id], origin, unit),
        }
        for p in people
    ]
    return render_template(
        "shortlist.html",
        items=items,
        unit=unit,
        link=shortlist_url(kept, external=True),
        share_base=shortlist_url([], external=True),
    )


def unmet_need_form() -> UnmetNeedForm:
    form = UnmetNeedForm()
    form.technique.choices = as_choices(
        [("", _("Any technique"))] + [(t.slug, _(t.name)) for t in techniques_by_slug().values()]
    )
    return form


@bp.route("/unmet-need", methods=["GET", "POST"])
@unmet_need_limited
def unmet_need():
    """'I could not find anyone': counted by country and technique so we know where to recruit."""
    form = unmet_need_form()
    if request.method == "GET":
        form.place.data = request.args.get("place", "")[:200]
        form.technique.data = request.args.get("technique", "")
        return render_template("unmet_need.html", form=form)
    if not form.validate_on_submit():
        return render_template("unmet_need.html", form=form), 400
    try:
        place = geocode(db.session, form.place.data, **geocoder_settings())
    except GeocodeError as error:
        form.place.errors = [error.message]
        return render_template("unmet_need.html", form=form), 422
    record_unmet_need(db.session, form.technique.data or None, place, form.email.data or None)
    db.session.commit()
    return render_template("unmet_need.html", form=None, thanks=True), 201
