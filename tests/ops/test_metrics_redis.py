"""Scrape-time facts read from Redis: queue depth, oldest queued job age, live workers, Redis up."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq.utils import utcformat

from fazhi.observability.metrics import RedisCollector, render

QUEUE = "fazhi-ops-metrics"


def _gauges(collector: RedisCollector) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in collector.collect() for s in f.samples}


def _clean(conn: redis.Redis) -> None:
    conn.delete(f"rq:queue:{QUEUE}", f"rq:workers:{QUEUE}", "rq:job:ops-old", "rq:job:ops-new", "rq:worker:ops-live")


def test_metrics_redis_collector_reads_queue_and_workers(redis_conn):
    _clean(redis_conn)
    try:
        old = datetime.now(UTC) - timedelta(seconds=90)
        redis_conn.hset("rq:job:ops-old", "enqueued_at", utcformat(old))
        redis_conn.hset("rq:job:ops-new", "enqueued_at", utcformat(datetime.now(UTC)))
        redis_conn.rpush(f"rq:queue:{QUEUE}", "ops-old", "ops-new")
        redis_conn.hset("rq:worker:ops-live", "state", "idle")
        redis_conn.sadd(f"rq:workers:{QUEUE}", "rq:worker:ops-live", "rq:worker:ops-dead")  # dead: key expired
        redis_conn.sadd("fazhi:running", "a", "b")
        got = _gauges(RedisCollector(redis_conn, [QUEUE]))
    finally:
        _clean(redis_conn)
    labels = (("queue", QUEUE),)
    assert got[("fazhi_queue_depth", labels)] == 2
    assert 89 <= got[("fazhi_queue_oldest_job_age_seconds", labels)] < 120
    assert got[("fazhi_workers", labels)] == 1
    assert got[("fazhi_jobs_running", ())] == 2
    assert got[("fazhi_redis_up", ())] == 1


def test_metrics_redis_collector_empty_queue_is_zero(redis_conn):
    _clean(redis_conn)
    got = _gauges(RedisCollector(redis_conn, [QUEUE]))
    assert got[("fazhi_queue_depth", (("queue", QUEUE),))] == 0
    assert got[("fazhi_queue_oldest_job_age_seconds", (("queue", QUEUE),))] == 0


def test_metrics_redis_down_still_answers_with_redis_up_zero():
    # Nothing listens on port 1; no retries, like the API's fail-fast client.
    dead = redis.Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    started = time.monotonic()
    got = _gauges(RedisCollector(dead, [QUEUE]))
    assert got == {("fazhi_redis_up", ()): 0}
    assert time.monotonic() - started < 5
    text = render([RedisCollector(dead, [QUEUE])]).decode()
    assert "fazhi_redis_up 0.0" in text
    assert "# HELP fazhi_http_requests_total" in text  # the process's own metrics are still there
