"""RQ worker process: ``SimpleWorker`` on our queue, pipeline data loaded once.

Why SimpleWorker: a no-op job round trip is ~4 ms against ~12 ms for the forking ``Worker``
(tech-probe §5), and the fork would re-do per job what we pre-load here. The isolation the fork
would give is placed where the risk is: PDF parsing runs in a child process
(``workers.ingest.pdf_sandbox``) with time and memory limits, so a hostile PDF kills that child,
not this worker. Jobs catch every exception and record it (``workers.jobs``).
"""

from __future__ import annotations

import logging
import os
import time

import redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from fazhi.settings import Settings, get_settings
from workers import jobs

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_WAIT_SECONDS = 60.0
"""How long a starting worker waits for Redis (compose may start workers first)."""

log = logging.getLogger(__name__)


def connect(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url or DEFAULT_REDIS_URL)


def wait_for_redis(connection: redis.Redis, timeout: float = REDIS_WAIT_SECONDS) -> None:
    """Block until Redis answers; raise ``redis.ConnectionError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.1
    while True:
        try:
            connection.ping()
            return
        except (redis.ConnectionError, redis.TimeoutError):
            if time.monotonic() + delay > deadline:
                raise
            log.warning("Redis is not reachable yet; retrying in %.1f s", delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def warm() -> None:
    """Import and load everything a job needs, once per worker process."""
    from workers.ingest import sniff
    from workers.pipeline import runner

    sniff.warm()
    runner.warm()
    try:
        import workers.ingest.pdf_sandbox  # noqa: F401 - pre-import; its child does the parsing
    except ImportError:
        pass


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None) -> bool:
    """Work the queue until stopped (or, with ``burst``, until it is empty)."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    connection = connect(settings)
    warm()
    wait_for_redis(connection)
    jobs.configure(settings, connection)
    queue = Queue(settings.queue_name, connection=connection, serializer=JSONSerializer)
    worker = SimpleWorker([queue], connection=connection, serializer=JSONSerializer, name=name)
    return worker.work(burst=burst, logging_level=settings.log_level, with_scheduler=False)


if __name__ == "__main__":
    run_worker(get_settings(), burst=os.environ.get("FAZHI_WORKER_BURST") == "1")
