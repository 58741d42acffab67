"""Redis stops with jobs queued (AOF on): the API answers 503, then every job completes."""

from __future__ import annotations

import time

from msgspec.structs import replace

from tests.reliability._support import durable_redis  # noqa: F401 - fixture
from tests.service.test_api import REPORT

QUEUE = "outage-aof"


def test_outage_queued_jobs_survive_a_redis_restart(durable_redis, settings):
    from litestar.testing import TestClient

    from service.app import create_app
    from tests.conftest import start_worker, stop_worker, wait_for_worker

    app_settings = replace(settings, redis_url=durable_redis.url, queue_name=QUEUE)
    with TestClient(app=create_app(app_settings)) as client:
        ids = [client.post("/v1/jobs", json={"text": REPORT + f"\n第{i}份"}).json()["id"] for i in range(12)]
        durable_redis.stop()
        for response in (client.post("/v1/jobs", json={"text": REPORT}), client.get(f"/v1/jobs/{ids[0]}")):
            assert response.status_code == 503 and response.json()["code"] == "backend.unavailable"
            assert int(response.headers["retry-after"]) > 0
        durable_redis.start()  # same port and directory: the AOF brings the jobs back
        assert client.get(f"/v1/jobs/{ids[0]}").json()["status"] == "queued"  # the API reconnected by itself
        proc = start_worker(durable_redis.url, QUEUE)
        try:
            wait_for_worker(durable_redis.url, QUEUE, proc)
            deadline = time.monotonic() + 60
            statuses = {}
            for job_id in ids:
                while time.monotonic() < deadline:
                    statuses[job_id] = client.get(f"/v1/jobs/{job_id}", params={"wait": 5}).json()["status"]
                    if statuses[job_id] not in ("queued", "running"):
                        break
            assert set(statuses.values()) == {"succeeded"}, statuses
        finally:
            stop_worker(proc)


def test_outage_worker_rides_out_a_restart_mid_queue(durable_redis, settings):
    """A worker that is up during the outage reconnects and finishes what was queued."""
    from litestar.testing import TestClient

    from service.app import create_app
    from tests.conftest import start_worker, stop_worker, wait_for_worker

    proc = start_worker(durable_redis.url, QUEUE, {"FAZHI_HEARTBEAT_TTL_SECONDS": "1"})
    try:
        wait_for_worker(durable_redis.url, QUEUE, proc)
        with TestClient(app=create_app(replace(settings, redis_url=durable_redis.url, queue_name=QUEUE))) as client:
            before = client.post("/v1/jobs", json={"text": REPORT}).json()["id"]
            durable_redis.stop()
            time.sleep(2)
            durable_redis.start()
            after = None
            deadline = time.monotonic() + 10
            while after is None and time.monotonic() < deadline:
                response = client.post("/v1/jobs", json={"text": REPORT})
                after = response.json()["id"] if response.status_code == 202 else None
            for job_id in (before, after):
                view = client.get(f"/v1/jobs/{job_id}", params={"wait": 25}).json()
                assert view["status"] == "succeeded", view
        assert proc.poll() is None
    finally:
        stop_worker(proc)
