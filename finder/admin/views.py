"""Admin views. Every view but login is wrapped in admin_required."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from urllib.parse import unquote, urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import details
from ..auth import (
    AdminUser,
    admin_required,
    audit,
    check_password,
    failures_since_last_sign_in,
    hasher,
    last_sign_ins,
    login_wait,
    password_matches,
    record_attempt,
    set_password,
    sign_in,
    sign_out,
)
from ..claims import pending_changes, unanswered_requests
from ..extensions import db
from ..forms import (
    AddAdminForm,
    AdminLoginForm,
    ChangeOwnPasswordForm,
    DecisionForm,
    EmptyForm,
    ListingForm,
    RemoveAdminForm,
    ResetAdminPasswordForm,
    ResolveReportForm,
    fill_listing_choices,
    report_reason_name,
)
from ..maps import practitioner_map
from ..models import (
    STATUSES,
    Admin,
    AuditEvent,
    ConfirmationRequest,
    ListingChange,
    ListingReport,
    PracticeLocation,
    Practitioner,
    Submission,
    Technique,
    UnmetNeed,
)
from ..submissions import check_fields
from ..templating import code_name, country_name, language_name, readable_json
from ..validation import FieldError, country_code, whole_number
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
    resolve_report,
)
from . import bp

PER_PAGE = 25
REPORTS_SHOWN = 50  # open problem reports on the queue page, oldest first


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login; anything odd means the queue.

    Refused: other sites and scheme-relative tricks (`//x`, `/\\x`, `/%09/x`), and any
    backslash or control character, whether written plainly or percent-encoded.
    """
    if target and all(_plain_path(text) for text in (target, unquote(target))):
        return target
    return url_for("admin.queue")


def _plain_path(text: str) -> bool:
    return (
        text.startswith("/")
        and not text.startswith("//")
        and "\\" not in text
        and not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text)
        and not urlsplit(text).scheme
        and not urlsplit(text).netloc
    )


def too_many_attempts(wait: float) -> str:
    return _(
        "Too many failed attempts. Wait %(seconds)s seconds and try again.",
        seconds=f"{max(1, round(wait))}",
    )


