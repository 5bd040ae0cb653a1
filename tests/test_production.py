"""Production mode and settings from the environment, as `flask --app finder` and gunicorn see them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher, extract_parameters
from flask.testing import FlaskClient
from sqlalchemy import select

from config import ENVIRONMENT, PUBLIC_SECRETS, TestConfig
from finder import create_app
from finder.extensions import db
from finder.models import Admin

from .conftest import GAZETTEER

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "Jx3q9V2fL0s8TzKpW4mN7bR1cY6hD5gA"  # 32 characters, made for this test only


@pytest.fixture
def environment(monkeypatch, demo_template, tmp_path):
    """A clean environment pointing at a copy of the demo database; returns monkeypatch."""
    for variable in [*ENVIRONMENT, "FINDER_ENV", "FINDER_INSTANCE"]:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("FINDER_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", demo_template.copy(tmp_path))
    monkeypatch.setenv("GAZETTEER_PATH", GAZETTEER)
    monkeypatch.setenv("RATELIMIT_ENABLED", "0")
    return monkeypatch


@pytest.fixture
def built():
    """create_app() as the flask command and gunicorn call it; engines closed afterwards."""
    apps = []

    def build():
        app = create_app()
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


class SiteClient(FlaskClient):
    """A test client that visits https://HOST, as a browser behind the site's TLS does."""

    def __init__(self, *args, host: str = "finder.example.org", **kwargs):
        super().__init__(*args, **kwargs)
        self.base_url = f"https://{host}"

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", self.base_url)
        return super().open(*args, **kwargs)


def site_client(app, host: str = "finder.example.org") -> SiteClient:
    app.test_client_class = SiteClient
    return app.test_client(host=host)


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if "session=" in c]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


@pytest.mark.parametrize("secret", [None, "dev-only-not-secret", "short-but-not-empty"])
def test_production_refuses_a_missing_or_weak_secret(environment, built, secret):
    environment.setenv("FINDER_ENV", "production")
    environment.setenv("SERVER_NAME", "finder.example.org")
    if secret is not None:
        environment.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY.*32"):
        built()


def test_production_refusal_is_clear_from_the_flask_command(environment, tmp_path):
    environment.setenv("FINDER_ENV", "production")
    environment.setenv("SERVER_NAME", "finder.example.org")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "finder", "routes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "FINDER_ENV=production needs SECRET_KEY" in result.stderr


def test_production_session_cookie_is_host_only_secure_and_lax(environment, built):
    environment.setenv("FINDER_ENV", "production")
    environment.setenv("SERVER_NAME", "finder.example.org")
    environment.setenv("SECRET_KEY", GOOD_SECRET)
    client = site_client(built())
    for path in ("/admin/login", "/submit"):
        client.delete_cookie("__Host-session", domain="finder.example.org")
        response = client.get(path)
        assert response.status_code == 200
        cookie = session_cookie(response)
        attributes = [part.strip().lower() for part in cookie.split(";")]
        assert cookie.startswith("__Host-session=")
        assert "secure" in attributes and "httponly" in attributes
        assert "samesite=lax" in attributes and "path=/" in attributes
        assert not any(part.startswith("domain=") for part in attributes)


