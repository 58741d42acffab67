"""Lost workers: heartbeats, the sweeper's requeue/fail decisions, and shutdown put-back."""

from __future__ import annotations

import time

import pytest
from msgspec.structs import replace

from tests.service.test_api import REPORT
from workers.jobstore import RUNNING_SET, JobStore, Status, heartbeat_key
from workers.sweeper import Heartbeat, put_back, sweep_once


@pytest.fixture
def queued(client, redis_conn, settings):
    """A fresh job on queue 'sweep-q' (nobody serves it), and a store with a 0.3 s heartbeat."""
    from litestar.testing import TestClient

    from service.app import create_app

    redis_conn.delete("rq:queue:sweep-q")
    with TestClient(app=create_app(replace(settings, queue_name="sweep-q"))) as c:
        job_id = c.post("/v1/jobs", json={"text": REPORT}).json()["id"]
    redis_conn.delete("rq:queue:sweep-q")  # as if a worker had taken it
    store = JobStore(redis_conn, retention_seconds=settings.retention_seconds, heartbeat_ttl_seconds=0.3)
    return job_id, store


def _queue(redis_conn) -> list[str]:
    return [x.decode() for x in redis_conn.lrange("rq:queue:sweep-q", 0, -1)]


def test_sweeper_requeues_a_job_whose_heartbeat_expired(queued, settings, redis_conn):
    job_id, store = queued
    assert store.start(job_id, "dead-worker") == 1
    assert redis_conn.sismember(RUNNING_SET, job_id)
    assert sweep_once(store, settings) == {"alive": 1}  # heartbeat still fresh
    time.sleep(0.4)
    assert sweep_once(store, settings) == {"requeued": 1}
    record = store.get(job_id)
    assert record.status == Status.QUEUED and record.attempts == 1 and record.stage == "requeued"
    assert len(_queue(redis_conn)) == 1 and _queue(redis_conn)[0].startswith(f"{job_id}-r1")
    assert not redis_conn.sismember(RUNNING_SET, job_id)
    assert sweep_once(store, settings) == {}


def test_sweeper_fails_worker_lost_after_max_attempts(queued, settings, redis_conn):
    job_id, store = queued
    for attempt in range(1, 4):
        assert store.start(job_id) == attempt
        time.sleep(0.35)
        outcome = sweep_once(store, replace(settings, max_attempts=3))
    assert outcome == {"exhausted": 1}
    record = store.get(job_id)
    assert record.status == Status.FAILED
    assert (record.error_code, record.error_retryable) == ("worker.lost", True)
    assert "3 times" in record.error_message
    assert not redis_conn.sismember(RUNNING_SET, job_id)
    assert len(_queue(redis_conn)) == 2  # requeued twice, then given up


def test_sweeper_heartbeat_thread_keeps_a_long_job_alive(queued, settings, redis_conn):
    job_id, store = queued
    store.start(job_id)
    with Heartbeat(store, job_id, 0.075):
        time.sleep(0.8)
        assert sweep_once(store, settings) == {"alive": 1}
    assert redis_conn.pttl(heartbeat_key(job_id)) > 0


def test_sweeper_heartbeat_stops_at_exit_and_one_thread_serves_every_job(queued, redis_conn):
    import threading

    job_id, store = queued
    store.start(job_id)
    # A marker value rather than a deleted key: a sweeper running meanwhile must still see the job alive.
    beat = heartbeat_key(job_id)
    for _ in range(3):
        with Heartbeat(store, job_id, 0.05):
            redis_conn.set(beat, "marker", px=60_000)
            deadline = time.monotonic() + 5  # generous: a loaded 2-core box may delay the thread
            while redis_conn.get(beat) == b"marker" and time.monotonic() < deadline:
                time.sleep(0.02)
            assert redis_conn.get(beat) not in (b"marker", None)  # refreshed while inside
    time.sleep(0.5)  # a refresh already in flight at the exit may still land (harmless: see Heartbeat)
    redis_conn.set(beat, "marker", px=60_000)
    time.sleep(0.3)
    assert redis_conn.get(beat) == b"marker"  # none after the job left
    assert [t.name for t in threading.enumerate()].count("job-heartbeats") == 1


