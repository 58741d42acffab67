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
from workers.jobstore import JobRecord, JobStore, Status, decode_record, reuse_key
from workers.sweeper import Heartbeat, put_back, worker_label

log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder()
_state: dict[str, object] = {}


class JobCanceled(Exception):
    """The record left 'running' (canceled or deleted) while the job was working."""


# Progress writes are Redis round trips (a script each); a text job's eight stages take a few ms
# each, so writing every one cost more than some stages. At most one write per interval, counted
# from the start (which records the first stage); the last page of a PDF is always written. The
# success records the last stage itself, and refuses a job canceled meanwhile.
PROGRESS_INTERVAL_SECONDS = 0.25
INGEST = "ingest"


class _Throttle:
    def __init__(self, interval: float = PROGRESS_INTERVAL_SECONDS, started: float = float("-inf")) -> None:
        self.interval = interval
        self.last = started

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
    # Start, read the record and read the input: one round trip, on every job's latency path.
    attempt, fields, data = store.begin(job_id, worker_label(), stage=INGEST)
    if not attempt:
        log.info("job %s is no longer queued; skipped", job_id)
        return
    ids = (_field(fields, "request_id"), _field(fields, "traceparent"))
    # Binds job_id and the submitting request's id to every log line, continues its trace, counts the outcome.
    with observe.observe_job(job_id, store, ids) as observation:
        observe.started()
        _parse_job(job_id, decode_record(job_id, fields), data, settings, store, observation)


def _field(fields: dict, name: str) -> str | None:
    value = fields.get(name.encode())
    return value.decode() if value is not None else None


def _parse_job(job_id: str, record: JobRecord | None, data: bytes | None, settings: Settings, store: JobStore, observation) -> None:
    try:
        with Heartbeat(store, job_id, settings.heartbeat_ttl_seconds / 4):
            final = _run(job_id, record, data, settings, store)
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
    if final is not None:
        from workers.webhooks import notify

        observation.final = final
        notify(store.r, settings, final)


def _run(job_id: str, record: JobRecord | None, data: bytes | None, settings: Settings, store: JobStore) -> JobRecord | None:
    """Parse and record the outcome. Returns the final record when this run set the job's final
    status (None: it was canceled or deleted meanwhile)."""
    try:
        if record is None or data is None:
            raise JobCanceled(job_id)
        result = _parse(job_id, record, data, settings, store)
    except JobCanceled:
        log.info("job %s canceled while running", job_id)
        return None
    except FazhiError as exc:
        return _fail(store, job_id, exc.code, exc.message, exc.retryable)
    except redis.RedisError:
        raise  # the store is away, not the document's fault: the job is put back, not failed
    except Exception as exc:  # noqa: BLE001 - a job must end in a recorded status, never crash the worker
        if _is_timeout(exc):
            err = ParseTimeout(f"the job ran longer than {settings.job_timeout_seconds} s")
            return _fail(store, job_id, err.code, err.message, err.retryable)
        log.exception("job %s failed unexpectedly", job_id)
        return _fail(store, job_id, "internal", f"internal error ({type(exc).__name__}); the failure was logged", True)
    from workers.pipeline.runner import PIPELINE_VERSION, STAGES

    # Offer the result for reuse by identical submissions (not when a webhook is expected: a
    # reused job would never call it), in the same script that records the success.
    reuse = None if record.callback_url else reuse_key(record.owner, record.sha256, record.media_type, record.filename, PIPELINE_VERSION)
    finish = store.finish(job_id, Status.SUCCEEDED, result=result, stage=STAGES[-1].NAME, reuse_key=reuse)
    if not finish.applied:
        log.info("job %s finished after it was canceled; result dropped", job_id)
    return finish.record


def _fail(store: JobStore, job_id: str, code: str, message: str, retryable: bool) -> JobRecord | None:
    return store.finish(job_id, Status.FAILED, error=(code, message, retryable)).record


def _parse(job_id: str, record: JobRecord, data: bytes, settings: Settings, store: JobStore) -> bytes:
    from workers.ingest import read_document
    from workers.pipeline.runner import extract

    # The first report is not written (the start set the stage to ingest), and none more often
    # than the throttle allows: a short text job runs with no progress write at all.
    throttle = _Throttle(started=time.monotonic())

    def on_page(done: int, total: int) -> None:
        if throttle.due(force=done >= total) and not store.progress(job_id, stage=INGEST, pages_done=done, pages_total=total):
            raise JobCanceled(job_id)

    def on_stage(stage: str) -> None:
        observe.stage(stage)
        if stage != INGEST and throttle.due() and not store.progress(job_id, stage=stage):
            raise JobCanceled(job_id)

    observe.stage(INGEST)
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
