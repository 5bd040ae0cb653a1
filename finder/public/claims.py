"""A practitioner keeps their listing current: ask for a link by email, then confirm the
listing or propose changes an admin approves (finder.claims)."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import claims
from ..extensions import csrf, db
from ..forms import ClaimRequestForm, EmptyForm, ListingForm, fill_listing_choices
from ..limits import claim_address_limited, claim_limited
from ..submissions import check_fields
from ..vetting import listing_data
from . import bp
from .views import techniques_by_slug

REFUSALS = {  # why a link cannot be used -> (status, message)
    "invalid": (
        400,
        lambda: _(
            "This link is not valid: it may have been copied incompletely or changed. "
            "Ask for a new one below."
        ),
    ),
    "expired": (410, lambda: _("This link has expired. Ask for a new one below.")),
    "used": (
        410,
        lambda: _(
            "This link has already been used: each link works once. Ask for a new one below."
        ),
    ),
    "changed": (
        409,
        lambda: _(
            "The email on this listing has changed since the link was sent, so the link no "
            "longer works. Ask for a new one with the listing's current email."
        ),
    ),
    "gone": (410, lambda: _("This listing is no longer public, so it cannot be updated here.")),
}


def refused(error: claims.LinkRefused):
    status, message = REFUSALS[error.reason]
    return render_template(
        "claim.html", form=ClaimRequestForm(formdata=None), refusal=message()
    ), status


@bp.route("/listing/claim", methods=["GET", "POST"])
@claim_limited
@claim_address_limited
def claim():
    """Ask for a link by the listing's email; the answer never says whether it is listed."""
    form = ClaimRequestForm()
    if request.method == "GET":
        return render_template("claim.html", form=form)
    if not form.validate():
        return render_template(
            "claim.html", form=form, error=_("Please correct the fields marked below.")
        ), 400
    claims.request_claim(db.session, form.email.data, str(get_locale()))
    db.session.commit()
    return render_template("claim.html", form=ClaimRequestForm(formdata=None), sent=True)


def listing_form(p, formdata=True) -> ListingForm:
    form = ListingForm() if formdata else ListingForm(formdata=None, data=listing_data(p))
    return fill_listing_choices(form, techniques_by_slug().values())


@bp.get("/listing/claim/<token>")
def claim_link(token: str):
    """The listing as it stands: confirm it all, or change what is wrong. Opening the link
    uses nothing (mail scanners open links too); answering does."""
    try:
        opened = claims.open_link(db.session, token)
    except claims.LinkRefused as error:
        return refused(error)
    return claim_page(opened, listing_form(opened.practitioner, formdata=False))


def claim_page(opened, form, error: str = "", status: int = 200):
    return render_template(
        "claim_link.html",
        p=opened.practitioner,
        form=form,
        confirm_form=EmptyForm(),
        purpose=opened.link.purpose,
        error=error,
    ), status


@bp.post("/listing/claim/<token>/confirm")
@claim_limited
def claim_confirm(token: str):
    """ "Everything is still true": the listing is confirmed today, at once."""
    form = EmptyForm()
    try:
        opened = claims.open_link(db.session, token)
    except claims.LinkRefused as error:
        return refused(error)
    if not form.validate_on_submit():
        return claim_page(
            opened, listing_form(opened.practitioner, formdata=False), _("Please try again."), 400
        )
    claims.confirm(db.session, opened)
    db.session.commit()
    return render_template("claim_done.html", p=opened.practitioner, confirmed=True)


@bp.post("/listing/claim/<token>/propose")
@claim_limited
def claim_propose(token: str):
    """Changes to the listing, checked like an admin's edit, waiting for an admin."""
    try:
        opened = claims.open_link(db.session, token)
    except claims.LinkRefused as error:
        return refused(error)
    form = listing_form(opened.practitioner)
    valid = form.validate()
    data = {name: field.data for name, field in form._fields.items()}
    problems = check_fields(data)
    for name, message in problems.items():
        if not getattr(form, name).errors:
            getattr(form, name).errors = [message]
    if data.get("latitude") is None or data.get("longitude") is None:
        form.latitude.errors = [
            *form.latitude.errors,
            _("Give the location's latitude and longitude."),
        ]
        problems["latitude"] = "missing"
    if not valid or problems:
        return claim_page(opened, form, _("Please correct the fields marked below."), 400)
    change = claims.propose(db.session, opened, data)
    unchanged = not claims.differences(opened.practitioner, change)
    db.session.commit()
    return render_template(
        "claim_done.html", p=opened.practitioner, confirmed=False, unchanged=unchanged
    ), 201


@bp.route("/listing/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """No more confirm-or-update requests for this listing (List-Unsubscribe; a mail
    program's one-click POST carries no form token, and needs none: it only stops mail)."""
    try:
        p = claims.unsubscribe_target(db.session, token)
    except claims.LinkRefused as error:
        return refused(error)
    if request.method == "POST":
        p.mail_opt_out = True
        db.session.commit()
        return render_template("unsubscribe.html", p=p, done=True)
    return render_template("unsubscribe.html", p=p, done=False)
