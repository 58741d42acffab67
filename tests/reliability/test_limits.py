"""Rate limits per tenant, queue back-pressure, Idempotency-Key, and the Redis eviction check."""

from __future__ import annotations

import logging

import pytest

from tests.reliability._support import bearer, keys, make_client  # noqa: F401 - fixtures
from tests.service.test_api import REPORT, assert_problem


def test_limits_rate_limit_is_per_tenant_with_retry_after(make_client, keys):
    client = make_client(rate_limit_per_minute=3)
    for _ in range(3):
        assert client.post("/v1/jobs", json={"text": REPORT}, headers=bearer(keys["a"])).status_code == 202
    response = client.post("/v1/jobs", json={"text": REPORT}, headers=bearer(keys["a"]))
    assert_problem(response, 429, "rate.limited")
    assert 1 <= int(response.headers["retry-after"]) <= 61
    # tenant B is not starved by A's flood
    assert client.post("/v1/jobs", json={"text": REPORT}, headers=bearer(keys["b"])).status_code == 202
    # reads are not rate limited
    assert client.get("/v1/indicators", headers=bearer(keys["a"])).status_code == 200


def test_limits_zero_means_no_rate_limit(make_client):
    client = make_client(rate_limit_per_minute=0)
    assert all(client.post("/v1/jobs", json={"text": REPORT}).status_code == 202 for _ in range(5))


def test_limits_deep_queue_is_503_backend_busy(make_client, redis_conn):
    redis_conn.delete("rq:queue:busy-test")
    client = make_client(max_queue_depth=2, queue_name="busy-test")
    assert client.post("/v1/jobs", json={"text": REPORT}).status_code == 202
    assert client.post("/v1/jobs", json={"text": REPORT}).status_code == 202
    response = client.post("/v1/jobs", json={"text": REPORT})
    assert_problem(response, 503, "backend.busy")
    assert int(response.headers["retry-after"]) > 0


def test_limits_idempotency_same_body_same_job(client, redis_conn):
    queue = client.app.state.backend.queue
    before = redis_conn.llen(queue.key)
    headers = {"Idempotency-Key": "order-42"}
    first = client.post("/v1/jobs", json={"text": REPORT}, headers=headers)
    again = client.post("/v1/jobs", json={"text": REPORT}, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert redis_conn.llen(queue.key) == before + 1  # enqueued once
    other = client.post("/v1/jobs", json={"text": REPORT}, headers={"Idempotency-Key": "order-43"})
    assert other.json()["id"] != first.json()["id"]


def test_limits_idempotency_different_body_is_409(client):
    headers = {"Idempotency-Key": "order-42"}
    assert client.post("/v1/jobs", json={"text": REPORT}, headers=headers).status_code == 202
    assert_problem(client.post("/v1/jobs", json={"text": REPORT + "。"}, headers=headers), 409, "idempotency.conflict")
    assert_problem(client.post("/v1/jobs", json={"text": REPORT, "filename": "b.txt"}, headers=headers), 409, "idempotency.conflict")


def test_limits_idempotency_keys_are_per_tenant(client, keys):
    headers = {"Idempotency-Key": "same"}
    a = client.post("/v1/jobs", json={"text": REPORT}, headers={**headers, **bearer(keys["a"])}).json()["id"]
    b = client.post("/v1/jobs", json={"text": REPORT + "x"}, headers={**headers, **bearer(keys["b"])}).json()["id"]
    assert a != b


def test_limits_idempotency_concurrent_retries_make_one_job(client, redis_conn):
    from concurrent.futures import ThreadPoolExecutor

    before = redis_conn.llen(client.app.state.backend.queue.key)
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: client.post("/v1/jobs", json={"text": REPORT}, headers={"Idempotency-Key": "race"}).json()["id"], range(8)))
    assert len(ids) == 1
    assert redis_conn.llen(client.app.state.backend.queue.key) == before + 1


