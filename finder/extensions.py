"""Flask extensions, created unbound and bound in create_app."""

from hashlib import sha512

from flask import request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of every model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)
csrf = CSRFProtect()
babel = Babel()


class SignedInLoginManager(LoginManager):
    """Flask-Login whose "strong" session protection guards signed-in sessions only.

    Flask-Login checks every non-empty session, so a visitor who only holds a CSRF token
    would get a cleared session and a remember-cookie deletion on every page; here an
    anonymous session is left alone. The fingerprint uses the client address as the
    site sees it (after PROXY_COUNT's ProxyFix), never a client-made X-Forwarded-For.
    """

    def _session_protection_failed(self):  # Flask-Login 0.6's hook, pinned
        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()


def session_fingerprint() -> str:
    """What a stolen session cookie would have to match: address and browser."""
    base = f"{request.remote_addr}|{request.headers.get('User-Agent', '')}"
    return sha512(base.encode("utf-8", "replace")).hexdigest()


login_manager = SignedInLoginManager()
login_manager._session_identifier_generator = session_fingerprint
limiter = Limiter(key_func=get_remote_address, default_limits=[])
