"""Fixtures: a demo database built once through the real commands, copied per test."""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import socket
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool
from werkzeug.routing.rules import Rule
from werkzeug.serving import make_server

from config import TestConfig
from finder import auth, create_app
from finder.extensions import db
from finder.gazetteer import ensure_built
from finder.models import utcnow
from tests.smtp import smtp  # noqa: F401 (a fixture: a real SMTP server on loopback)

ROOT = Path(__file__).resolve().parent.parent
GAZETTEER = os.environ.get("GAZETTEER_PATH", str(ROOT / "instance" / "gazetteer.sqlite"))
REQUIRE_ALL = os.environ.get("FINDER_REQUIRE_ALL") == "1"
# The engine every test's database is on: sqlite (a file per test) or postgresql (a database
# per test on the server at FINDER_TEST_POSTGRES_URL). Tests about SQLite itself (its file,
# its locking) are marked sqlite_only and left out of a PostgreSQL run.
ENGINE = os.environ.get("FINDER_TEST_ENGINE", "sqlite").strip().lower()
POSTGRES_URL = os.environ.get("FINDER_TEST_POSTGRES_URL", "")
if ENGINE not in ("sqlite", "postgresql"):
    raise SystemExit(f"FINDER_TEST_ENGINE={ENGINE!r}: use sqlite or postgresql")
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Slow tests first (in their usual order), then the rest: under pytest -n the slow ones
    start at once on every worker, and none of them starts last to keep the others waiting.
    On PostgreSQL, the tests once_is_enough() names, and browser journeys in their other
    languages (other_language), are left out (listed as deselected)."""
    if ENGINE != "sqlite":
        first_language: dict[tuple, object] = {}
        for item in items:
            first_language.setdefault(_without_language(item), item)
        left_out = [
            item for item in items if once_is_enough(item) or other_language(item, first_language)
        ]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            leaving = set(left_out)
            items[:] = [item for item in items if item not in leaving]
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def once_is_enough(item) -> bool:
    """Tests about SQLite itself, browser tests of languages and layout and other tests of
    what the database engine cannot change (engine_free), tests that make their own
    PostgreSQL database (marked postgres: the SQLite pass runs them too, on
    FINDER_TEST_POSTGRES_URL), and tests with no database at all run on the SQLite pass
    only."""
    once = ("sqlite_only", "language_only", "engine_free", "postgres")
    return any(item.get_closest_marker(name) for name in once) or not uses_the_engine(item)


def uses_the_engine(item) -> bool:
    """Whether the test has a database on FINDER_TEST_ENGINE (through the templates below):
    a test without one (the gazetteer, postal codes, catalogues, documents) runs the same on
    either pass."""
    return bool({"demo_template", "empty_template"} & set(getattr(item, "fixturenames", ())))


def _params(item) -> dict:
    return getattr(getattr(item, "callspec", None), "params", {})


def _without_language(item) -> tuple:
    rest = tuple(sorted((k, repr(v)) for k, v in _params(item).items() if k != "lang"))
    return (item.module.__name__, item.originalname, rest)


def other_language(item, first_language: dict) -> bool:
    """A browser journey run again in another language (the run in its first language is the
    one kept on PostgreSQL): the engine sees the same steps whatever the page's words."""
    if not item.get_closest_marker("browser") or "lang" not in _params(item):
        return False
    return first_language[_without_language(item)] is not item


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