def test_sweeper_finished_jobs_leave_the_running_set(queued, settings, redis_conn):
    job_id, store = queued
    store.start(job_id)
    store.succeed(job_id, b"{}")
    assert not redis_conn.sismember(RUNNING_SET, job_id)
    assert redis_conn.exists(heartbeat_key(job_id)) == 0
    assert store.beat(job_id) is False  # a late heartbeat does not recreate the key
    assert redis_conn.exists(heartbeat_key(job_id)) == 0


def test_sweeper_shutdown_put_back_does_not_use_an_attempt(queued, settings, redis_conn):
    job_id, store = queued
    store.start(job_id)
    assert put_back(store, settings, job_id, max_attempts=None, uncount=True) == "requeued"
    record = store.get(job_id)
    assert record.status == Status.QUEUED and record.attempts == 0
    assert len(_queue(redis_conn)) == 1 and _queue(redis_conn)[0].startswith(f"{job_id}-r")


def test_sweeper_does_not_touch_canceled_jobs(queued, settings, redis_conn):
    job_id, store = queued
    store.start(job_id)
    store.cancel(job_id)
    time.sleep(0.35)
    assert sweep_once(store, settings) == {}
    assert store.get(job_id).status == Status.CANCELED and _queue(redis_conn) == []


def test_sweeper_lost_job_runs_again_on_a_live_worker(settings, redis_conn, redis_server):
    """End to end: a job left 'running' by a dead worker is noticed and finished by another."""
    from litestar.testing import TestClient

    from service.app import create_app
    from tests.conftest import start_worker, stop_worker, wait_for_worker

    redis_conn.delete("rq:queue:lost-q")
    with TestClient(app=create_app(replace(settings, queue_name="lost-q"))) as client:
        job_id = client.post("/v1/jobs", json={"text": REPORT}).json()["id"]
        redis_conn.delete("rq:queue:lost-q")  # the dead worker had taken it...
        JobStore(redis_conn, retention_seconds=60, heartbeat_ttl_seconds=1).start(job_id, "dead")  # ...and started it
        lost_at = time.monotonic()
        proc = start_worker(redis_server.url, "lost-q", {"FAZHI_HEARTBEAT_TTL_SECONDS": "1"})
        try:
            wait_for_worker(redis_server.url, "lost-q", proc)
            view = client.get(f"/v1/jobs/{job_id}", params={"wait": 20}).json()
            assert view["status"] == "succeeded", view
            assert view["attempts"] == 2
            assert time.monotonic() - lost_at < 20
        finally:
            stop_worker(proc)


def test_sweeper_rescues_a_job_dequeued_but_never_started(client, settings, redis_conn):
    from litestar.testing import TestClient
    from rq import Queue

    from service.app import create_app
    from workers.sweeper import rescue_stranded

    queue = Queue("strand-q", connection=redis_conn)
    redis_conn.delete(queue.key, queue.intermediate_queue_key)
    with TestClient(app=create_app(replace(settings, queue_name="strand-q"))) as c:
        job_id = c.post("/v1/jobs", json={"text": REPORT}).json()["id"]
    redis_conn.lmove(queue.key, queue.intermediate_queue_key)  # what RQ's dequeue does
    store = JobStore(redis_conn, retention_seconds=60)
    assert rescue_stranded(store, "strand-q", 0.2) == 0  # first sighting: maybe a worker is starting it
    assert rescue_stranded(store, "strand-q", 0.2) == 0  # too soon
    time.sleep(1.1)
    assert rescue_stranded(store, "strand-q", 0.2) == 1
    assert [x.decode() for x in redis_conn.lrange(queue.key, 0, -1)] == [job_id]
    assert redis_conn.llen(queue.intermediate_queue_key) == 0
    # a started job in the intermediate list is left alone
    redis_conn.lmove(queue.key, queue.intermediate_queue_key)
    store.start(job_id)
    time.sleep(1.1)
    assert rescue_stranded(store, "strand-q", 0.2) == 0
