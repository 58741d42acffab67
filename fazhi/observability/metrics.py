"""Every ``fazhi_*`` metric, and the registry ``GET /metrics`` renders.

Counters and histograms live in the process that observes them (API or worker) and, in
multiprocess mode, in ``PROMETHEUS_MULTIPROC_DIR`` so one scrape adds all processes up.
Queue depth, oldest queued job age, running jobs and live workers are facts about Redis, not
about a process: ``RedisCollector`` reads them at scrape time, so they are right even when
every worker is dead. The README's Metrics section lists these names; a test keeps it honest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    disable_created_metrics,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from fazhi.observability import multiproc

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST

# ``*_created`` series double the output for no use here (and multiprocess mode has none).
disable_created_metrics()

# Latency buckets from a 1 ms health check to a 40 s ``?wait`` long-poll.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40)
# A text report parses in well under a second; a scanned 300-page PDF under OCR takes minutes.
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
PAGE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

HTTP_REQUESTS = Counter(
    "fazhi_http_requests_total", "HTTP requests answered, by route template and status.", ["method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "fazhi_http_request_duration_seconds", "Time to answer an HTTP request, in seconds.", ["method", "route"],
    buckets=HTTP_BUCKETS,
)  # fmt: skip
JOBS_SUBMITTED = Counter("fazhi_jobs_submitted_total", "Parse jobs accepted and queued, by media type.", ["media_type"])
JOBS_FINISHED = Counter(
    "fazhi_jobs_finished_total", "Parse jobs a worker ended, by final status and error code ('' on success).",
    ["status", "error_code"],
)  # fmt: skip
JOBS_REQUEUED = Counter(
    "fazhi_jobs_requeued_total", "Running jobs put back in the queue: 'shutdown' (a stopping worker) or 'worker_lost'.",
    ["reason"],
)  # fmt: skip
JOB_DURATION = Histogram(
    "fazhi_job_duration_seconds", "Time a worker spent on one parse job, by final status.", ["status"], buckets=JOB_BUCKETS
)
JOB_QUEUE_WAIT = Histogram(
    "fazhi_job_queue_wait_seconds", "Time from submission to a worker starting the job, in seconds.", buckets=JOB_BUCKETS
)
JOB_PAGES = Histogram("fazhi_job_pages_parsed", "Pages read from each PDF job.", buckets=PAGE_BUCKETS)
STAGE_DURATION = Histogram(
    "fazhi_job_stage_duration_seconds", "Time spent in each stage of a parse job (ingest, then pipeline stages).",
    ["stage"], buckets=JOB_BUCKETS,
)  # fmt: skip


def registry() -> CollectorRegistry:
    """The registry a scrape reads: every process's files in multiprocess mode, else this process."""
    if multiproc.enabled():
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        return reg
    return REGISTRY


def render(extra: Iterable[Collector] = ()) -> bytes:
    reg = registry()
    if extra:
        combined = CollectorRegistry()
        combined.register(_Merged(reg))
        for collector in extra:
            combined.register(collector)
        reg = combined
    return generate_latest(reg)


class _Merged(Collector):
    def __init__(self, reg: CollectorRegistry):
        self.reg = reg

    def collect(self) -> Iterator:
        return iter(self.reg.collect())

    def describe(self) -> list:
        return []  # collected at scrape time only; never checked for duplicate names at register


class RedisCollector(Collector):
    """Queue and worker facts read from Redis at scrape time (cheap: a few O(1) commands)."""

    def __init__(self, connection, queue_names: Iterable[str]):
        self.r = connection
        self.queue_names = list(queue_names)

    def describe(self) -> list:
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("fazhi_redis_up", "1 when Redis answered this scrape, else 0.")
        depth = GaugeMetricFamily("fazhi_queue_depth", "Jobs waiting in the RQ queue.", labels=["queue"])
        oldest = GaugeMetricFamily(
            "fazhi_queue_oldest_job_age_seconds", "Age of the oldest job still waiting in the queue (0 when empty).",
            labels=["queue"],
        )  # fmt: skip
        workers = GaugeMetricFamily("fazhi_workers", "Live RQ workers listening on the queue.", labels=["queue"])
        running = GaugeMetricFamily("fazhi_jobs_running", "Parse jobs a worker is running now.")
        try:
            for name in self.queue_names:
                d, age, live = self._queue(name)
                depth.add_metric([name], d)
                oldest.add_metric([name], age)
                workers.add_metric([name], live)
            running.add_metric([], self.r.scard("fazhi:running"))
        except Exception as exc:  # noqa: BLE001 - a scrape must answer even when Redis does not
            log.warning("metrics: Redis did not answer (%s)", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, depth, oldest, workers, running)

    def _queue(self, name: str) -> tuple[int, float, int]:
        from rq.utils import utcparse

        pipe = self.r.pipeline(transaction=False)
        pipe.llen(f"rq:queue:{name}")
        pipe.lindex(f"rq:queue:{name}", 0)
        pipe.smembers(f"rq:workers:{name}")
        depth, head, members = pipe.execute()
        age = 0.0
        if head is not None:
            enqueued = self.r.hget(f"rq:job:{_text(head)}", "enqueued_at")
            if enqueued:
                age = max(0.0, time.time() - utcparse(_text(enqueued)).timestamp())
        live = 0
        if members:
            pipe = self.r.pipeline(transaction=False)
            for key in members:
                pipe.exists(_text(key))
            live = sum(pipe.execute())
        return int(depth), age, live


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

