"""The lean connection pools (``fazhi.redis_pools``) against a real Redis: they skip redis-py's
per-command telemetry and keep its pool behaviour (reuse, reconnecting a dropped connection,
never sharing a connection across a fork, bounded concurrency)."""

from __future__ import annotations

import asyncio
import os

import pytest
import redis
import redis.asyncio
import redis.asyncio.connection
import redis.connection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from fazhi.redis_pools import LeanAsyncConnectionPool, LeanConnectionPool, async_client, sync_client


@pytest.fixture
def telemetry_calls(monkeypatch) -> list[str]:
    """Every call redis-py makes to record a connection count, from either pool module."""
    calls: list[str] = []

    def record(**kwargs) -> None:
        calls.append("sync")

    async def arecord(**kwargs) -> None:
        calls.append("async")

    monkeypatch.setattr(redis.connection, "record_connection_count", record)
    monkeypatch.setattr(redis.asyncio.connection, "record_connection_count", arecord)
    return calls


def _created(pool) -> int:
    return len(pool._available_connections) + len(pool._in_use_connections)


def test_sync_client_skips_telemetry_that_redis_py_records_per_command(redis_server, telemetry_calls):
    plain = redis.Redis.from_url(redis_server.url)
    plain.ping()
    assert telemetry_calls, "redis-py no longer records per command: this module may be unneeded"
    telemetry_calls.clear()

    client = sync_client(redis_server.url)
    assert isinstance(client.connection_pool, LeanConnectionPool)
    client.ping()
    telemetry_calls.clear()  # redis-py records a connection's creation once; that is not per command
    for i in range(5):
        client.set("fazhi:pooltest", i)
    assert client.get("fazhi:pooltest") == b"4"
    assert telemetry_calls == []
    assert _created(client.connection_pool) == 1  # one connection, reused
    client.delete("fazhi:pooltest")
    client.close()
    plain.close()


def test_sync_client_reconnects_after_the_server_dropped_its_connection(redis_server):
    client = sync_client(redis_server.url)
    client.ping()
    killer = redis.Redis.from_url(redis_server.url)
    killed = killer.client_kill_filter(_id=client.client_id())
    assert killed == 1
    assert client.ping() is True  # the dead pooled connection is found and replaced
    client.close()
    killer.close()


def test_sync_client_never_shares_a_connection_with_a_forked_child(redis_server):
    client = sync_client(redis_server.url)
    parent_id = client.client_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its commands must open a connection of its own
        code = 1
        try:
            code = 0 if client.client_id() != parent_id else 2
        finally:
            os.write(write, bytes([code]))
            os._exit(0)
    os.close(write)
    child_code = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    assert child_code == b"\x00"
    assert client.client_id() == parent_id  # and the parent's connection still works
    client.close()


def test_async_client_skips_telemetry_and_reuses_connections_under_concurrency(redis_server, telemetry_calls):
    async def scenario() -> None:
        plain = redis.asyncio.Redis.from_url(redis_server.url)
        await plain.ping()
        assert "async" in telemetry_calls
        telemetry_calls.clear()
        await plain.aclose()

        client = async_client(redis_server.url, max_connections=8)
        pool = client.connection_pool
        assert isinstance(pool, LeanAsyncConnectionPool)
        await client.set("fazhi:pooltest", "v")

        async def read(_: int) -> bytes:
            return await client.get("fazhi:pooltest")

        assert await asyncio.gather(*map(read, range(8))) == [b"v"] * 8
        opened = _created(pool)
        assert 1 <= opened <= 8
        telemetry_calls.clear()  # connections' creation is recorded once each; commands are not
        for _ in range(3):
            assert await asyncio.gather(*map(read, range(8))) == [b"v"] * 8
        assert _created(pool) == opened and not pool._in_use_connections  # reused, all returned
        assert telemetry_calls == []
        await client.delete("fazhi:pooltest")
        await client.aclose()

    asyncio.run(scenario())


def test_async_client_reconnects_after_the_server_dropped_its_connection(redis_server):
    """With the API's retry setting (one retry, no backoff), as redis-py's own pool does."""

    async def scenario() -> None:
        client = async_client(redis_server.url, retry=Retry(NoBackoff(), 1))
        await client.ping()
        own_id = await client.client_id()
        killer = redis.Redis.from_url(redis_server.url)
        assert killer.client_kill_filter(_id=own_id) == 1
        killer.close()
        assert await client.ping() is True
        assert await client.client_id() != own_id
        await client.aclose()

    asyncio.run(scenario())
