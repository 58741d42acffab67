"""The RQ worker loop's Redis connections outlast its blocking dequeue.

redis-py 8 gives connections a 5 s socket timeout by default; RQ's idle dequeue is a BLPOP of up to
405 s. RQ raises the pool's timeout when the worker is built, but a connection the pool opened
before that keeps 5 s. When the worker shared one client with our start-up commands, an idle worker
sometimes got such a connection, timed out after 5 s, logged "could not connect to Redis instance"
and slept 1, 2, 4 ... s before listening again (seen in the benchmark's logs).
"""

from __future__ import annotations

import os

import pytest
from rq import Queue
from rq.serializers import JSONSerializer

from workers.worker import Worker, connect, connect_queue


def test_every_queue_connection_outlasts_the_blocking_dequeue(settings):
    store_connection = connect(settings)
    store_connection.ping()  # start-up commands run first, as in run_worker
    queue_connection = connect_queue(settings)
    queue = Queue(settings.queue_name, connection=queue_connection, serializer=JSONSerializer)
    worker = Worker([queue], connection=queue_connection, serializer=JSONSerializer)
    queue_connection.ping()
    pool = queue_connection.connection_pool
    connections = [pool.get_connection() for _ in range(3)]  # the pooled one and fresh ones
    try:
        for conn in connections:
            assert conn.socket_timeout is not None and conn.socket_timeout > worker.dequeue_timeout
    finally:
        for conn in connections:
            pool.release(conn)
        queue_connection.close()
        store_connection.close()



@pytest.fixture
def registered(settings, redis_conn, monkeypatch):
    """A registered Worker and the clock its intervals read (a one-item list to move forward)."""
    from workers import worker as worker_module

    now = [1000.0]
    monkeypatch.setattr(worker_module.time, "monotonic", lambda: now[0])
    queue = Queue(settings.queue_name, connection=redis_conn, serializer=JSONSerializer)
    worker = Worker([queue], connection=redis_conn, serializer=JSONSerializer)
    worker.register_birth()
    try:
        yield worker, now
    finally:
        worker.register_death()


def test_worker_renews_its_registration_at_most_once_an_interval(registered, redis_conn):
    """RQ calls heartbeat() around every dequeue and job; only one in an interval reaches Redis,
    while pipelined renewals (a job's preparation, with its own TTL) always go through."""
    worker, now = registered
    worker.heartbeat()
    first = redis_conn.hget(worker.key, "last_heartbeat")
    redis_conn.hset(worker.key, "last_heartbeat", "marker")
    for _ in range(5):
        worker.heartbeat()
    assert redis_conn.hget(worker.key, "last_heartbeat") == b"marker"  # skipped within the interval
    with redis_conn.pipeline() as pipe:
        worker.heartbeat(600, pipeline=pipe)
        pipe.execute()
    assert redis_conn.hget(worker.key, "last_heartbeat") not in (b"marker", None)
    redis_conn.hset(worker.key, "last_heartbeat", "marker")
    now[0] += worker.heartbeat_min_interval_seconds
    worker.heartbeat()
    assert redis_conn.hget(worker.key, "last_heartbeat") != b"marker" and first is not None
    assert redis_conn.ttl(worker.key) > worker.worker_ttl


def test_worker_still_honours_rq_suspend_and_records_state_changes(registered, redis_conn):
    from rq.exceptions import StopRequested
    from rq.suspension import resume, suspend

    worker, now = registered
    worker.check_for_suspension(burst=True)  # not suspended: returns
    suspend(redis_conn)
    worker.check_for_suspension(burst=True)  # checked a moment ago: not yet seen
    now[0] += worker.suspension_check_interval_seconds
    with pytest.raises(StopRequested):  # seen within the interval
        worker.check_for_suspension(burst=True)
    resume(redis_conn)

    worker.set_state("busy")
    assert redis_conn.hget(worker.key, "state") == b"busy"
    redis_conn.hset(worker.key, "state", "marker")
    worker.set_state("busy")  # unchanged: not written again
    assert redis_conn.hget(worker.key, "state") == b"marker"
    worker.set_state("idle")
    assert redis_conn.hget(worker.key, "state") == b"idle"


def test_worker_process_yields_the_cpu_to_the_api(worker):
    """A worker lowers its own priority by FAZHI_WORKER_NICE (default 10) at start."""
    from fazhi.settings import Settings

    expected = min(os.getpriority(os.PRIO_PROCESS, 0) + Settings().worker_nice, 19)
    assert Settings().worker_nice > 0
    assert os.getpriority(os.PRIO_PROCESS, worker.pid) == expected
