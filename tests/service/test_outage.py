"""Redis goes away and comes back: the API answers 503 quickly and recovers by itself."""

import time

from msgspec.structs import replace


def test_outage_503_with_retry_after_then_recovery(private_redis, settings):
    from litestar.testing import TestClient

    from service.app import create_app

    with TestClient(app=create_app(replace(settings, redis_url=private_redis.url))) as client:
        job_id = client.post("/v1/jobs", json={"text": "报告正文"}).json()["id"]
        assert client.get(f"/v1/jobs/{job_id}").status_code == 200

        private_redis.stop()
        for method, url, kwargs in [
            ("GET", f"/v1/jobs/{job_id}", {}),
            ("GET", f"/v1/jobs/{job_id}?wait=5", {}),
            ("GET", f"/v1/jobs/{job_id}/result", {}),
            ("POST", "/v1/jobs", {"json": {"text": "报告正文"}}),
            ("DELETE", f"/v1/jobs/{job_id}", {}),
            ("GET", "/readyz", {}),
        ]:
            start = time.monotonic()
            response = client.request(method, url, **kwargs)
            assert time.monotonic() - start < 3, (method, url)
            assert response.status_code == 503, (method, url, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "backend.unavailable"
            assert int(response.headers["retry-after"]) > 0
        assert client.get("/healthz").status_code == 200  # the process itself is fine

        private_redis.start()  # same port, empty (the test server keeps no data)
        response = client.post("/v1/jobs", json={"text": "报告正文"})
        assert response.status_code == 202, response.text
        assert client.get(response.headers["location"]).json()["status"] == "queued"


def test_outage_worker_survives_and_resumes(private_redis, settings):
    from litestar.testing import TestClient

    from service.app import create_app
    from tests.conftest import start_worker, stop_worker, wait_for_worker

    proc = start_worker(private_redis.url, "outage")
    try:
        wait_for_worker(private_redis.url, "outage", proc)
        private_redis.stop()
        time.sleep(1.5)
        private_redis.start()
        assert proc.poll() is None, "the worker exited during the outage"
        with TestClient(app=create_app(replace(settings, redis_url=private_redis.url, queue_name="outage"))) as client:
            job_id = client.post("/v1/jobs", json={"text": "全年办理行政复议案件12件。"}).json()["id"]
            deadline = time.monotonic() + 30
            status = "queued"
            while status in ("queued", "running") and time.monotonic() < deadline:
                status = client.get(f"/v1/jobs/{job_id}", params={"wait": 5}).json()["status"]
            assert status == "succeeded"
    finally:
        stop_worker(proc)
