"""Admin sign-in: argon2id hashes, delays per address after failures, sessions that end."""

from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache, wraps

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_user, logout_user
from sqlalchemy import distinct, func, select

from . import listings
from .extensions import db, login_manager
from .models import Admin, LoginAttempt, utcnow


@lru_cache(maxsize=4)
def _password_hasher(parameters: tuple[tuple[str, int], ...]) -> PasswordHasher:
    return PasswordHasher(**dict(parameters))


class ConfiguredHasher:
    """argon2id at the cost the application's ARGON2_PARAMETERS set (argon2's defaults
    for any left out). Verifying reads the cost from the hash, so older hashes still work."""

    @staticmethod
    def _hasher() -> PasswordHasher:
        parameters = current_app.config.get("ARGON2_PARAMETERS") or {}
        return _password_hasher(tuple(sorted(parameters.items())))

    def hash(self, password: str) -> str:
        return self._hasher().hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        return self._hasher().verify(password_hash, password)

    def check_needs_rehash(self, password_hash: str) -> bool:
        return self._hasher().check_needs_rehash(password_hash)


hasher = ConfiguredHasher()
# The time sign-in attempts are stamped with and delays are measured by (naive UTC);
# tests put a clock of their own here to let a delay pass without waiting it out.
clock = utcnow
THROTTLE_WINDOW = dt.timedelta(minutes=15)
FREE_FAILURES = 3  # failures of one account from one address before delays start
FREE_FAILURES_PER_ADDRESS = 10  # failures from one address, whatever the account
MAX_DOUBLINGS = 30  # the delay stops growing long before the cap would overflow a float
SIGNED_IN_AT = "admin_signed_in_at"  # session keys: UNIX times, in the signed cookie
SEEN_AT = "admin_seen_at"

# A session cookie used from another address or browser than the one that signed in is
# emptied: the admin signs in again.
login_manager.session_protection = "strong"


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
    """Every admin view goes through here: signed-in admins whose session has not ended."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(login_url())
        ended = session_end_message()
        if ended:
            logout_user()
            session.clear()
            flash(ended, "error")
            return redirect(login_url())
        session[SEEN_AT] = int(time.time())
        return view(*args, **kwargs)

    return wrapped


def login_url() -> str:
    """The sign-in page, coming back here afterwards when here is a page one can GET."""
    target = request.full_path if request.method == "GET" else None
    return url_for("admin.login", next=target)


def idle_limit_seconds() -> float:
    return float(current_app.config.get("ADMIN_IDLE_MINUTES", 30)) * 60


def session_limit_seconds() -> float:
    return float(current_app.config.get("ADMIN_MAX_SESSION_HOURS", 12)) * 3600


def session_end_message() -> str | None:
    """Why this admin session is over, in words for the admin; None while it lasts.

    A session without its times (made before they were kept, or tampered with) is over too.
    """
    now = time.time()
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in, int | float) or not isinstance(seen, int | float):
        return _("Your session has ended. Sign in again to continue.")
    if now - signed_in > session_limit_seconds():
        return _(
            "You were signed out: a sign-in lasts at most %(hours)s hours. "
            "Sign in again to continue.",
            hours=f"{session_limit_seconds() / 3600:g}",
        )
    if now - seen > idle_limit_seconds():
        return _(
            "You were signed out after %(minutes)s minutes without activity. "
            "Sign in again to continue.",
            minutes=f"{idle_limit_seconds() / 60:g}",
        )
    return None


def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


def _delay_left(conditions, free: int, base_seconds: float, cap_seconds: float) -> float:
    """Seconds still to wait after the recent failures matching conditions (<= 0: none)."""
    failures, last = db.session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            *conditions,
            LoginAttempt.success.is_(False),
            LoginAttempt.at >= clock() - THROTTLE_WINDOW,
        )
    ).one()
    if failures < free or last is None:
        return 0.0
    delay = min(base_seconds * 2 ** min(failures - free, MAX_DOUBLINGS), cap_seconds)
    return delay - (clock() - last).total_seconds()


def seconds_to_wait(email: str, address: str, base_seconds: float, cap_seconds: float) -> float:
    """How long this address must wait before trying this email again (0 to go ahead).

    Failures count per account *and address*: a guesser elsewhere never slows the real
    admin down. After FREE_FAILURES failures each further one doubles the delay, up to the
    cap; one address failing on many accounts is slowed after FREE_FAILURES_PER_ADDRESS.
    Refused tries are not recorded, so waiting out the delay always gives a real try.
    """
    pair = _delay_left(
        (LoginAttempt.email == email, LoginAttempt.address == address),
        FREE_FAILURES,
        base_seconds,
        cap_seconds,
    )
    spray = _delay_left(
        (LoginAttempt.address == address,), FREE_FAILURES_PER_ADDRESS, base_seconds, cap_seconds
    )
    return max(0.0, pair, spray)


def login_wait(email: str) -> float:
    """seconds_to_wait for this request's address, with the configured delays."""
    return seconds_to_wait(
        email,
        client_address(),
        current_app.config["LOGIN_DELAY_SECONDS"],
        current_app.config["LOGIN_DELAY_CAP_SECONDS"],
    )


