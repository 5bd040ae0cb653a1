"""Admin sign-in: argon2id hashes, growing delays after failures, sessions that logout ends."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import redirect, request, session, url_for
from flask_login import UserMixin, current_user, login_user, logout_user
from sqlalchemy import func, select

from .extensions import db, login_manager
from .models import Admin, AuditEvent, LoginAttempt, utcnow

hasher = PasswordHasher()
THROTTLE_WINDOW = dt.timedelta(minutes=15)
FREE_FAILURES = 3  # failures allowed before delays start


class AdminUser(UserMixin):
    """The signed-in admin, as Flask-Login sees them; the id carries the session version."""

    def __init__(self, admin: Admin):
        self.admin = admin
        self.email = admin.email

    def get_id(self) -> str:
        return f"{self.admin.id}:{self.admin.session_version}"


@login_manager.user_loader
def load_admin(user_id: str) -> AdminUser | None:
    """The admin behind a session, unless they have logged out since (version changed)."""
    try:
        admin_id, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    admin = db.session.get(Admin, admin_id)
    if admin is None or admin.session_version != version:
        return None
    return AdminUser(admin)


def admin_required(view):
    """Every admin view goes through here: signed-in admins only."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("admin.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


def seconds_to_wait(email: str, address: str, base_seconds: float, cap_seconds: float) -> float:
    """How long this email or address must wait before trying again (0 to go ahead).

    After FREE_FAILURES failures in the window, each further failure doubles the delay,
    up to the cap: slowing a guesser down without ever locking the real admin out.
    """
    since = utcnow() - THROTTLE_WINDOW
    worst = 0.0
    for column, value in ((LoginAttempt.email, email), (LoginAttempt.address, address)):
        failures, last = db.session.execute(
            select(func.count(), func.max(LoginAttempt.at)).where(
                column == value, LoginAttempt.success.is_(False), LoginAttempt.at >= since
            )
        ).one()
        if failures >= FREE_FAILURES and last is not None:
            delay = min(base_seconds * 2 ** (failures - FREE_FAILURES), cap_seconds)
            remaining = delay - (utcnow() - last).total_seconds()
            worst = max(worst, remaining)
    return worst


def check_password(email: str, password: str) -> Admin | None:
    """The admin if the password is right (rehashing when parameters changed), else None."""
    admin = db.session.scalar(select(Admin).where(Admin.email == email))
    if admin is None:
        hasher.hash(password)  # the same work either way: no timing hint about who exists
        return None
    try:
        hasher.verify(admin.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(admin.password_hash):
        admin.password_hash = hasher.hash(password)
    return admin


def record_attempt(email: str, success: bool) -> None:
    db.session.add(LoginAttempt(email=email, address=client_address(), success=success))


def sign_in(admin: Admin) -> None:
    """Start a fresh session for the admin (no remember-me) and record it."""
    session.clear()
    login_user(AdminUser(admin), remember=False)
    db.session.add(
        AuditEvent(
            actor=admin.email,
            action="login",
            entity="admin",
            entity_id=admin.id,
            before=None,
            after=None,
        )
    )


def sign_out() -> None:
    """End this session and every other copy of its cookie."""
    if current_user.is_authenticated:
        admin = db.session.get(Admin, current_user.admin.id)
        admin.session_version += 1
        db.session.add(
            AuditEvent(
                actor=admin.email,
                action="logout",
                entity="admin",
                entity_id=admin.id,
                before=None,
                after=None,
            )
        )
        db.session.commit()
    logout_user()
    session.clear()
