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
from rq.exceptions import StopRequested
from rq.executions import Execution
from rq.job import JobStatus
from rq.rate_limit import release_slot
from rq.serializers import JSONSerializer
from rq.utils import now as rq_now
from rq.worker import WorkerStatus

from fazhi.redis_pools import sync_client
from fazhi.settings import Settings, get_settings
from workers import jobs
from workers.jobstore import PARSE_JOB, EvictionPolicyError, check_eviction_policy
from workers.sweeper import start_sweeper_thread
from workers.webhooks import start_delivery_thread

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_WAIT_SECONDS = 60.0
"""How long a starting worker waits for Redis (compose may start workers first)."""

log = logging.getLogger(__name__)

# The jobs this service enqueues (``service.submit``, the sweeper). None is ever given dependents
# (nothing here enqueues with ``depends_on``), so RQ's dependents step on success, a WATCH and an
# SMEMBERS, found nothing on every job. Any other job function keeps RQ's own success handling.
JOBS_WITHOUT_DEPENDENTS = frozenset({PARSE_JOB})


def connect(settings: Settings) -> redis.Redis:
    """The connection for our own commands (job store, sweeper, webhooks): redis-py's 5 s timeout."""
    return sync_client(settings.redis_url or DEFAULT_REDIS_URL)


def connect_queue(settings: Settings) -> redis.Redis:
    """The connection RQ's worker loop uses, with no socket timeout of ours.

    RQ raises the pool's socket timeout above its blocking dequeue (405 s) when the worker is
    built, but only connections opened after that get it. Sharing one client with our start-up
    commands left pooled connections with redis-py's 5 s default, so an idle worker's BLPOP timed
    out every 5 s, logged "could not connect to Redis" and slept 1, 2, 4 ... s before listening
    again: a job arriving then waited. A client RQ configures before its first command avoids that.
    """
    return sync_client(settings.redis_url or DEFAULT_REDIS_URL, socket_timeout=None)


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


def yield_cpu(increment: int) -> None:
    """Lower this process's CPU priority (``nice``; the PDF parser it forks inherits it).

    Under a burst of jobs the workers would otherwise take the cores from the API and Redis: a
    submission then waited behind extraction, the queue ran dry while clients were still
    sending, and every Redis round trip of a worker waited for Redis to get a time slice. With
    the workers at niceness 10, batches of 48 seed texts went through about 10 % faster (two
    workers, two cores). Idle workers cost the API nothing either way.
    """
    if increment > 0:
        os.nice(increment)


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
    from fazhi.observability import process

    process.setup(settings, "worker")  # structured logs (FAZHI_LOG_FORMAT) and tracing
    yield_cpu(settings.worker_nice)
    connection = connect(settings)
    warm()
    wait_for_redis(connection)
    check_eviction_policy(connection, allow=settings.allow_eviction, log=log)
    store = jobs.configure(settings, connection)
    start_sweeper_thread(store, settings)
    start_delivery_thread(connection, settings)
    queue_connection = connect_queue(settings)
    queue = Queue(settings.queue_name, connection=queue_connection, serializer=JSONSerializer)
    worked = False
    while True:
        worker = Worker([queue], connection=queue_connection, serializer=JSONSerializer, name=name)
        try:
            worked = worker.work(burst=burst, logging_level=settings.log_level, with_scheduler=False) or worked
        except (redis.ConnectionError, redis.TimeoutError) as exc:  # RQ's teardown talks to Redis too
            log.warning("Redis failed under the worker loop: %s", exc)
        if burst or worker.stopping:
            return worked
        # RQ's loop ends on any error (e.g. Redis went away between dequeue and start): wait for
        # Redis and work again; the sweeper puts back a job caught in between.
        log.warning("the worker loop stopped unexpectedly; restarting it once Redis answers")
        try:
            wait_for_redis(connection, timeout=float("inf"))
        except StopRequested:
            return worked