def _share_url_builders() -> None:
    """Each URL rule's builder function made once per test process, not once per app: werkzeug
    writes and compiles a function for every rule of every app it binds (two each, about two
    thirds of create_app's time, and each test makes its own app). The function depends only
    on what the key holds; the rule it builds for is passed to it when called (`.self`), so
    every app's rule gets a function bound to itself, as werkzeug would make it."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:  # another werkzeug: let it compile as usual
        return
    made: dict = {}

    @functools.wraps(compile_builder)
    def shared(self, append_unknown: bool = True):
        key = (self.rule, tuple(self._trace), repr(self.defaults), append_unknown)
        if key not in made:
            made[key] = compile_builder(self, append_unknown)
        return made[key]

    Rule._compile_builder = shared


_share_url_builders()


def make_app(database_url: str, **settings):
    app = create_app(
        TestConfig,
        {"SQLALCHEMY_DATABASE_URI": database_url, "GAZETTEER_PATH": GAZETTEER} | settings,
    )
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


@pytest.fixture(scope="session")
def gazetteer_path() -> str:
    ensure_built(GAZETTEER)
    return GAZETTEER


class DatabaseTemplate:
    """A database built once through the real commands, copied for each test that needs it:
    a SQLite file copied, or on PostgreSQL (FINDER_TEST_ENGINE=postgresql) a database made
    with CREATE DATABASE ... TEMPLATE. Copies are dropped when the test session ends, or
    at once by drop()."""

    def __init__(self, url: str):
        self.url = url
        self.copies: list[str] = []

    @property
    def path(self) -> Path:
        """The SQLite file (SQLite only)."""
        return Path(make_url(self.url).database)

    def copy(self, tmp_path: Path, name: str = "finder") -> str:
        """The URL of a new copy of this database."""
        if ENGINE == "sqlite":
            path = tmp_path / f"{name}-{self.path.stem}.sqlite"
            shutil.copy(self.path, path)
            return f"sqlite:///{path}"
        url = _new_postgres_database(template=make_url(self.url).database)
        self.copies.append(url)
        return url

    def drop(self, url: str) -> None:
        if url in self.copies:
            self.copies.remove(url)
            _drop_postgres_database(url)

    def drop_all(self) -> None:
        for url in [*self.copies, self.url] if ENGINE != "sqlite" else []:
            _drop_postgres_database(url)
        self.copies = []


@functools.cache
def _postgres_admin():
    """One engine per test process for creating and dropping databases (no pool: nothing
    stays connected to a database that is about to be copied or dropped)."""
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@functools.cache
def _copy_strategy() -> str:
    """How PostgreSQL copies a template: its files at once (FILE_COPY, PostgreSQL 15 and
    later) rather than page by page through the write-ahead log, the default there, which
    takes three times as long for a database of the demo's size and again as long to drop."""
    with _postgres_admin().connect() as connection:
        version = int(connection.execute(text("SHOW server_version_num")).scalar())
    return " STRATEGY FILE_COPY" if version >= 150000 else ""


def _new_postgres_database(template: str | None = None) -> str:
    name = f"finder_t_{uuid.uuid4().hex[:12]}"
    with _postgres_admin().connect() as connection:
        connection.execute(
            text(
                f'CREATE DATABASE "{name}"'
                + (f' TEMPLATE "{template}"{_copy_strategy()}' if template else "")
            )
        )
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    with _postgres_admin().connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def _built_template(tmp_path_factory, name: str, commands: list[list[str]]) -> DatabaseTemplate:
    if ENGINE == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / f'{name}.sqlite'}"
    else:
        if not POSTGRES_URL:
            pytest.fail("FINDER_TEST_ENGINE=postgresql needs FINDER_TEST_POSTGRES_URL")
        url = _new_postgres_database()
    app = make_app(url)
    runner = app.test_cli_runner()
    for command in commands:
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
    return DatabaseTemplate(url)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, gazetteer_path) -> DatabaseTemplate:
    """A database made by `init-db` and `seed-demo`, copied for each test that needs it."""
    template = _built_template(tmp_path_factory, "demo", [["init-db"], ["seed-demo"]])
    yield template
    template.drop_all()


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory, gazetteer_path) -> DatabaseTemplate:
    """A database with the schema and techniques only."""
    template = _built_template(tmp_path_factory, "empty", [["init-db"]])
    yield template
    template.drop_all()


def _app_from(template: DatabaseTemplate, tmp_path: Path):
    url = template.copy(tmp_path)
    app = make_app(url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    template.drop(url)


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


def force_samples(monkeypatch) -> list[dict]:
    """Make every search ask the sample levels how far to read once its first scan falls
    short, whatever the directory's size (finder.nearest.SAMPLES_FROM); returns the list the
    distances they give are appended to (one dict per asking)."""
    from finder import nearest

    monkeypatch.setattr(nearest, "SAMPLES_FROM", 0)
    monkeypatch.setattr(nearest, "SAMPLES_AFTER_KM", 0.0)
    given: list[dict] = []
    estimate = nearest.Neighbourhood._estimates

    def kept(hood, questions):
        found = estimate(hood, questions)
        given.append(found)
        return found

    monkeypatch.setattr(nearest.Neighbourhood, "_estimates", kept)
    return given
