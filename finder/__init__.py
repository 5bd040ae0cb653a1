"""SI-Joint Practitioner Finder: a directory of vetted practitioners, searched by place."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, current_app, request
from flask_babel import get_locale
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import config_from_environment

from . import assets
from .database import configure_sqlite, set_write_intent
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .i18n import LANGUAGES, language_tag, remember_choice, select_locale, text_direction
from .links import page_url, search_url, switch_url
from .models import MAX_ID
from .security import LastResort, add_security_headers, csp_nonce

ROOT = Path(__file__).resolve().parent.parent


class DatabaseId(IntegerConverter):
    """`<int:...>` in URLs: ASCII digits of a number a database integer column can hold,
    else 404 (Werkzeug's own would take "１" and other scripts' digits)."""

    regex = r"[0-9]+"

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None, max=MAX_ID):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max)


def create_app(config_class: type | None = None, overrides: dict | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error pages, commands.

    With no config_class the environment decides: FINDER_ENV=production selects
    ProductionConfig (which refuses a missing or weak SECRET_KEY), anything else Config.
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "finder" / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.url_map.converters["int"] = DatabaseId
    app.config.from_object(config_from_environment() if config_class is None else config_class())
    if overrides:
        app.config.update(overrides)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////:memory:"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    Path(app.config["GAZETTEER_PATH"]).parent.mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    limiter.init_app(app)
    with app.app_context():
        configure_sqlite(
            db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"], app.config["SQLITE_MMAP_BYTES"]
        )

    from . import (
        auth,  # noqa: F401  (registers the user loader)
        listings,  # noqa: F401  (session hooks that move the directory's data version)
        models,  # noqa: F401  (tables must be known to migrations)
    )
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .api.docs import bp as api_docs_bp
    from .api.open_data import bp as open_data_bp
    from .cli import register_commands
    from .errors import register_error_handlers
    from .public import bp as public_bp
    from .templating import register_filters
    from .vendor import bp as vendor_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(api_docs_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(vendor_bp, url_prefix="/vendor")
    app.register_blueprint(open_data_bp)
    csrf.exempt(api_bp)
    csrf.exempt(open_data_bp)
    register_error_handlers(app)
    register_commands(app)
    register_filters(app)

    @app.before_request
    def mark_state_changes_as_writes():
        set_write_intent(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def forget_write_intent(_error):
        # The mark lives in the thread's context: it must not outlast its request (a
        # request handled in the caller's thread, as the test client does, would leave it).
        set_write_intent(False)

    app.after_request(remember_choice)
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["language_tag"] = language_tag
    app.jinja_env.globals["text_direction"] = text_direction
    app.jinja_env.globals["lang_url"] = switch_url
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["search_url"] = search_url
    app.jinja_env.globals["get_locale"] = get_locale

    app.add_url_rule("/favicon.ico", "favicon", favicon)
    app.add_url_rule("/healthz", "health", health)
    assets.init_app(app)

    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    proxies = app.config.get("PROXY_COUNT", 0)
    if proxies:
        # Behind N proxies: the client address and scheme are what the proxies say they saw.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.wsgi_app = LastResort(app.wsgi_app)
    if app.config.get("PRODUCTION") and app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        app.logger.warning(
            "Rate limits count in memory, per process: with several workers set "
            "RATELIMIT_STORAGE_URI (for example redis://localhost:6379/0)."
        )
    return app


def health():
    """For load balancers and monitors: 200 "ok" when this process answers and reads its
    database, else 503. Plain text, never cached, no rate limit, no cookie."""
    headers = {"Cache-Control": "no-store"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("health check: the database did not answer")
        return Response("database unavailable\n", 503, headers, mimetype="text/plain")
    finally:
        db.session.rollback()
    return Response("ok\n", 200, headers, mimetype="text/plain")


def favicon():
    """The site's icon where browsers look for it first."""
    return current_app.send_static_file("favicon.ico")