def throttled(page, wait: float):
    """A 429 page that says in Retry-After when the next try will be checked."""
    response = current_app.make_response(page)
    response.headers["Retry-After"] = str(max(1, round(wait)))
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; failures slow further tries from that address down and are recorded.

    A try refused for waiting is not checked and not counted as a failure, so nobody can
    keep an account locked: the real admin elsewhere (or after the delay) gets in.
    """
    form = AdminLoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        wait = login_wait(email)
        if wait > 0:
            page = render_template("admin/login.html", form=form, error=too_many_attempts(wait))
            return throttled((page, 429), wait)
        admin = check_password(email, form.password.data)
        if admin is None:
            record_attempt(email, success=False)
            db.session.commit()
            return render_template(
                "admin/login.html", form=form, error=_("That email and password do not match.")
            ), 401
        failures, addresses = failures_since_last_sign_in(email)
        record_attempt(email, success=True)
        sign_in(admin)
        db.session.commit()
        if failures:
            flash(failures_notice(failures, addresses), "error")
        return redirect(safe_next(request.args.get("next")))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/login.html", form=form), status


def failures_notice(failures: int, addresses: int) -> str:
    """What an admin is told on signing in when someone failed to sign in as them."""
    return ngettext(
        "%(num)d failed sign-in attempt on your account since your previous sign-in, "
        "from %(addresses)s.",
        "%(num)d failed sign-in attempts on your account since your previous sign-in, "
        "from %(addresses)s.",
        failures,
        addresses=ngettext("%(num)d address", "%(num)d addresses", addresses),
    )


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
        query = query.where(Practitioner.due_for_review(dt.date.today()))
    else:
        query = query.where(Practitioner.status == status)
    # Filters the page's own controls can send, else none (text a database cannot even
    # compare, such as NUL on PostgreSQL, never reaches a query).
    techniques = db.session.scalars(select(Technique).order_by(Technique.position)).all()
    try:
        country = country_code(request.args.get("country") or "")
    except FieldError:  # none, or not a country
        country = ""
    if country:
        query = query.where(Practitioner.locations.any(PracticeLocation.country == country))
    technique = (request.args.get("technique") or "").strip()
    if technique not in {t.slug for t in techniques}:
        technique = ""
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
    reports = db.session.scalars(
        open_reports()
        .options(selectinload(ListingReport.practitioner))
        .order_by(*report_priority())
        .limit(REPORTS_SHOWN)
    ).all()
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
        reports=reports,
        open_report_count=db.session.scalar(
            select(func.count()).select_from(open_reports().subquery())
        ),
        resolve_form=ResolveReportForm(formdata=None, next=request.full_path.rstrip("?")),
        reason_name=report_reason_name,
        changes=db.session.scalars(
            pending_changes()
            .options(selectinload(ListingChange.practitioner))
            .order_by(ListingChange.created_at, ListingChange.id)
            .limit(REPORTS_SHOWN)
        ).all(),
        unanswered=db.session.scalars(
            unanswered_requests()
            .options(selectinload(ConfirmationRequest.practitioner))
            .order_by(ConfirmationRequest.flagged_at, ConfirmationRequest.id)
            .limit(REPORTS_SHOWN)
        ).all(),
    )


def report_priority():
    """Listings reported by more people first (each report's open reports about the same
    listing), then the oldest report first."""
    same_listing = ListingReport.__table__.alias("same_listing")
    reports_of_listing = (
        select(func.count())
        .where(
            same_listing.c.practitioner_id == ListingReport.practitioner_id,
            same_listing.c.resolved_at.is_(None),
        )
        .scalar_subquery()
    )
    return reports_of_listing.desc(), ListingReport.created_at, ListingReport.id


def open_reports():
    """Problem reports not yet resolved, about listings an admin can see."""
    return (
        select(ListingReport)
        .join(Practitioner, Practitioner.id == ListingReport.practitioner_id)
        .where(ListingReport.resolved_at.is_(None), Practitioner.status.in_(STATUSES))
    )


def _practitioner_or_404(practitioner_id: int) -> Practitioner:
    """A listing an admin can see: never a row of an import still in progress."""
    p = db.get_or_404(Practitioner, practitioner_id)
    if p.status not in STATUSES:
        abort(404)
    return p


@bp.get("/practitioners/<int:practitioner_id>")
@admin_required
def review(practitioner_id: int):
    """Everything about a listing, the map, duplicate candidates, checklist and actions."""
    return review_page(_practitioner_or_404(practitioner_id))


def allowed_actions(status: str) -> list[str]:
    """The decisions that still apply to a listing in this status (vetting.TRANSITIONS)."""
    return [a for a, s in ACTIONS.items() if s in TRANSITIONS.get(status, set())]


def review_page(p: Practitioner, form: DecisionForm | None = None, error: str = "", status=200):
    """The review page; a refused decision comes back with its note and ticks as typed."""
    if error:
        flash(error, "error")  # shown on this very page, like every other admin message
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
    reports = db.session.scalars(
        open_reports()
        .where(ListingReport.practitioner_id == p.id)
        .order_by(ListingReport.created_at, ListingReport.id)
    ).all()
    return render_template(
        "admin/review.html",
        p=p,
        info=details.api_json(p),  # what the public page shows under "Before you book"
        submission=submission,
        duplicates=duplicates,
        map=parts,
        events=events,
        allowed=allowed_actions(p.status),
        checklist=CHECKLIST,
        form=form or DecisionForm(formdata=None),
        erase_form=EmptyForm(),
        due=due_for_review(p),
        reports=reports,
        changes=db.session.scalars(
            pending_changes().where(ListingChange.practitioner_id == p.id)
        ).all(),
        resolve_form=ResolveReportForm(
            formdata=None, next=url_for("admin.review", practitioner_id=p.id)
        ),
        reason_name=report_reason_name,
        action_name=action_name,
        decision_label=decision_label,
    ), status


@bp.post("/practitioners/<int:practitioner_id>/decision")
@admin_required
def decision(practitioner_id: int):
    """Approve, reject, ask for changes or suspend; each with a note and the checklist."""
    form = DecisionForm()
    if not form.validate_on_submit():
        p = _practitioner_or_404(practitioner_id)
        return review_page(p, form, _("Please correct the fields marked below."), 400)
    refused = None
    p = _practitioner_or_404(practitioner_id)
    status = p.status
    try:
        decide(
            db.session,
            p,
            form.action.data,
            current_user.email,
            form.notes.data,
            {key: getattr(form, key).data for key in CHECKLIST},
            form.revet_due.data,
            form.submitter_note.data or "",
        )
    except VettingError as error:
        db.session.rollback()
        refused = error
    else:
        db.session.commit()
    if refused is not None:
        # The page again, the note and ticks as typed, so nothing has to be written twice.
        if "checklist" in str(refused):
            for key in CHECKLIST:
                if not getattr(form, key).data:
                    getattr(form, key).errors = [_("Tick this before approving.")]
        message = vetting_message(refused, status, form.action.data)
        code = 400 if "checklist" in str(refused) else 409
        return review_page(_practitioner_or_404(practitioner_id), form, message, code)
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


@bp.post("/reports/resolve")
@admin_required
def resolve():
    """Mark a problem report resolved, with an optional note of what was done."""
    form = ResolveReportForm()
    if not form.validate_on_submit():
        flash("; ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(safe_next(form.next.data)), 303
    report = db.get_or_404(ListingReport, whole_number(form.report_id.data) or 0)
    if report.resolved_at is None:
        resolve_report(db.session, report, current_user.email, form.note.data or "")
        db.session.commit()
        flash(_("The report was marked resolved."), "ok")
    return redirect(safe_next(form.next.data)), 303


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
    names = technique_names()
    return render_template(
        "admin/audit.html",
        events=events,
        page=page,
        changes={e.id: audit_changes(e, names) for e in events},
        action_name=action_name,
        entity_name=entity_name,
    )


# Words for the audit log: what was done, to what, and which fields changed from what to what.
ACTION_NAMES = {
    "login": _l("signed in"),
    "logout": _l("signed out"),
    "create-admin": _l("admin created"),
    "add-admin": _l("admin added"),
    "reset-admin-password": _l("admin password reset"),
    "remove-admin": _l("admin removed"),
    "change-password": _l("password changed"),
    "import-csv": _l("imported from a file"),
    "report": _l("problem reported"),
    "resolve-report": _l("problem report resolved"),
    "approve": _l("approved"),
    "reject": _l("rejected"),
    "suspend": _l("suspended"),
    "needs-changes": _l("changes asked for"),
}
ENTITY_NAMES = {
    "practitioner": _l("listing"),
    "submission": _l("submission"),
    "admin": _l("admin"),
    "listing-report": _l("problem report"),
}
FIELD_NAMES = {
    "name": _l("Name"),
    "credentials": _l("Credentials"),
    "clinic": _l("Clinic"),
    "status": _l("Status"),
    "telehealth": _l("Offers telehealth"),
    "home_visits": _l("Offers home visits"),
    "accepts_international": _l("Accepts international patients"),
    "gentle_only": _l("Uses only gentle (non-thrust) methods"),
    "teaches_self_correction": _l("Teaches self-corrections"),
    "website": _l("Website"),
    "phone": _l("Phone"),
    "email": _l("Email"),
    "registry_name": _l("Licence registry"),
    "registry_number": _l("Licence number"),
    "registry_url": _l("Registry link"),
    "npi": _l("US NPI"),
    "techniques": _l("Techniques"),
    "languages": _l("Languages"),
    "patterns": _l("Patterns"),
    "revet_due": _l("Re-vet by"),
    "locations": _l("Locations"),
    "reason": _l("What is wrong"),
    "resolved": _l("Resolved"),
    "note": _l("Note"),
    "practitioner_id": _l("Listing"),
    "file": _l("File"),
    "count": _l("Listings"),
    "older_than_days": _l("Older than (days)"),
    "erased": _l("Submissions erased"),
    "unmet_need_emails_erased": _l("Unmet-need emails erased"),
    "report_emails_erased": _l("Problem report emails erased"),
}


def action_name(code: str) -> str:
    """An audit action in the page's language."""
    return str(ACTION_NAMES[code]) if code in ACTION_NAMES else code_name(code)


