"""Admin views. Every view but login is wrapped in admin_required."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..auth import (
    admin_required,
    check_password,
    client_address,
    record_attempt,
    seconds_to_wait,
    sign_in,
    sign_out,
)
from ..database import writing
from ..extensions import db
from ..forms import AdminLoginForm, DecisionForm, EmptyForm, ListingForm, fill_listing_choices
from ..maps import practitioner_map
from ..models import (
    STATUSES,
    AuditEvent,
    PracticeLocation,
    Practitioner,
    Submission,
    Technique,
    UnmetNeed,
)
from ..submissions import check_fields
from ..templating import code_name
from ..validation import whole_number
from ..vetting import (
    ACTIONS,
    CHECKLIST,
    TRANSITIONS,
    VettingError,
    apply_edit,
    decide,
    due_for_review,
    erase_submitter,
    listing_data,
)
from . import bp

PER_PAGE = 25


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("admin.queue")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; failures slow further tries down and every attempt is recorded."""
    form = AdminLoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        wait = seconds_to_wait(
            email,
            client_address(),
            current_app.config["LOGIN_DELAY_SECONDS"],
            current_app.config["LOGIN_DELAY_CAP_SECONDS"],
        )
        if wait > 0:
            record_attempt(email, success=False)
            db.session.commit()
            response = current_app.make_response(
                (
                    render_template(
                        "admin/login.html",
                        form=form,
                        error=_(
                            "Too many failed attempts. Wait %(seconds)s seconds and try again.",
                            seconds=f"{wait:.0f}",
                        ),
                    ),
                    429,
                )
            )
            response.headers["Retry-After"] = str(max(1, round(wait)))
            return response
        admin = check_password(email, form.password.data)
        record_attempt(email, success=admin is not None)
        if admin is None:
            db.session.commit()
            return render_template(
                "admin/login.html", form=form, error=_("That email and password do not match.")
            ), 401
        sign_in(admin)
        db.session.commit()
        return redirect(safe_next(request.args.get("next")))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
@admin_required
def logout():
    if EmptyForm().validate_on_submit():
        sign_out()
    return redirect(url_for("admin.login"))


@bp.get("/")
@admin_required
def queue():
    """Listings by status, oldest first, filtered by country and technique."""
    status = request.args.get("status", "pending")
    if status not in STATUSES and status != "due":
        status = "pending"
    query = select(Practitioner).options(
        selectinload(Practitioner.locations), selectinload(Practitioner.techniques)
    )
    if status == "due":
        query = query.where(
            Practitioner.status == "approved", Practitioner.revet_due < dt.date.today()
        )
    else:
        query = query.where(Practitioner.status == status)
    country = (request.args.get("country") or "").strip().upper()[:2]
    if country:
        query = query.where(Practitioner.locations.any(PracticeLocation.country == country))
    technique = (request.args.get("technique") or "").strip()
    if technique:
        query = query.where(Practitioner.techniques.any(Technique.slug == technique))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = request.args.get("page", "1")
    page = max(whole_number(page) or 1, 1)
    items = db.session.scalars(
        query.order_by(Practitioner.created_at, Practitioner.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    techniques = db.session.scalars(select(Technique).order_by(Technique.position)).all()
    return render_template(
        "admin/queue.html",
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        status=status,
        country=country,
        technique=technique,
        techniques=techniques,
        statuses=STATUSES,
        due_for_review=due_for_review,
    )


def _practitioner_or_404(practitioner_id: int) -> Practitioner:
    return db.get_or_404(Practitioner, practitioner_id)


@bp.get("/practitioners/<int:practitioner_id>")
@admin_required
def review(practitioner_id: int):
    """Everything about a listing, the map, duplicate candidates, checklist and actions."""
    p = _practitioner_or_404(practitioner_id)
    submission = db.session.scalar(select(Submission).where(Submission.practitioner_id == p.id))
    duplicates = []
    if submission and submission.duplicate_candidates:
        duplicates = db.session.scalars(
            select(Practitioner).where(Practitioner.id.in_(submission.duplicate_candidates))
        ).all()
    parts = practitioner_map(
        p, current_app.config["TILE_URL"], current_app.config["TILE_ATTRIBUTION"]
    )
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == "practitioner", AuditEvent.entity_id == p.id)
        .order_by(AuditEvent.at.desc())
    ).all()
    allowed = [a for a, s in ACTIONS.items() if s in TRANSITIONS.get(p.status, set())]
    return render_template(
        "admin/review.html",
        p=p,
        submission=submission,
        duplicates=duplicates,
        map=parts,
        events=events,
        allowed=allowed,
        checklist=CHECKLIST,
        form=DecisionForm(),
        erase_form=EmptyForm(),
        due=due_for_review(p),
    )


