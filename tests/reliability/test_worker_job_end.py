"""RQ's bookkeeping around a job in our worker: fewer round trips, the same records.

``workers.worker.Worker`` sends RQ's two preparation transactions as one, writes "idle" inside
the transaction that ends a job, and skips the dependents step for our own parse jobs. RQ's own
records of finished and failed jobs must stay exactly what RQ keeps (``rq info``, the dashboard
and ``job.latest_result()`` read them), and other job functions keep RQ's whole success path.
"""

from __future__ import annotations

import logging
import uuid

import pytest
import redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.results import Result
from rq.serializers import JSONSerializer

from workers import jobs
from workers.jobstore import PARSE_JOB, JobRecord, JobStore, Status, now_iso
from workers.worker import Worker

REPORT = "某某县人民政府2023年法治政府建设年度报告\n一、主要举措\n全年办理行政复议案件126件。\n"


@pytest.fixture
def queue(settings, redis_conn, monkeypatch):
    # A handler of its own keeps RQ from attaching stream handlers to pytest's captured streams
    # (they outlive the test and write to closed files).
    monkeypatch.setattr(logging.getLogger("rq.worker"), "handlers", [logging.NullHandler()])
    jobs.configure(settings, redis_conn)
    # A queue of its own: RQ's keys outlive each test, and other tests leave jobs on the shared one.
    name = f"{settings.queue_name}-job-end-{uuid.uuid4().hex[:8]}"
    return Queue(name, connection=redis_conn, serializer=JSONSerializer)


def _parse_job(store: JobStore, queue: Queue, job_id: str) -> Job:
    record = JobRecord(id=job_id, status=Status.QUEUED, created_at=now_iso(), sha256="x" * 64, media_type="text/plain", filename="a.txt")
    with store.r.pipeline() as pipe:
        store.create(pipe, record, REPORT.encode())
        pipe.execute()
    return queue.enqueue_call(PARSE_JOB, args=(job_id,), job_id=job_id, result_ttl=60, failure_ttl=60)


@pytest.fixture
def dependents_reads(monkeypatch) -> list[tuple]:
    """Commands on a job's dependents set (RQ's WATCH and SMEMBERS on success)."""
    seen: list[tuple] = []
    immediate = redis.client.Pipeline.immediate_execute_command

    def record(self, *args, **options):
        if any(str(a).endswith(":dependents") for a in args[1:2]):
            seen.append(args)
        return immediate(self, *args, **options)

    monkeypatch.setattr(redis.client.Pipeline, "immediate_execute_command", record)
    return seen


@pytest.fixture
def rq_transactions(monkeypatch) -> list[list[str]]:
    """Each MULTI/EXEC this process sends on RQ's keys: the commands in it."""
    sent: list[list[str]] = []
    execute = redis.client.Pipeline.execute

    def record(self, *args, **kwargs):
        commands = [str(c[0][0]) for c in self.command_stack]
        if self.transaction and any(str(c[0][1]).startswith("rq:") for c in self.command_stack if len(c[0]) > 1):
            sent.append(commands)
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", record)
    return sent


def _work(queue: Queue, redis_conn) -> None:
    Worker([queue], connection=redis_conn, serializer=JSONSerializer).work(burst=True, with_scheduler=False)


def test_parse_job_takes_one_preparation_and_one_end_transaction(queue, redis_conn, settings, dependents_reads, rq_transactions):
    store = JobStore(redis_conn, retention_seconds=settings.retention_seconds)

    def burst(ids: list[str]) -> int:
        for job_id in ids:
            _parse_job(store, queue, job_id)
        del rq_transactions[:]
        _work(queue, redis_conn)
        return len(rq_transactions)

    ids = [f"job-rounds-00000000{k}" for k in range(4)]
    one, three = burst(ids[:1]), burst(ids[1:])
    # Two more jobs in the same burst: two more of each per-job transaction (the worker's start
    # and end are the same in both bursts). RQ alone sent three per job (the execution, the
    # start, the end) plus a WATCH and an SMEMBERS for the dependents.
    assert (three - one) / 2 == 2
    assert dependents_reads == []
    for job_id in ids:
        job = Job.fetch(job_id, connection=redis_conn, serializer=JSONSerializer)
        assert job.get_status() == JobStatus.FINISHED
        assert job.latest_result().type == Result.Type.SUCCESSFUL
        assert store.get(job_id).status == Status.SUCCEEDED
        assert job_id in queue.finished_job_registry
        assert job_id not in queue.started_job_registry


def test_other_jobs_keep_rqs_success_path_and_failures_are_recorded(queue, redis_conn, dependents_reads):
    ok = queue.enqueue_call("builtins.len", args=("abc",), result_ttl=60)
    states: list[tuple[str, bool]] = []

    class Recording(Worker):
        def set_state(self, state, pipeline=None):
            states.append((state, pipeline is not None))
            super().set_state(state, pipeline)

    Recording([queue], connection=redis_conn, serializer=JSONSerializer).work(burst=True, with_scheduler=False)
    assert [a[0] for a in dependents_reads] == ["WATCH", "SMEMBERS"]  # RQ's dependents step: not our job
    assert ok.get_status() == JobStatus.FINISHED and ok.latest_result().return_value == 3

    bad = queue.enqueue_call("builtins.int", args=("not a number",), failure_ttl=60)
    Recording([queue], connection=redis_conn, serializer=JSONSerializer).work(burst=True, with_scheduler=False)
    assert bad.get_status() == JobStatus.FAILED and bad.id in queue.failed_job_registry
    assert bad.latest_result().type == Result.Type.FAILED
    assert not queue.started_job_registry.get_job_ids()
    # "busy" in each preparation and "idle" inside each job's end transaction, never on its own
    # between a job and the next dequeue.
    assert states.count(("busy", True)) == 2 and states.count(("idle", True)) == 2