def decision_label(action: str) -> str:
    """A decision button's words ("Approve", "Ask for changes")."""
    return _("Ask for changes") if action == "needs-changes" else code_name(action)


def entity_name(code: str) -> str:
    return str(ENTITY_NAMES.get(code, code))


def technique_names() -> dict[str, str]:
    """Technique slug -> its name in the page's language."""
    return {t.slug: _(t.name) for t in db.session.scalars(select(Technique))}


def quoted(text: str) -> str:
    """Typed text as a JSON string: "quoted", so spaces and invisible characters show."""
    return json.dumps(text, ensure_ascii=False)


def in_words(key: str, value, techniques: dict[str, str]) -> str:
    """One audited value for people: yes/no, statuses and codes in words, lists joined,
    typed text quoted."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return code_name(value)
    if key in ("status", "decision"):
        return code_name(value)
    if key == "reason":
        return report_reason_name(value)
    if key == "techniques":
        return ", ".join(techniques.get(slug, slug) for slug in value)
    if key == "patterns":
        return ", ".join(code_name(slug) for slug in value)
    if key == "languages":
        return ", ".join(language_name(code) for code in value)
    if key == "locations":
        return "; ".join(
            ", ".join(
                str(part)
                for part in (
                    *(
                        quoted(loc[k])
                        for k in ("address", "city", "region", "postal_code")
                        if loc.get(k)
                    ),
                    country_name(loc["country"]) if loc.get("country") else None,
                    f"({loc.get('latitude')}, {loc.get('longitude')})",
                )
                if part
            )
            for loc in value
        )
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return readable_json(value)
    if isinstance(value, str):
        return quoted(value)
    return str(value)


def audit_changes(event: AuditEvent, techniques: dict[str, str]) -> list[tuple[str, str, str]]:
    """(field, before, after) in words for each field the event changed; a one-sided event
    (something made, or a count) lists what it recorded, with "—" on the empty side."""
    before, after = event.before or {}, event.after or {}
    return [
        (
            str(FIELD_NAMES.get(key, key.replace("_", " "))),
            in_words(key, before.get(key), techniques),
            in_words(key, after.get(key), techniques),
        )
        for key in dict.fromkeys([*before, *after])
        if not (before and after and before.get(key) == after.get(key))
    ]


@bp.get("/unmet-needs")
@admin_required
def unmet_needs():
    """Where patients found nobody, counted by country and technique: where to recruit."""
    rows = db.session.execute(
        select(UnmetNeed.country, UnmetNeed.technique, func.count())
        .group_by(UnmetNeed.country, UnmetNeed.technique)
        .order_by(func.count().desc(), UnmetNeed.country)
    ).all()
    return render_template("admin/unmet_needs.html", rows=rows, techniques=technique_names())


@bp.get("/admins")
@admin_required
def admins():
    """Who can vet listings; add an admin, reset or remove another, change one's password."""
    return admins_page()