def password_matches(admin: Admin, password: str) -> bool:
    """Whether the password is the admin's (rehashing when the parameters changed)."""
    try:
        hasher.verify(admin.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(admin.password_hash):
        admin.password_hash = hasher.hash(password)
    return True


def check_password(email: str, password: str) -> Admin | None:
    """The admin if the password is right, else None."""
    admin = db.session.scalar(select(Admin).where(Admin.email == email))
    if admin is None:
        hasher.hash(password)  # the same work either way: no timing hint about who exists
        return None
    return admin if password_matches(admin, password) else None


def set_password(admin: Admin, password: str) -> None:
    """A new password; every session the admin has ends (the session version moves on)."""
    admin.password_hash = hasher.hash(password)
    admin.session_version += 1


def record_attempt(email: str, success: bool) -> None:
    db.session.add(LoginAttempt(at=clock(), email=email, address=client_address(), success=success))


def failures_since_last_sign_in(email: str) -> tuple[int, int]:
    """(failed attempts, distinct addresses) on this account since its last sign-in."""
    previous = db.session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email, LoginAttempt.success.is_(True)
        )
    )
    conditions = [LoginAttempt.email == email, LoginAttempt.success.is_(False)]
    if previous is not None:
        conditions.append(LoginAttempt.at > previous)
    count, addresses = db.session.execute(
        select(func.count(), func.count(distinct(LoginAttempt.address))).where(*conditions)
    ).one()
    return count, addresses


def last_sign_ins() -> dict[str, dt.datetime]:
    """Each email's latest successful sign-in."""
    return dict(
        db.session.execute(
            select(LoginAttempt.email, func.max(LoginAttempt.at))
            .where(LoginAttempt.success.is_(True))
            .group_by(LoginAttempt.email)
        ).all()
    )


def sign_in(admin: Admin) -> None:
    """Start a fresh session for the admin (no remember-me) and record it."""
    session.clear()
    login_user(AdminUser(admin), remember=False)
    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now
    audit(admin.email, "login", admin)


def audit(actor: str, action: str, admin: Admin, before=None, after=None) -> None:
    """An audit event about an admin account (never a password or a hash)."""
    listings.audit(
        db.session,
        actor=actor,
        action=action,
        entity="admin",
        entity_id=admin.id,
        before=before,
        after=after,
    )


def sign_out() -> None:
    """End this session and every other copy of its cookie."""
    if current_user.is_authenticated:
        admin = db.session.get(Admin, current_user.admin.id)
        admin.session_version += 1
        audit(admin.email, "logout", admin)
        db.session.commit()
    logout_user()
    session.clear()