def test_production_admin_can_sign_in_over_the_host_cookie(environment, built):
    """The __Host- cookie comes back and carries the CSRF token and the admin's session."""
    environment.setenv("FINDER_ENV", "production")
    environment.setenv("SERVER_NAME", "finder.example.org")
    environment.setenv("SECRET_KEY", GOOD_SECRET)
    app = built()
    password = "correct horse battery"
    created = app.test_cli_runner().invoke(
        args=["create-admin", "vetter@example.org", "--password", password]
    )
    assert created.exit_code == 0, created.output
    client = site_client(app)
    page = client.get("/admin/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/admin/login",
        data={"csrf_token": token, "email": "vetter@example.org", "password": password},
        headers={"Referer": "https://finder.example.org/admin/login"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert session_cookie(response).startswith("__Host-session=")
    queue = client.get(response.headers["Location"])
    assert queue.status_code == 200


def test_development_session_cookie_is_the_ordinary_one(environment, built):
    response = built().test_client().get("/admin/login")
    cookie = session_cookie(response)
    assert cookie.startswith("session=") and "Secure" not in cookie


def test_hsts_in_production_only(environment, built):
    development = built().test_client().get("/")
    assert development.status_code == 200
    assert "Strict-Transport-Security" not in development.headers

    environment.setenv("FINDER_ENV", "production")
    environment.setenv("SERVER_NAME", "finder.example.org")
    environment.setenv("SECRET_KEY", GOOD_SECRET)
    client = site_client(built())
    for path in ("/", "/api/v1/techniques", "/no-such-page"):
        response = client.get(path)
        assert (
            response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        ), path


def test_trusted_hosts_refuse_other_hosts_with_400(environment, built):
    environment.setenv("FINDER_ENV", "production")
    environment.setenv("SERVER_NAME", "finder.example.org")
    environment.setenv("SECRET_KEY", GOOD_SECRET)
    environment.setenv("TRUSTED_HOSTS", "finder.example.org, www.finder.example.org")
    app = built()
    good = site_client(app).get("/")
    assert good.status_code == 200
    also_good = site_client(app, "www.finder.example.org").get("/")
    assert also_good.status_code == 200

    other = site_client(app, "evil.example.com")
    page = other.get("/")
    assert page.status_code == 400
    assert "not trusted" in page.get_data(as_text=True)
    api = other.get("/api/v1/techniques")
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "bad_request"
    assert other.post("/submit", data={"name": "x"}).status_code == 400


def test_finder_env_production_is_honoured_by_create_app_without_arguments(environment, built):
    environment.setenv("FINDER_ENV", "production")
    environment.setenv("SERVER_NAME", "finder.example.org")
    environment.setenv("SECRET_KEY", GOOD_SECRET)
    app = built()
    assert not app.testing
    assert app.config["SECRET_KEY"] == GOOD_SECRET
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    response = site_client(app).get("/")
    assert response.status_code == 200 and "Strict-Transport-Security" in response.headers


def test_unknown_finder_env_is_refused(environment, built):
    environment.setenv("FINDER_ENV", "prod")
    with pytest.raises(RuntimeError, match="FINDER_ENV"):
        built()


def test_api_rate_limit_and_its_switch_come_from_the_environment(environment, built):
    environment.setenv("API_RATE_LIMIT", "2 per minute")
    environment.setenv("RATELIMIT_ENABLED", "true")
    client = built().test_client()
    statuses = [client.get("/api/v1/techniques").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]

    environment.setenv("RATELIMIT_ENABLED", "false")
    client = built().test_client()
    assert {client.get("/api/v1/techniques").status_code for _ in range(4)} == {200}


def test_request_size_limit_comes_from_the_environment(environment, built):
    environment.setenv("MAX_CONTENT_LENGTH", "1KB")
    client = built().test_client()
    response = client.post("/api/v1/search", data=b"x" * 2048)
    assert response.status_code == 413
    assert "1 KB" in response.get_json()["error"]["message"]


def test_settings_read_from_the_environment(environment, built, tmp_path):
    values = {
        "GEOCODER": "nominatim",
        "TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png",
        "TILE_ATTRIBUTION": "Example tiles",
        "RATELIMIT_STORAGE_URI": "memory://",
        "HSTS_SECONDS": "600",
    }
    for variable, value in values.items():
        environment.setenv(variable, value)
    app = built()
    for variable, value in values.items():
        assert str(app.config[variable]) == value, variable
    response = app.test_client().get("/")
    assert "https://tiles.example.org" in response.headers["Content-Security-Policy"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=600;")
    # The maps draw from those tiles, credited as told.
    for path in ("/search?lat=64.1&lon=-21.9", "/countries"):
        page = app.test_client().get(path).get_data(as_text=True)
        assert '"https://tiles.example.org/{z}/{x}/{y}.png"' in page, path
        assert '"attribution": "Example tiles"' in page, path


def test_a_malformed_setting_is_named(environment, built):
    environment.setenv("MAX_CONTENT_LENGTH", "lots")
    with pytest.raises(RuntimeError, match="MAX_CONTENT_LENGTH"):
        built()


def test_password_hashes_cost_what_the_settings_say(environment, built):
    """argon2's own cost unless ARGON2_PARAMETERS says otherwise; a hash made at another
    cost still signs the admin in, and is then remade at the configured one."""
    app = built()
    assert app.config["ARGON2_PARAMETERS"] == {}
    password = "correct horse battery"
    created = app.test_cli_runner().invoke(
        args=["create-admin", "vetter@example.org", "--password", password]
    )
    assert created.exit_code == 0, created.output
    default = PasswordHasher()

    def stored_cost(app) -> tuple[int, int, int]:
        with app.app_context():
            found = extract_parameters(db.session.scalar(select(Admin.password_hash)))
        return found.time_cost, found.memory_cost, found.parallelism

    assert stored_cost(app) == (default.time_cost, default.memory_cost, default.parallelism)

    environment.setenv("ARGON2_PARAMETERS", "time_cost=2, memory_cost=1024, parallelism=1")
    cheaper = built()
    assert cheaper.config["ARGON2_PARAMETERS"] == {
        "time_cost": 2,
        "memory_cost": 1024,
        "parallelism": 1,
    }
    client = cheaper.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/admin/login",
        data={"csrf_token": token, "email": "vetter@example.org", "password": password},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored_cost(cheaper) == (2, 1024, 1)

    environment.setenv("ARGON2_PARAMETERS", "time_cost=2, rounds=3")
    with pytest.raises(RuntimeError, match="ARGON2_PARAMETERS"):
        built()


# --- the signing key --------------------------------------------------------------------


def resigned(app, cookie: str, key: str) -> str:
    """The same session contents, signed with `key` instead of the installation's key."""
    serializer = app.session_interface.get_signing_serializer(app)
    contents = serializer.loads(cookie)
    serializer.secret_keys = [key.encode()]  # itsdangerous 2: the keys it signs with
    return serializer.dumps(contents)


def test_development_without_a_secret_makes_one_and_keeps_it(environment, built, tmp_path):
    first = built().secret_key
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert len(first) >= 32 and first not in PUBLIC_SECRETS
    assert built().secret_key == first  # a restart keeps sessions
    environment.setenv("FINDER_INSTANCE", str(tmp_path / "elsewhere"))
    assert built().secret_key != first  # every installation has its own


def test_workers_starting_together_share_one_key(environment, tmp_path):
    code = "from finder import create_app; print(create_app().secret_key)"
    workers = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    keys = {worker.communicate(timeout=120)[0].strip() for worker in workers}
    assert keys == {(tmp_path / "instance" / "secret_key").read_text().strip()}


@pytest.mark.parametrize("secret", sorted(PUBLIC_SECRETS))
def test_a_key_published_in_the_repository_is_refused_everywhere(environment, built, secret):
    environment.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="published"):
        built()


def test_a_cookie_signed_with_the_old_development_key_opens_nothing(environment, built):
    app = built()
    password = "a long enough passphrase"
    result = app.test_cli_runner().invoke(
        args=["create-admin", "vetter@example.org", "--password", password]
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed_in = client.post(
        "/admin/login",
        data={"csrf_token": token, "email": "vetter@example.org", "password": password},
    )
    assert signed_in.status_code == 302
    genuine = client.get_cookie("session").value
    assert client.get("/admin/").status_code == 200
    # What an attacker signs with the key the repository used to hold opens nothing.
    client.set_cookie("session", resigned(app, genuine, "dev-only-not-secret"))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.location
    # The very same contents signed with the installation's key do: the check is real.
    client.set_cookie("session", resigned(app, genuine, app.secret_key))
    assert client.get("/admin/").status_code == 200


def test_production_needs_a_site_name_or_trusted_hosts(environment, built):
    environment.setenv("FINDER_ENV", "production")
    environment.setenv("SECRET_KEY", GOOD_SECRET)
    with pytest.raises(RuntimeError, match="SERVER_NAME.*TRUSTED_HOSTS"):
        built()
    environment.setenv("TRUSTED_HOSTS", "finder.example.org")
    assert built().config["PREFERRED_URL_SCHEME"] == "https"


def test_health_check_answers_ok_and_503_without_its_database(app, gazetteer_path):
    """What a load balancer asks: 200 "ok" while the database answers, 503 when it does not;
    never cached, no cookie, not rate limited."""
    client = app.test_client()
    for _ in range(3):
        response = client.get("/healthz")
        assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")
        assert response.headers["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in response.headers
    unreachable = create_app(
        TestConfig,
        {
            # Nothing listens on port 1 of the loopback: the connection is refused at once.
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://finder@127.0.0.1:1/finder",
            "GAZETTEER_PATH": gazetteer_path,
            "RATELIMIT_ENABLED": True,
        },
    )
    response = unreachable.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable\n"
