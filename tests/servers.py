"""The application served by gunicorn in a subprocess on a loopback port, for tests and benchmarks."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config_reads_ratelimit_enabled() -> bool:
    """Whether the settings take RATELIMIT_ENABLED=0 from the environment."""
    import config

    read = getattr(config, "config_from_environment", None)
    if read is None:
        return False
    return read({"RATELIMIT_ENABLED": "0"}).RATELIMIT_ENABLED is False


def app_target(rate_limits: bool = True) -> str:
    """The gunicorn application spec. Rate limits are turned off by RATELIMIT_ENABLED=0 in
    the environment, or by an override where the settings do not read that variable."""
    if rate_limits or config_reads_ratelimit_enabled():
        return "finder:create_app()"
    return "finder:create_app(overrides={'RATELIMIT_ENABLED': False})"


class GunicornServer:
    """gunicorn serving the application on a free loopback port; `url` once started."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int = 2,
        rate_limits: bool = True,
        log_path: Path | None = None,
        extra_args: tuple[str, ...] = (),
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = {**os.environ, **env}
        if not rate_limits:
            self.env["RATELIMIT_ENABLED"] = "0"
        self.target = app_target(rate_limits)
        if log_path is None:
            handle, name = tempfile.mkstemp(prefix="gunicorn-", suffix=".log")
            os.close(handle)
            log_path = Path(name)
        self.log_path = log_path
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> GunicornServer:
        """Start gunicorn and wait until a page answers."""
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            # Everything else from gunicorn.conf.py, the configuration the README documents.
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--graceful-timeout",
            "5",
            *self.extra_args,
            self.target,
        ]
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_answering(self.port, timeout=timeout, process=self.process)
        except Exception:
            self.stop()
            raise RuntimeError(f"gunicorn did not start:\n{self.log()}") from None
        return self

    def log(self) -> str:
        """What gunicorn and the application wrote so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (graceful), then SIGKILL of the whole process group if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        self._log.close()
        self.process = None


def wait_until_answering(
    port: int,
    path: str = "/api/v1/techniques",
    timeout: float = 60.0,
    process: subprocess.Popen | None = None,
) -> None:
    """Poll `path` on 127.0.0.1:port until it answers 200 (or fail after `timeout`)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return
            last = f"HTTP {response.status}"
        except OSError as error:
            last = f"{type(error).__name__}: {error}"
        finally:
            connection.close()
        time.sleep(0.1)
    raise TimeoutError(f"127.0.0.1:{port}{path} did not answer within {timeout} s ({last})")


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, rate_limits: bool = True, **kwargs):
    """A started GunicornServer for the length of the block."""
    server = GunicornServer(env, workers=workers, rate_limits=rate_limits, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


def app_env(database: str | Path, gazetteer_path: str, secret_key: str = "x" * 40) -> dict:
    """The environment that points the application at a database (a URL, or a SQLite file)
    and the gazetteer."""
    return {
        "DATABASE_URL": database if isinstance(database, str) else f"sqlite:///{database}",
        "GAZETTEER_PATH": str(gazetteer_path),
        "SECRET_KEY": secret_key,
    }