@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-ttl"])
def test_limits_evicting_redis_is_refused_at_start(private_redis, settings, policy):
    import redis

    from workers.jobstore import EvictionPolicyError, check_eviction_policy

    conn = redis.Redis.from_url(private_redis.url)
    conn.config_set("maxmemory-policy", policy)
    with pytest.raises(EvictionPolicyError, match="noeviction"):
        check_eviction_policy(conn, allow=False, log=logging.getLogger("t"))
    assert check_eviction_policy(conn, allow=True, log=logging.getLogger("t")) == policy
    conn.config_set("maxmemory-policy", "noeviction")
    assert check_eviction_policy(conn, allow=False, log=logging.getLogger("t")) == "noeviction"


def test_limits_evicting_redis_stops_the_api_and_the_worker(private_redis, settings):
    import subprocess
    import sys

    import redis
    from litestar.testing import TestClient
    from msgspec.structs import replace

    from service.app import create_app
    from tests.conftest import ROOT

    redis.Redis.from_url(private_redis.url).config_set("maxmemory-policy", "allkeys-lru")
    with pytest.raises(BaseException) as info:
        with TestClient(app=create_app(replace(settings, redis_url=private_redis.url))):
            pass
    assert "maxmemory-policy" in _messages(info.value)
    with TestClient(app=create_app(replace(settings, redis_url=private_redis.url, allow_eviction=True))) as client:
        assert client.get("/healthz").status_code == 200
    env = {"FAZHI_REDIS_URL": private_redis.url, "FAZHI_QUEUE_NAME": "evict", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "workers.worker"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "maxmemory-policy" in proc.stderr and "FAZHI_ALLOW_EVICTION" in proc.stderr


def test_limits_config_disabled_only_warns(caplog):
    import redis

    from workers.jobstore import check_eviction_policy

    class NoConfig:
        def config_get(self, name):
            raise redis.ResponseError("unknown command 'CONFIG'")

    with caplog.at_level(logging.WARNING):
        assert check_eviction_policy(NoConfig(), allow=False, log=logging.getLogger("t")) is None
    assert "noeviction" in caplog.text


def _messages(exc: BaseException) -> str:
    parts = [str(exc)]
    for inner in getattr(exc, "exceptions", ()):
        parts.append(_messages(inner))
    if exc.__cause__ is not None:
        parts.append(_messages(exc.__cause__))
    return " | ".join(parts)


def test_limits_identical_document_reuses_a_finished_result(e2e_client, redis_conn):
    from tests.service.test_api import wait_done

    text = REPORT + "\n（复用测试）"
    first = e2e_client.post("/v1/jobs", json={"text": text, "filename": "r.txt"}).json()["id"]
    assert wait_done(e2e_client, first)["status"] == "succeeded"
    again = e2e_client.post("/v1/jobs", json={"text": text, "filename": "r.txt"})
    assert again.status_code == 202 and again.json()["status"] == "succeeded"
    second = again.json()["id"]
    assert second != first
    view = e2e_client.get(f"/v1/jobs/{second}").json()
    assert view["attempts"] == 0 and view["progress"]["stage"] == "reused"
    assert e2e_client.get(f"/v1/jobs/{second}/result").json() == e2e_client.get(f"/v1/jobs/{first}/result").json()
    assert e2e_client.delete(f"/v1/jobs/{first}").json()["deleted"] is True
    assert e2e_client.get(f"/v1/jobs/{second}/result").status_code == 200  # a copy, not a link
    # another name is another document: parsed again
    other = e2e_client.post("/v1/jobs", json={"text": text, "filename": "other.txt"}).json()
    assert other["status"] == "queued"


def test_limits_admit_counts_documents_not_requests(settings, redis_conn):
    import asyncio

    from msgspec.structs import replace

    from service.backend import open_backend
    from service.errors import RateLimited
    from service.submit import admit

    async def scenario():
        backend = open_backend(replace(settings, rate_limit_per_minute=10))
        try:
            await admit(backend, "batcher", cost=6)
            await admit(backend, "batcher", cost=4)  # 10: at the limit
            with pytest.raises(RateLimited):
                await admit(backend, "batcher", cost=1)
            await admit(backend, "someone-else", cost=10)
        finally:
            await backend.aredis.aclose()
            backend.sredis.close()

    asyncio.run(scenario())
