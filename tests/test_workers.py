"""The site as gunicorn.conf.py serves it: slow clients hold one thread, limits hold across
workers when they share a store (a real redis-server)."""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import time
from contextlib import ExitStack, contextmanager

import pytest

from .conftest import GAZETTEER, skip_or_fail
from .servers import app_env, free_port, gunicorn

# A request that promises a body and never sends it.
STALLED = (
    b"POST /submit HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 50000\r\n\r\ncsrf"
)


@pytest.fixture
def database(demo_template, tmp_path):
    return demo_template.copy(tmp_path)


def get(port: int, path: str, timeout: float = 10.0) -> int:
    """GET on a new connection; the status, or 0 when no answer came within `timeout`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    except TimeoutError:
        return 0
    finally:
        connection.close()


@contextmanager
def stalled_clients(port: int, count: int):
    """`count` connections that each declared a body and stopped sending."""
    with ExitStack() as stack:
        for _ in range(count):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
            sock.sendall(STALLED)
        time.sleep(0.5)  # let the server take them in
        yield


@pytest.mark.engine_free
def test_clients_that_never_send_their_body_do_not_stop_the_site(database):
    with gunicorn(app_env(database, GAZETTEER), workers=2, rate_limits=False) as server:
        with stalled_clients(server.port, 4):
            answers = [get(server.port, "/api/v1/techniques", timeout=5) for _ in range(6)]
            page = get(server.port, "/search?location=Toronto", timeout=15)
    assert answers == [200] * 6 and page == 200, server.log()


@pytest.mark.engine_free
def test_with_single_threaded_workers_two_stalled_clients_would_stop_it(database):
    """The same attack against sync workers: what gunicorn.conf.py's threads prevent."""
    sync = ("--worker-class", "sync", "--threads", "1", "--timeout", "60")
    with gunicorn(
        app_env(database, GAZETTEER), workers=2, rate_limits=False, extra_args=sync
    ) as server:
        with stalled_clients(server.port, 2):
            assert get(server.port, "/api/v1/techniques", timeout=3) == 0


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway redis-server on a loopback port."""
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


@pytest.mark.engine_free
def test_a_limit_holds_across_workers_sharing_redis(database, redis_url):
    env = app_env(database, GAZETTEER) | {
        "RATELIMIT_STORAGE_URI": redis_url,
        "PAGE_RATE_LIMIT": "10 per minute",
        "API_RATE_LIMIT": "1000 per minute",
    }
    with gunicorn(env, workers=2, rate_limits=True) as server:
        statuses = [get(server.port, "/countries/JP") for _ in range(24)]
    assert statuses.count(200) == 10, (statuses, server.log())
    assert statuses.count(429) == 14


def test_each_worker_warms_up_with_searches_before_serving(database):
    """gunicorn.conf.py's post_worker_init searches from far-apart places (finder.search.
    warm_up) in each worker before its first request, then sets the worker's cycle
    collector to run after YOUNG_OBJECTS new objects; the site then serves as usual."""
    from finder.search import OLDER_EVERY, WARM_UP_PLACES, YOUNG_OBJECTS

    with gunicorn(app_env(database, GAZETTEER), workers=2, rate_limits=False) as server:
        assert get(server.port, "/api/v1/search?lat=37.57&lon=126.98", timeout=15) == 200
        deadline = time.monotonic() + 30
        while server.log().count("cycle collection after") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        log = server.log()
    assert log.count(f"warmed up with {len(WARM_UP_PLACES) * 6} searches") == 2, log
    settled = (
        f"cycle collection after {YOUNG_OBJECTS} new objects ({OLDER_EVERY[0]}, {OLDER_EVERY[1]})"
    )
    assert log.count(settled) == 2, log
    assert "no warm-up" not in log and "Traceback" not in log, log
