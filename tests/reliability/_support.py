"""Fixtures for the reliability suite: API keys, an app factory with setting overrides, a
durable (AOF) Redis for outage tests, and workers started with their own environment."""

from __future__ import annotations


import pytest
from msgspec.structs import replace

from tests.conftest import RedisServer


class DurableRedis(RedisServer):
    """A redis-server with the append-only file on, as production must run it."""

    persistence = ("--appendonly", "yes", "--appendfsync", "always")


@pytest.fixture
def durable_redis(tmp_path):
    server = DurableRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_client(settings):
    """``make_client(**overrides)`` → a TestClient on an app with those settings."""
    from litestar.testing import TestClient

    from service.app import create_app

    opened = []

    def factory(**overrides):
        client = TestClient(app=create_app(replace(settings, **overrides)))
        client.__enter__()
        opened.append(client)
        return client

    yield factory
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def keys(redis_conn):
    """Two tenants' API keys: {"a": key, "b": key, "a_id": id, ...}."""
    from fazhi.keys import create_key

    a_info, a_key = create_key(redis_conn, "tenant-a")
    b_info, b_key = create_key(redis_conn, "tenant-b")
    return {"a": a_key, "b": b_key, "a_id": a_info.id, "b_id": b_info.id}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