class Worker(SimpleWorker):
    """SimpleWorker that remembers whether it was asked to stop (versus its loop failing), with
    fewer Redis round trips between jobs.

    Between two short jobs RQ made about fourteen round trips. Each costs little CPU, but with
    the API, Redis and two workers sharing two cores every one can wait for a time slice: the
    gap between jobs was about half a short job's own time. Cut here:

    * RQ renews the worker's key (an HSET and two EXPIREs, unpipelined) before and after every
      dequeue and after every job, for a key whose TTL is minutes: now at most every 5 s. The
      renewal in a job's own preparation (pipelined, with the job's longer TTL) still runs.
    * ``rq suspend`` is checked at most once a second, not before every job.
    * The state is written only when it changes (RQ set "idle" twice between jobs).
    * No job heartbeat after the job returned: its success or failure is recorded right after,
      in the same thread, which removes it from the started registry anyway.
    * RQ's two preparation transactions (the execution and "busy"; then the job's start) go to
      Redis as one: in a SimpleWorker they run back to back in the same thread.
    * "idle" is written in the transaction that records the job's end, not on its own after it.
    * Our own jobs skip the dependents step on success (``JOBS_WITHOUT_DEPENDENTS``).
    That leaves, per job: the dequeue and the job's fetch, one preparation, one end transaction.

    The overridden methods follow RQ 3.0.0's (pinned exactly in pyproject.toml); the tests check
    RQ's own records of a finished and a failed job (status, result, registries, worker counts).
    """

    stopping = False
    heartbeat_min_interval_seconds = 5.0
    suspension_check_interval_seconds = 1.0
    _last_renewal = float("-inf")
    _last_suspension_check = float("-inf")

    def request_stop(self, signum, frame):
        self.stopping = True
        super().request_stop(signum, frame)

    def heartbeat(self, timeout=None, pipeline=None):
        if pipeline is None and timeout is None:
            now = time.monotonic()
            if now - self._last_renewal < self.heartbeat_min_interval_seconds:
                return
            self._last_renewal = now
        super().heartbeat(timeout, pipeline)

    def check_for_suspension(self, burst: bool) -> None:
        now = time.monotonic()
        if now - self._last_suspension_check < self.suspension_check_interval_seconds:
            return
        self._last_suspension_check = now
        super().check_for_suspension(burst)

    def set_state(self, state: str, pipeline=None) -> None:
        if pipeline is None and state == getattr(self, "_state", None):
            return
        super().set_state(state, pipeline)

    def handle_execution_ended(self, job, queue, heartbeat_ttl: int) -> None:
        job.ended_at = rq_now()

    _preparation = None  # prepare_execution's transaction, sent by prepare_job_execution

    def execute_job(self, job, queue) -> None:
        try:
            super().execute_job(job, queue)
        finally:
            self._drop_preparation()

    def prepare_execution(self, job) -> Execution:
        """``rq.executions.prepare_execution``, queued instead of sent: ``perform_job`` calls
        ``prepare_job_execution`` next, in the same thread, and that sends both."""
        self._drop_preparation()
        pipeline = self._preparation = self.connection.pipeline()
        execution = Execution.create(job, self.get_heartbeat_ttl(job), pipeline=pipeline, worker_name=self.name)
        self.executions[execution.id] = execution
        self.set_state(WorkerStatus.BUSY, pipeline=pipeline)
        return execution

    def prepare_job_execution(self, job, remove_from_intermediate_queue: bool = False) -> None:
        pipeline, self._preparation = self._preparation or self.connection.pipeline(), None
        with pipeline:
            heartbeat_ttl = self.get_heartbeat_ttl(job)
            self.heartbeat(heartbeat_ttl, pipeline=pipeline)
            job.heartbeat(rq_now(), heartbeat_ttl, pipeline=pipeline)
            job.prepare_for_execution(self.name, pipeline=pipeline)
            pipeline.persist(job.key)
            if remove_from_intermediate_queue:
                pipeline.lrem(Queue(job.origin, connection=self.connection).intermediate_queue_key, 1, job.id)
            pipeline.execute()
        self.procline(f"Processing {job.func_name} from {job.origin} since {time.time()}")

    def _drop_preparation(self) -> None:
        if self._preparation is not None:
            self._preparation.reset()
            self._preparation = None

    def cleanup_execution(self, job, pipeline, execution=None) -> None:
        """Every end of a job (success, failure, retry) is one transaction; "idle" joins it."""
        super().cleanup_execution(job, pipeline=pipeline, execution=execution)
        self.set_state(WorkerStatus.IDLE, pipeline=pipeline)

    def handle_job_success(self, job, queue, started_job_registry, execution) -> None:
        """RQ's success transaction without the dependents step, for ``JOBS_WITHOUT_DEPENDENTS``."""
        if job.func_name not in JOBS_WITHOUT_DEPENDENTS or job.repeats_left:
            super().handle_job_success(job, queue, started_job_registry, execution)
            return
        with self.connection.pipeline() as pipeline:
            self.increment_successful_job_count(pipeline=pipeline)
            self.increment_total_working_time(job.ended_at - job.started_at, pipeline)
            result_ttl = job.get_result_ttl(self.default_result_ttl)
            if result_ttl != 0:
                job._handle_success(
                    result_ttl,
                    pipeline=pipeline,
                    worker_name=self.name,
                    execution_id=execution.id,
                    execution_started_at=execution.created_at,
                    execution_ended_at=job.ended_at,
                )
            job.cleanup(result_ttl, pipeline=pipeline, remove_from_queue=False)
            job._status = JobStatus.FINISHED
            self.cleanup_execution(job, pipeline=pipeline, execution=execution)
            pipeline.execute()
        release_slot(job)
        log.debug("worker %s: job %s succeeded in %s", self.name, job.id, job.ended_at - job.started_at)


if __name__ == "__main__":
    try:
        run_worker(get_settings(), burst=os.environ.get("FAZHI_WORKER_BURST") == "1")
    except EvictionPolicyError as exc:
        raise SystemExit(f"fazhi worker: {exc}") from None
