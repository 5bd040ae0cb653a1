"""Fixtures: a demo database built once through the real commands, copied per test."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from config import TestConfig
from finder import auth, create_app
from finder.extensions import db
from finder.gazetteer import ensure_built
from finder.models import utcnow

ROOT = Path(__file__).resolve().parent.parent
GAZETTEER = os.environ.get("GAZETTEER_PATH", str(ROOT / "instance" / "gazetteer.sqlite"))
REQUIRE_ALL = os.environ.get("FINDER_REQUIRE_ALL") == "1"
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Slow tests first (in their usual order), then the rest: under pytest -n the slow ones
    start at once on every worker, and none of them starts last to keep the others waiting."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def skip_or_fail(reason: str):
    """Skip on a developer's machine; fail under FINDER_REQUIRE_ALL=1 (CI)."""
    if REQUIRE_ALL:
        pytest.fail(f"FINDER_REQUIRE_ALL=1 but {reason}")
    pytest.skip(reason)


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept in memory for every application a test process makes: each
    test has its own app (and Jinja environment), and would otherwise parse and compile
    every template it renders again. Jinja checks each template's source checksum."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


def make_app(database_url: str):
    app = create_app(
        TestConfig,
        {"SQLALCHEMY_DATABASE_URI": database_url, "GAZETTEER_PATH": GAZETTEER},
    )
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


@pytest.fixture(scope="session")
def gazetteer_path() -> str:
    ensure_built(GAZETTEER)
    return GAZETTEER


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, gazetteer_path) -> Path:
    """A SQLite file made by `init-db` and `seed-demo`, copied for each test that needs it."""
    path = tmp_path_factory.mktemp("template") / "demo.sqlite"
    app = make_app(f"sqlite:///{path}")
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory, gazetteer_path) -> Path:
    """A SQLite file with the schema and techniques only."""
    path = tmp_path_factory.mktemp("template") / "empty.sqlite"
    app = make_app(f"sqlite:///{path}")
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
    return path


def _app_from(template: Path, tmp_path: Path):
    path = tmp_path / f"finder-{template.stem}.sqlite"
    shutil.copy(template, path)
    app = make_app(f"sqlite:///{path}")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(demo_template, tmp_path):
    """The application on its own copy of the demo database."""
    yield from _app_from(demo_template, tmp_path)


@pytest.fixture
def empty_app(empty_template, tmp_path):
    """The application on an empty database (schema and techniques only)."""
    yield from _app_from(empty_template, tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session


@pytest.fixture(scope="session")
def postgres_url():
    url = os.environ.get("FINDER_TEST_POSTGRES_URL")
    if not url:
        skip_or_fail("FINDER_TEST_POSTGRES_URL is not set (no PostgreSQL server to test on)")
    return url


@contextmanager
def postgres_schema_engine(url: str):
    """An engine on a new, empty schema of the database at url, dropped afterwards: tests
    running side by side (pytest -n, or two people on one server) never share tables."""
    schema = f"test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


class Clock:
    """The clock of admin sign-in delays (finder.auth.clock), moved by the test: each reading
    is one millisecond after the one before (attempts stay in order), whatever the real time,
    so that a delay never runs out because the machine was slow."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(milliseconds=1)
        return self.now

    def advance(self, seconds: float) -> None:
        """Let this much time pass, as far as sign-in delays can tell."""
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Sign-in delays pass with clock.advance(seconds), and only then."""
    clock = Clock()
    monkeypatch.setattr(auth, "clock", clock)
    return clock


class LiveServer:
    """The application served on a loopback port in a thread."""

    def __init__(self, app):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        # A short poll: shutdown() returns within 50 ms instead of half a second.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(app):
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; no network beyond loopback (names other than
    127.0.0.1 do not resolve)."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                # Nothing leaves the machine: every name but loopback fails to resolve, in
                # the browser's own network stack (no per-request round trip to the test).
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ],
        )
        yield browser
        browser.close()


def loopback_context(browser, base_url: str, **options):
    """A browser context (1280×900 unless told), its actions timing out after 15 s. Requests
    not aimed at base_url fail (the browser resolves no other name) and are listed in
    context.outside_requests."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
    context.set_default_timeout(15000)
    context.outside_requests = []
    context.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((base_url, "data:"))
            else context.outside_requests.append(request.url)
        ),
    )
    return context


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page; requests not aimed at the live server fail and are listed in
    page.outside_requests."""
    context = loopback_context(browser, live_server.url)
    page = context.new_page()
    page.outside_requests = context.outside_requests
    yield page
    context.close()
