"""The RQ job: parse one submitted document. RQ passes only the job id (JSON serializer).

Everything the job knows and reports goes through ``JobStore``; the job never raises to RQ,
so one bad document cannot put a worker into RQ's failure paths. Cancellation is cooperative:
each progress report asks the store whether the job is still running (``SimpleWorker`` runs
jobs in-process, so rq's stop-job command has no work horse to kill).
"""

from __future__ import annotations

import hashlib
import logging
import time

import msgspec
import redis

from fazhi.observability import jobs as observe
from fazhi.settings import Settings, get_settings
from workers.errors import FazhiError, ParseTimeout
from workers.jobstore import JobRecord, JobStore, decode_record, input_key, job_key
from workers.sweeper import Heartbeat, put_back, worker_label

log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder()
_state: dict[str, object] = {}


class JobCanceled(Exception):
    """The record left 'running' (canceled or deleted) while the job was working."""


# Progress writes are Redis round trips (a script each); a text job's eight stages take a few ms
# each, so writing every one cost more than some stages. At most one write per interval; the
# first report, the last page of a PDF and the last stage are always written (the last one also
# catches a cancel that came meanwhile).
PROGRESS_INTERVAL_SECONDS = 0.25


class _Throttle:
    def __init__(self, interval: float = PROGRESS_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self.last = float("-inf")

    def due(self, force: bool = False) -> bool:
        now = time.monotonic()
        if force or now - self.last >= self.interval:
            self.last = now
            return True
        return False


def configure(settings: Settings, connection: redis.Redis) -> JobStore:
    """Called once by ``run_worker`` so jobs reuse the worker's connection and settings."""
    store = JobStore(
        connection,
        retention_seconds=settings.retention_seconds,
        tombstone_seconds=settings.tombstone_seconds,
        heartbeat_ttl_seconds=settings.heartbeat_ttl_seconds,
    )
    _state["settings"] = settings
    _state["store"] = store
    return store


def _context() -> tuple[Settings, JobStore]:
    if "store" not in _state:
        from rq import get_current_job

        settings = get_settings()
        configure(settings, get_current_job().connection)
    return _state["settings"], _state["store"]  # type: ignore[return-value]


def parse_job(job_id: str) -> None:
    settings, store = _context()
    # Binds job_id and the submitting request's id to every log line, continues its trace, counts the outcome.
    with observe.observe_job(job_id, store):
        _parse_job(job_id, settings, store)


def _parse_job(job_id: str, settings: Settings, store: JobStore) -> None:
    if not store.start(job_id, worker_label()):
        log.info("job %s is no longer queued; skipped", job_id)
        return
    observe.started()
    try:
        with Heartbeat(store, job_id, settings.heartbeat_ttl_seconds / 4):
            ended, record = _run(job_id, settings, store)
    except BaseException as exc:
        # Cold shutdown (SystemExit from RQ's second SIGTERM), Ctrl-C, or Redis failing under
        # the job: not the document's fault, so it goes back to the queue without using up an
        # attempt. If Redis is away, the heartbeat expires and the sweeper puts it back later.
        try:
            outcome = put_back(store, settings, job_id, max_attempts=None, uncount=True)
            if outcome == "requeued":
                observe.requeued("shutdown")
        except Exception as err:  # noqa: BLE001
            outcome = f"not put back ({err}); the sweeper will"
        log.warning("job %s interrupted (%s): %s", job_id, type(exc).__name__, outcome)
        raise
    if ended:
        from workers.webhooks import notify

        # A succeeded job's final record was just read by _remember: reuse it, saving a round trip.
        notify(store.r, settings, record if record is not None else store.get(job_id))


def _run(job_id: str, settings: Settings, store: JobStore) -> tuple[bool, JobRecord | None]:
    """Parse and record the outcome: (True when this run set the job's final status, the
    final record when it was read already, else None)."""
    try:
        result = _parse(job_id, settings, store)
    except JobCanceled:
        log.info("job %s canceled while running", job_id)
        return False, None
    except FazhiError as exc:
        return store.fail(job_id, exc.code, exc.message, exc.retryable), None
    except redis.RedisError:
        raise  # the store is away, not the document's fault: the job is put back, not failed
    except Exception as exc:  # noqa: BLE001 - a job must end in a recorded status, never crash the worker
        if _is_timeout(exc):
            err = ParseTimeout(f"the job ran longer than {settings.job_timeout_seconds} s")
            return store.fail(job_id, err.code, err.message, err.retryable), None
        log.exception("job %s failed unexpectedly", job_id)
        return store.fail(job_id, "internal", f"internal error ({type(exc).__name__}); the failure was logged", True), None
    if not store.succeed(job_id, result):
        log.info("job %s finished after it was canceled; result dropped", job_id)
        return False, None
    return True, _remember(store, job_id)


def _remember(store: JobStore, job_id: str) -> JobRecord | None:
    """Offer the result for reuse by identical submissions; returns the final record it read."""
    from workers.pipeline.runner import PIPELINE_VERSION

    record = store.get(job_id)
    if record is not None and not record.callback_url:
        store.remember_result(record, PIPELINE_VERSION)
    return record


def _parse(job_id: str, settings: Settings, store: JobStore) -> bytes:
    from workers.ingest import read_document
    from workers.pipeline.runner import STAGES, extract

    # The record and the input in one round trip (both are on the job's latency path).
    with store.r.pipeline(transaction=False) as pipe:
        pipe.hgetall(job_key(job_id))
        pipe.get(input_key(job_id))
        fields, data = pipe.execute()
    record = decode_record(job_id, fields)
    if record is None or data is None:
        raise JobCanceled(job_id)

    throttle = _Throttle()

    def on_page(done: int, total: int) -> None:
        if throttle.due(force=done >= total) and not store.progress(job_id, stage="ingest", pages_done=done, pages_total=total):
            raise JobCanceled(job_id)

    last_stage = STAGES[-1].NAME

    def on_stage(stage: str) -> None:
        observe.stage(stage)
        if throttle.due(force=stage == last_stage) and not store.progress(job_id, stage=stage):
            raise JobCanceled(job_id)

    on_stage("ingest")
    raw = read_document(data, record.media_type, settings=settings, on_page=on_page)
    result = extract(
        raw,
        sha256=record.sha256 or hashlib.sha256(data).hexdigest(),
        filename=record.filename,
        progress=on_stage,
    )
    return _encoder.encode(result)


def _is_timeout(exc: BaseException) -> bool:
    from rq.timeouts import JobTimeoutException

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, JobTimeoutException):
            return True
        seen = seen.__cause__
    return False
