"""Report a problem with a public listing: a short form, stored for an admin to resolve."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..forms import ReportForm
from ..limits import listing_limited, report_limited
from ..models import Practitioner
from ..submissions import store_report
from . import bp


def approved_or_404(practitioner_id: int) -> Practitioner:
    """Only public listings can be reported; anything else is not found."""
    p = db.session.scalar(
        select(Practitioner).where(Practitioner.id == practitioner_id, Practitioner.listed)
    )
    if p is None:
        abort(404)
    return p


@bp.route("/practitioners/<int:practitioner_id>/report", methods=["GET", "POST"])
@report_limited
@listing_limited
def report(practitioner_id: int):
    """What is wrong with this listing: a reason, details and an optional email to reply to."""
    p = approved_or_404(practitioner_id)
    form = ReportForm()
    if request.method == "GET":
        return render_template("report.html", form=form, p=p)
    if form.nickname.data:
        return render_template(
            "report.html", form=form, p=p, error=_("This report looks automated and was not sent.")
        ), 400
    if not form.validate():
        return render_template(
            "report.html", form=form, p=p, error=_("Please correct the fields marked below.")
        ), 400
    store_report(
        db.session,
        p,
        form.reason.data,
        form.details.data or "",
        form.email.data or None,
        str(get_locale()),
    )
    db.session.commit()
    return render_template("report_sent.html", p=p, email=bool(form.email.data)), 201
