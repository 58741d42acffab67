"""The RQ worker loop's Redis connections outlast its blocking dequeue.

redis-py 8 gives connections a 5 s socket timeout by default; RQ's idle dequeue is a BLPOP of up to
405 s. RQ raises the pool's timeout when the worker is built, but a connection the pool opened
before that keeps 5 s. When the worker shared one client with our start-up commands, an idle worker
sometimes got such a connection, timed out after 5 s, logged "could not connect to Redis instance"
and slept 1, 2, 4 ... s before listening again (seen in the benchmark's logs).
"""

from __future__ import annotations

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

