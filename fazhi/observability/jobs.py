"""The worker's side: bind the job's ids to its log lines, continue its trace, count its outcome.

``observe_job`` wraps one run of ``parse_job``. It reads the ids the API stored with the job
(``request_id``, ``traceparent``: extra fields of the job hash, so they survive a requeue), and
when the run ends it reads the record once to count the final status and error code, the time
spent, the wait in the queue and the pages parsed.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from datetime import datetime

import structlog

from fazhi.observability import logs, metrics, tracing

log = structlog.get_logger("fazhi.jobs")

_current: contextvars.ContextVar[JobObservation | None] = contextvars.ContextVar("fazhi_job_observation", default=None)


class JobObservation:
    def __init__(self, job_id: str):
        self.job_id = job_id
        self.began: float | None = None
        self.stage: str | None = None
        self.stage_began = 0.0
        self.final = None
        """The job's record after its run, when the job already has it (saves a read)."""

    def started(self) -> None:
        """The job left ``queued`` for this run (a skipped, already-canceled job is not counted)."""
        self.began = time.monotonic()

    def enter_stage(self, stage: str) -> None:
        now = time.monotonic()
        if stage == self.stage:
            return
        if self.stage is not None:
            metrics.STAGE_DURATION.labels(self.stage).observe(now - self.stage_began)
        self.stage, self.stage_began = stage, now

    def finish(self, record) -> None:
        if self.began is None or record is None or not getattr(record, "terminal", False):
            return
        now = time.monotonic()
        if self.stage is not None:
            metrics.STAGE_DURATION.labels(self.stage).observe(now - self.stage_began)
            self.stage = None
        status = record.status.value if hasattr(record.status, "value") else str(record.status)
        metrics.JOBS_FINISHED.labels(status, record.error_code or "").inc()
        metrics.JOB_DURATION.labels(status).observe(now - self.began)
        # One line per job outcome, with job_id and request_id from the bound context.
        log.info("job ended", status=status, error_code=record.error_code, seconds=round(now - self.began, 3),
                 pages=record.pages_total, attempts=record.attempts)  # fmt: skip
        if record.pages_total:
            metrics.JOB_PAGES.observe(record.pages_total)
        wait = _seconds_between(record.created_at, record.started_at)
        if wait is not None:
            metrics.JOB_QUEUE_WAIT.observe(wait)


@contextlib.contextmanager
def observe_job(job_id: str, store, ids: tuple[str | None, str | None] | None = None) -> Iterator[JobObservation]:
    """``store`` is a ``workers.jobstore.JobStore``; its hash carries the API's ids, unless the
    caller read them already (``ids``: request id, traceparent)."""
    from workers.jobstore import job_key

    if ids is not None:
        request_id, traceparent = ids
    else:
        # Observing must never fail a job: a Redis hiccup here costs a metric or an id, nothing more.
        try:
            request_id, traceparent = (_text(v) for v in store.r.hmget(job_key(job_id), "request_id", "traceparent"))
        except Exception:  # noqa: BLE001
            request_id = traceparent = None
    observation = JobObservation(job_id)
    token = _current.set(observation)
    try:
        with logs.bound(job_id=job_id, request_id=request_id), tracing.job_span(job_id, traceparent) as span:
            yield observation
            try:
                record = None
                if observation.began is not None:
                    record = observation.final if observation.final is not None else store.get(job_id)
                observation.finish(record)
            except Exception as exc:  # noqa: BLE001
                log.warning("job outcome not counted", error=repr(exc))
                record = None
            if span is not None and record is not None:
                span.set_attribute("fazhi.status", record.status.value)
                if record.error_code:
                    span.set_attribute("fazhi.error_code", record.error_code)
    finally:
        _current.reset(token)


def stage(name: str) -> None:
    """Record that the running job entered ``name`` (a no-op outside ``observe_job``)."""
    observation = _current.get()
    if observation is not None:
        observation.enter_stage(name)


def started() -> None:
    observation = _current.get()
    if observation is not None:
        observation.started()


def requeued(reason: str) -> None:
    """A running job went back to the queue (``shutdown``: its worker stopped; ``worker_lost``: the sweeper)."""
    metrics.JOBS_REQUEUED.labels(reason).inc()


def lost() -> None:
    """The sweeper failed a job whose workers kept disappearing (``worker.lost``)."""
    metrics.JOBS_FINISHED.labels("failed", "worker.lost").inc()


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _seconds_between(first: str | None, second: str | None) -> float | None:
    if not first or not second:
        return None
    try:
        return max(0.0, (datetime.fromisoformat(second) - datetime.fromisoformat(first)).total_seconds())
    except ValueError:
        return None
