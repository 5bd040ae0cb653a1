"""gunicorn settings for the site, read from the working directory (`gunicorn 'finder:create_app()'`).

Threaded workers: a client that sends its request slowly (or declares a body and never
sends it) holds one thread, not a whole worker, so it cannot stop the site on its own.
In production a buffering proxy in front (nginx; see README "Security") also waits for
whole requests before they reach gunicorn. Each value can be changed on the command line
or in GUNICORN_CMD_ARGS.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One worker per core unless told: each has its own threads for slow clients.
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 30  # a worker whose main loop stops for this long is restarted
graceful_timeout = 10
keepalive = 5
# One line per request on stdout (GUNICORN_ACCESS_LOG names a file instead); errors on stderr.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# Smaller than gunicorn's defaults: no page of this site needs longer lines or more headers.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# X-Forwarded-Proto is believed from these addresses only (the proxy on this machine).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Once the application is loaded, a few searches build the SQL searches use; then the
    worker settles (finder.search.settle_worker): what it loaded lives as long as it does,
    out of the cycle collector's sight, and the collector runs less often (a search makes
    tens of thousands of objects)."""
    from finder.search import settle_worker

    _warm_up(worker)
    young, middle, full = settle_worker()
    worker.log.info("cycle collection after %d new objects (%d, %d)", young, middle, full)


def _warm_up(worker) -> None:
    """A few searches before the first request (finder.search.warm_up): best effort, a
    worker that cannot make them (no database yet) starts all the same."""
    try:
        from finder.extensions import db
        from finder.search import warm_up

        app = worker.wsgi
        with app.app_context():
            try:
                made = warm_up(db.session)
            finally:
                db.session.remove()
        worker.log.info("warmed up with %d searches", made)
    except Exception as error:  # noqa: BLE001 - never keep a worker from starting
        worker.log.warning("no warm-up: %s", error)
