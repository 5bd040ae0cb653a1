"""Admin pages for what practitioners and the site's mail say: proposed changes as a diff
against the live listing, and the outbox of queued and sent messages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..auth import admin_required
from ..claims import decide_change, differences
from ..extensions import db
from ..forms import ChangeDecisionForm, ListingForm
from ..mail import mask
from ..models import ListingChange, OutgoingMail
from ..validation import whole_number
from . import bp
from .views import in_words, technique_names

OUTBOX_PAGE = 50


def field_label(name: str) -> str:
    field = getattr(ListingForm, name, None)
    args = getattr(field, "args", ())
    return str(args[0]) if args else name


@bp.route("/changes/<int:change_id>", methods=["GET", "POST"])
@admin_required
def change(change_id: int):
    """A proposal beside the live listing, field by field, with approve and reject."""
    item = db.get_or_404(ListingChange, change_id)
    if request.method == "POST":
        return decide_proposal(item)
    return change_page(item, ChangeDecisionForm(formdata=None))


def change_page(item: ListingChange, form: ChangeDecisionForm, status: int = 200):
    names = technique_names()
    rows = [
        (field_label(name), in_words(name, live, names), in_words(name, proposed, names))
        for name, live, proposed in differences(item.practitioner, item)
    ]
    return render_template(
        "admin/change.html", item=item, p=item.practitioner, rows=rows, form=form
    ), status


def decide_proposal(item: ListingChange):
    """Approve (the proposal becomes the listing) or reject, with an optional note."""
    form = ChangeDecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "reject"):
        flash(_("Please try again."), "error")
        return change_page(item, form, 400)
    if item.decided_at is not None:
        flash(_("These changes were already decided."), "error")
        return redirect(url_for("admin.change", change_id=item.id)), 303
    approve = form.decision.data == "approve"
    decide_change(db.session, item, approve, current_user.email, form.note.data or "")
    db.session.commit()
    flash(
        _("The changes are live.") if approve else _("The changes were rejected."),
        "ok",
    )
    return redirect(url_for("admin.review", practitioner_id=item.practitioner_id)), 303


@bp.get("/outbox")
@admin_required
def outbox():
    """Messages the site wrote, newest first: sent, waiting, or (without MAIL_URL) kept here."""
    page = max(whole_number(request.args.get("page", "1")) or 1, 1)
    total = db.session.scalar(select(func.count(OutgoingMail.id)))
    items = db.session.scalars(
        select(OutgoingMail)
        .order_by(OutgoingMail.id.desc())
        .limit(OUTBOX_PAGE)
        .offset((page - 1) * OUTBOX_PAGE)
    ).all()
    return render_template(
        "admin/outbox.html",
        items=items,
        page=page,
        pages=max(1, -(-total // OUTBOX_PAGE)),
        mask=mask,
    )


@bp.get("/outbox/<int:message_id>")
@admin_required
def outbox_message(message_id: int):
    item = db.get_or_404(OutgoingMail, message_id)
    return render_template("admin/outbox_message.html", item=item)