def admins_page(status: int = 200, **forms):
    """The admins page, with a form given back (errors and all) in place of a blank one."""
    me = current_user.admin
    everyone = db.session.scalars(select(Admin).order_by(Admin.email)).all()
    others = [(a.id, a.email) for a in everyone if a.id != me.id]
    reset = forms.get("reset") or ResetAdminPasswordForm(prefix="reset")
    remove = forms.get("remove") or RemoveAdminForm(prefix="remove")
    reset.admin_id.choices = remove.admin_id.choices = others
    return render_template(
        "admin/admins.html",
        admins=everyone,
        me=me,
        last_sign_in=last_sign_ins(),
        add=forms.get("add") or AddAdminForm(prefix="add"),
        reset=reset,
        remove=remove,
        own=forms.get("own") or ChangeOwnPasswordForm(prefix="own"),
    ), status


def refusal(name: str, form):
    """The page with this form's problems if it is invalid or the acting admin's re-typed
    password is wrong (which counts as a failed sign-in); None when the change may go on."""
    if not form.validate_on_submit():
        return admins_page(400, **{name: form})
    me = current_user.admin
    wait = login_wait(me.email)
    if wait > 0:
        form.current_password.errors = [too_many_attempts(wait)]
        return throttled(admins_page(429, **{name: form}), wait)
    if not password_matches(me, form.current_password.data):
        record_attempt(me.email, success=False)
        db.session.commit()
        form.current_password.errors = [_("That is not your current password.")]
        return admins_page(403, **{name: form})
    return None