@bp.post("/practitioners/<int:practitioner_id>/decision")
@admin_required
def decision(practitioner_id: int):
    """Approve, reject, ask for changes or suspend; each with a note and the checklist."""
    form = DecisionForm()
    with writing():
        p = _practitioner_or_404(practitioner_id)
        if not form.validate_on_submit():
            flash("; ".join(e for errors in form.errors.values() for e in errors), "error")
            return redirect(url_for("admin.review", practitioner_id=p.id)), 303
        try:
            decide(
                db.session,
                p,
                form.action.data,
                current_user.email,
                form.notes.data,
                {key: getattr(form, key).data for key in CHECKLIST},
                form.revet_due.data,
            )
        except VettingError as error:
            db.session.rollback()
            flash(vetting_message(error, p.status, form.action.data), "error")
            return redirect(url_for("admin.review", practitioner_id=practitioner_id)), 303
        db.session.commit()
    flash(_("%(name)s: %(status)s.", name=p.name, status=code_name(p.status)), "ok")
    return redirect(url_for("admin.review", practitioner_id=practitioner_id)), 303


def vetting_message(error: VettingError, status: str, action: str) -> str:
    """A refused decision explained in the page's language."""
    if "checklist" in str(error):
        return _("Tick every item of the checklist before approving.")
    return _(
        "A listing that is %(status)s cannot be given “%(action)s”.",
        status=code_name(status),
        action=code_name(action),
    )


@bp.route("/practitioners/<int:practitioner_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(practitioner_id: int):
    """Correct a listing's details; the change is audited with before and after."""
    p = _practitioner_or_404(practitioner_id)
    techniques = db.session.scalars(select(Technique).order_by(Technique.position)).all()
    if request.method == "GET":
        form = fill_listing_choices(ListingForm(data=listing_data(p)), techniques)
        return render_template("admin/edit.html", form=form, p=p)
    form = fill_listing_choices(ListingForm(), techniques)
    valid = form.validate()
    data = {name: field.data for name, field in form._fields.items()}
    problems = check_fields(data)
    for name, message in problems.items():
        getattr(form, name).errors = [*getattr(form, name).errors, message]
    if data.get("latitude") is None or data.get("longitude") is None:
        form.latitude.errors = [
            *form.latitude.errors,
            _("Give the location's latitude and longitude."),
        ]
        problems["latitude"] = "missing"
    if not valid or problems:
        return render_template(
            "admin/edit.html", form=form, p=p, error=_("Please correct the fields marked below.")
        ), 400
    with writing():
        apply_edit(db.session, p, data, current_user.email)
        db.session.commit()
    flash(_("Changes saved."), "ok")
    return redirect(url_for("admin.review", practitioner_id=p.id)), 303


@bp.post("/submissions/<int:submission_id>/erase")
@admin_required
def erase(submission_id: int):
    """Erase the submitter's name and email."""
    form = EmptyForm()
    submission = db.get_or_404(Submission, submission_id)
    if form.validate_on_submit():
        erase_submitter(db.session, submission, current_user.email)
        db.session.commit()
        flash(_("The submitter's details were erased."), "ok")
    target = submission.practitioner_id
    return redirect(
        url_for("admin.review", practitioner_id=target) if target else url_for("admin.queue")
    ), 303


@bp.get("/audit")
@admin_required
def audit_log():
    """Every state change and edit, newest first."""
    page = request.args.get("page", "1")
    page = max(whole_number(page) or 1, 1)
    events = db.session.scalars(
        select(AuditEvent)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(50)
        .offset((page - 1) * 50)
    ).all()
    return render_template("admin/audit.html", events=events, page=page)


@bp.get("/unmet-needs")
@admin_required
def unmet_needs():
    """Where patients found nobody, counted by country and technique: where to recruit."""
    rows = db.session.execute(
        select(UnmetNeed.country, UnmetNeed.technique, func.count())
        .group_by(UnmetNeed.country, UnmetNeed.technique)
        .order_by(func.count().desc(), UnmetNeed.country)
    ).all()
    return render_template("admin/unmet_needs.html", rows=rows)
