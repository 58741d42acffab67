"""Lost-worker detection: SimpleWorker has no heartbeat of its own while a job runs.

The worker running a job refreshes ``fazhi:hb:{id}`` every ``ttl/4`` seconds (``Heartbeat``).
A sweeper thread in every worker process wakes every ``ttl/2`` seconds; one of them at a time
(a Redis lock) checks the ``running`` jobs, and a job whose heartbeat has expired goes back to
its queue, or fails with ``worker.lost`` once it has been started ``FAZHI_MAX_ATTEMPTS`` times.
A dead worker's job is therefore noticed within ``1.5 × ttl`` (30 s by default).
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import socket
import threading
import time
from functools import partial

import redis

from fazhi.observability import jobs as observe
from fazhi.settings import Settings
from workers.jobstore import PARSE_JOB, RQ_RESULT_TTL_SECONDS, RUNNING_SET, JobStore, rq_job_timeout

log = logging.getLogger(__name__)

LOCK_KEY = "fazhi:sweeper:lock"
WORKER_LOST = "worker.lost"


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Heartbeat:
    """Keeps one running job's heartbeat key alive from ``__enter__`` to ``__exit__``.

    The refreshes come from one long-lived thread per process (``_BEATER``), not a thread per
    job: starting and joining a thread cost about 0.25 ms of CPU, a few per cent of a short text
    job. A refresh still in flight when the job ends is harmless: the script refreshes only a
    job that is still running.
    """

    def __init__(self, store: JobStore, job_id: str, interval: float):
        self.store, self.job_id, self.interval = store, job_id, interval
        self._token: int | None = None

    def __enter__(self) -> "Heartbeat":
        self._token = _BEATER.add(self.store, self.job_id, self.interval)
        return self

    def __exit__(self, *exc) -> None:
        if self._token is not None:
            _BEATER.remove(self._token)


class _Beater:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._jobs: dict[int, list] = {}  # token -> [store, job id, interval, next due (monotonic)]
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, store: JobStore, job_id: str, interval: float) -> int:
        with self._cond:
            token = next(self._tokens)
            self._jobs[token] = [store, job_id, interval, time.monotonic() + interval]
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="job-heartbeats", daemon=True)
                self._thread.start()
            self._cond.notify()
            return token

    def remove(self, token: int) -> None:
        with self._cond:
            self._jobs.pop(token, None)

    def _run(self) -> None:
        label = worker_label()
        while True:
            with self._cond:
                now = time.monotonic()
                due = [(token, entry[0], entry[1]) for token, entry in self._jobs.items() if entry[3] <= now]
                for token, *_ in due:
                    self._jobs[token][3] = now + self._jobs[token][2]
                if not due:
                    wake = min((entry[3] for entry in self._jobs.values()), default=None)
                    self._cond.wait(None if wake is None else wake - now)
                    continue
            for token, store, job_id in due:
                try:
                    if not store.beat(job_id, label):
                        self.remove(token)  # no longer running: nothing to keep alive
                except redis.RedisError as exc:  # Redis is away: the job notices on its own next call
                    log.warning("heartbeat of job %s not written: %s", job_id, exc)


_BEATER = _Beater()


def rq_enqueue(settings: Settings, connection: redis.Redis, job_id: str, queue_name: str, attempt: int, pipe) -> None:
    """Add the parse job to ``pipe`` under a fresh RQ id (random suffix: the same attempt number
    can recur after a shutdown put-back), so RQ's clean-up of the lost run's registry entry can
    never touch the new one."""
    from rq import Queue
    from rq.serializers import JSONSerializer

    Queue(queue_name, connection=connection, serializer=JSONSerializer).enqueue_call(
        PARSE_JOB,
        args=(job_id,),
        job_id=f"{job_id}-r{attempt}{secrets.token_hex(3)}",
        timeout=rq_job_timeout(settings),
        result_ttl=RQ_RESULT_TTL_SECONDS,
        failure_ttl=settings.retention_seconds,
        description=f"parse {job_id} (again)",
        pipeline=pipe,
    )


def put_back(store: JobStore, settings: Settings, job_id: str, *, max_attempts: int | None, uncount: bool = False) -> str:
    record = store.get(job_id)
    if record is None:
        store.r.srem(RUNNING_SET, job_id)  # deleted or expired while marked running
        return "gone"
    queue_name = record.queue or settings.queue_name
    return store.put_back(
        job_id,
        partial(rq_enqueue, settings, store.r, job_id, queue_name, record.attempts),
        max_attempts=max_attempts,
        uncount=uncount,
    )


def sweep_once(store: JobStore, settings: Settings) -> dict[str, int]:
    """Requeue or fail every running job whose heartbeat is gone. Returns counts by outcome."""
    from workers.webhooks import notify

    counts: dict[str, int] = {}
    for job_id in store.running_ids():
        outcome = put_back(store, settings, job_id, max_attempts=settings.max_attempts)
        if outcome == "exhausted":
            message = f"the worker running this job stopped responding {settings.max_attempts} times"
            if store.fail(job_id, WORKER_LOST, message, True):
                observe.lost()
                notify(store.r, settings, store.get(job_id))
        elif outcome == "requeued":
            observe.requeued("worker_lost")
        if outcome != "alive":
            log.warning("job %s: worker lost, %s", job_id, outcome)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def rescue_stranded(store: JobStore, queue_name: str, min_age_seconds: float) -> int:
    """Put back jobs a worker took off the queue but never started (Redis failed in between).

    RQ parks a dequeued job in the queue's intermediate list until the worker starts it; if that
    step fails, RQ's own clean-up (every 10 min) marks the job failed and it is never run. A job
    seen there twice, ``min_age_seconds`` apart, whose record is still ``queued``, goes back to
    the front of its queue. Returns how many were put back.
    """
    from rq import Queue
    from rq.serializers import JSONSerializer

    queue = Queue(queue_name, connection=store.r, serializer=JSONSerializer)
    parked = queue.intermediate_queue_key
    rescued = 0
    for raw in store.r.lrange(parked, 0, -1):
        rq_id = raw.decode()
        job_id = _parse_job_id(queue, rq_id)
        record = store.get(job_id) if job_id else None
        if record is None or record.status.value != "queued":
            continue  # running (the worker got past it) or gone: RQ's own clean-up handles the entry
        marker, window_ms = f"fazhi:stranded:{rq_id}", int(min_age_seconds * 1000)
        if store.r.set(marker, "1", nx=True, px=window_ms * 6):
            continue  # first sighting; a worker may be between dequeue and start right now
        if store.r.pttl(marker) > window_ms * 5:
            continue  # seen too recently
        with store.r.pipeline(transaction=True) as pipe:
            pipe.lrem(parked, 1, rq_id)
            pipe.lpush(queue.key, rq_id)
            pipe.delete(marker)
            pipe.execute()
        log.warning("job %s was dequeued but never started; put back on %s", job_id, queue_name)
        rescued += 1
    return rescued


def _parse_job_id(queue, rq_id: str) -> str | None:
    job = queue.fetch_job(rq_id)
    if job is None or job.func_name != PARSE_JOB or not job.args:
        return None
    return str(job.args[0])


def start_sweeper_thread(store: JobStore, settings: Settings) -> threading.Thread:
    thread = threading.Thread(target=_sweep_forever, args=(store, settings), name="fazhi-sweeper", daemon=True)
    thread.start()
    return thread


def _sweep_forever(store: JobStore, settings: Settings) -> None:
    interval = settings.heartbeat_ttl_seconds / 2
    stop = threading.Event()
    while not stop.wait(interval):
        try:
            if store.r.set(LOCK_KEY, worker_label(), nx=True, px=int(interval * 1000 * 0.9)):
                sweep_once(store, settings)
                rescue_stranded(store, settings.queue_name, interval)
        except redis.RedisError as exc:
            log.warning("sweep skipped: %s", exc)
        except Exception:  # noqa: BLE001 - the sweeper must outlive any one bad record
            log.exception("sweep failed")