def admin_choices() -> list[tuple[int, str]]:
    """Every admin as a choice of a form that names one (checked again by other_admin)."""
    return [(a.id, a.email) for a in db.session.scalars(select(Admin))]


def other_admin(form) -> Admin | None:
    """The admin the form names, if it is someone other than the one acting."""
    admin = db.session.get(Admin, form.admin_id.data)
    if admin is None or admin.id == current_user.admin.id:
        return None
    return admin


@bp.post("/admins/add")
@admin_required
def add_admin():
    form = AddAdminForm(prefix="add")
    if refused := refusal("add", form):
        return refused
    email = form.email.data
    if db.session.scalar(select(Admin).where(Admin.email == email)):
        form.email.errors = [_("There is already an admin with this email.")]
        return admins_page(400, add=form)
    admin = Admin(email=email, password_hash=hasher.hash(form.new_password.data))
    db.session.add(admin)
    db.session.flush()
    audit(current_user.email, "add-admin", admin, after={"email": email})
    db.session.commit()
    flash(_("%(email)s can now sign in as an admin.", email=email), "ok")
    return redirect(url_for("admin.admins")), 303


@bp.post("/admins/reset-password")
@admin_required
def reset_admin_password():
    form = ResetAdminPasswordForm(prefix="reset")
    form.admin_id.choices = admin_choices()
    if refused := refusal("reset", form):
        return refused
    admin = other_admin(form)
    if admin is None:
        form.admin_id.errors = [_("Choose another admin; change your own password below.")]
        return admins_page(400, reset=form)
    set_password(admin, form.new_password.data)
    audit(current_user.email, "reset-admin-password", admin, after={"email": admin.email})
    db.session.commit()
    flash(
        _("%(email)s has a new password and has been signed out everywhere.", email=admin.email),
        "ok",
    )
    return redirect(url_for("admin.admins")), 303


@bp.post("/admins/remove")
@admin_required
def remove_admin():
    form = RemoveAdminForm(prefix="remove")
    form.admin_id.choices = admin_choices()
    if refused := refusal("remove", form):
        return refused
    admin = other_admin(form)
    if admin is None:
        form.admin_id.errors = [_("You cannot remove yourself; another admin can.")]
        return admins_page(400, remove=form)
    if db.session.scalar(select(func.count()).select_from(Admin)) <= 1:
        form.admin_id.errors = [_("The last admin cannot be removed.")]
        return admins_page(400, remove=form)
    email = admin.email
    audit(current_user.email, "remove-admin", admin, before={"email": email})
    db.session.delete(admin)
    db.session.commit()
    flash(_("%(email)s is no longer an admin.", email=email), "ok")
    return redirect(url_for("admin.admins")), 303


@bp.post("/admins/password")
@admin_required
def change_own_password():
    form = ChangeOwnPasswordForm(prefix="own")
    if refused := refusal("own", form):
        return refused
    me = current_user.admin
    set_password(me, form.new_password.data)
    audit(me.email, "change-password", me)
    db.session.commit()
    login_user(AdminUser(me), remember=False)  # this session goes on with the new version
    flash(_("Your password was changed; your other sessions have ended."), "ok")
    return redirect(url_for("admin.admins")), 303
