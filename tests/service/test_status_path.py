"""The status read's fast path: one script instead of HGETALL (+ GET), same views and errors."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio

from service import auth
from service.errors import JobExpired, JobNotFound
from service.jobviews import fetch
from tests.service.test_api import REPORT, assert_problem
from workers.jobstore import AsyncJobStore, JobStore, job_key, tombstone_key


def _fetch(settings, job_id: str, owner: str):
    async def go():
        conn = redis.asyncio.Redis.from_url(settings.redis_url)
        try:
            store = AsyncJobStore(conn)
            return await fetch(store, job_id, owner=owner), await store.get(job_id, owner)
        finally:
            await conn.aclose()

    return asyncio.run(go())


def test_jobviews_fetch_reads_the_same_record_as_hgetall(client, settings, redis_conn):
    job_id = client.post("/v1/jobs", json={"text": REPORT}).json()["id"]
    store = JobStore(redis_conn, retention_seconds=settings.retention_seconds)
    store.start(job_id)
    store.fail(job_id, "parse.timeout", "慢 \"quoted\" / é", True)
    fast, slow = _fetch(settings, job_id, "")
    assert fast == slow and fast.error_retryable is True and fast.error_message == "慢 \"quoted\" / é"


def test_jobviews_fetch_hides_another_owners_job_and_reports_tombstones(client, settings, redis_conn):
    job_id = client.post("/v1/jobs", json={"text": REPORT}).json()["id"]
    with pytest.raises(JobNotFound):
        _fetch(settings, job_id, "someone-else")
    redis_conn.delete(job_key(job_id))
    redis_conn.set(tombstone_key(job_id), "\n2026-01-01T00:00:00Z")  # owner "", expired_at
    with pytest.raises(JobExpired):
        _fetch(settings, job_id, "")
    with pytest.raises(JobNotFound):
        _fetch(settings, "B" * 22, "")


def test_auth_key_created_while_serving_is_enforced_after_the_cache_expires(client, redis_conn, monkeypatch):
    from fazhi.keys import create_key

    assert client.get("/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404  # auth off, answer cached
    create_key(redis_conn, "tenant-a")
    monkeypatch.setattr(auth, "ENABLED_TTL_SECONDS", 0.0)
    assert_problem(client.get("/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA"), 401, "auth.required")
