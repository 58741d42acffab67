"""`fazhi serve` with real jobs: /metrics moves, and the ids travel from the request into the worker's logs."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests._cli_support import clean_env, seed_text
from tests.test_serve_e2e import Served, _wait_terminal

REQUEST_ID = "ops-e2e-7f3a"


def scrape(client: httpx.Client) -> dict[tuple[str, tuple], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples, name: str, **labels: str) -> float:
    """Sum over every label set that includes ``labels``."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


@pytest.fixture
def served(tmp_path):
    s = Served(tmp_path, clean_env(FAZHI_LOG_FORMAT="json"), workers=1)
    try:
        yield s
    finally:
        s.kill()


def test_observability_metrics_move_and_ids_reach_worker_logs(served):
    text = seed_text()
    base = served.wait_ready()
    with httpx.Client(base_url=base, timeout=30) as client:
        before = scrape(client)
        ids = []
        for i in range(2):
            headers = {"X-Request-ID": f"{REQUEST_ID}-{i}"}
            posted = client.post("/v1/jobs", json={"text": text, "filename": f"r{i}.txt"}, headers=headers)
            assert posted.status_code == 202, posted.text
            assert posted.headers["x-request-id"] == f"{REQUEST_ID}-{i}"
            ids.append(posted.json()["id"])
        for job_id in ids:
            assert _wait_terminal(client, f"/v1/jobs/{job_id}")["status"] == "succeeded"
        generated = client.get("/healthz").headers["x-request-id"]
        assert len(generated) >= 16  # none sent: one is made
        # The worker counts a job after it records the outcome; give the scrape a moment.
        deadline = time.monotonic() + 10
        while True:
            after = scrape(client)
            done = value(after, "fazhi_jobs_finished_total", status="succeeded", error_code="")
            if done - value(before, "fazhi_jobs_finished_total", status="succeeded", error_code="") >= 2:
                break
            assert time.monotonic() < deadline, "fazhi_jobs_finished_total did not move"
            time.sleep(0.2)

    assert total(after, "fazhi_jobs_submitted_total") - total(before, "fazhi_jobs_submitted_total") == 2
    assert total(after, "fazhi_job_duration_seconds_count", status="succeeded") >= 2
    assert total(after, "fazhi_job_queue_wait_seconds_count") >= 2
    assert total(after, "fazhi_job_stage_duration_seconds_count", stage="ingest") >= 2
    posts = total(after, "fazhi_http_requests_total", method="POST", route="/v1/jobs", status="202")
    assert posts - total(before, "fazhi_http_requests_total", method="POST", route="/v1/jobs", status="202") == 2
    assert total(after, "fazhi_http_request_duration_seconds_count", method="POST", route="/v1/jobs") >= 2
    # Job ids never become label values: routes are templates.
    assert not [ls for (n, ls) in after if n == "fazhi_http_requests_total" and any(ids[0] in v for _, v in ls)]
    assert value(after, "fazhi_redis_up") == 1
    assert value(after, "fazhi_queue_depth", queue="fazhi") == 0
    assert value(after, "fazhi_queue_oldest_job_age_seconds", queue="fazhi") == 0
    assert value(after, "fazhi_workers", queue="fazhi") == 1
    assert ("fazhi_jobs_running", ()) in after

    assert served.terminate() == 0
    lines = [json.loads(line) for line in served.stderr.splitlines() if line.startswith("{")]
    for i, job_id in enumerate(ids):
        ended = [e for e in lines if e.get("event") == "job ended" and e.get("job_id") == job_id]
        assert ended, f"no 'job ended' line for {job_id}"
        assert ended[0]["request_id"] == f"{REQUEST_ID}-{i}"
        assert ended[0]["status"] == "succeeded" and ended[0]["logger"] == "fazhi.jobs"
    assert all({"timestamp", "level", "event"} <= set(e) for e in lines)


def test_observability_worker_pool_serves_its_own_metrics(tmp_path, redis_server, settings):
    """`fazhi worker --count 2` in a container: the pool serves every child's job metrics on one port."""
    import subprocess

    from litestar.testing import TestClient
    from msgspec.structs import replace

    from service.app import create_app
    from tests._cli_support import FAZHI, free_port

    queue = "fazhi-ops-pool"
    port = free_port()
    env = clean_env(FAZHI_REDIS_URL=redis_server.url, FAZHI_QUEUE_NAME=queue, FAZHI_WORKER_METRICS_PORT=str(port),
                    FAZHI_DATA_DIR=str(tmp_path / "data"), FAZHI_LOG_FORMAT="json")  # fmt: skip
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (tmp_path / "pool.log").open("wb")
    proc = subprocess.Popen([*FAZHI, "worker", "--count", "2"], env=env, stderr=log, stdout=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "pool.log").read_text()
            time.sleep(0.1)
        with TestClient(app=create_app(replace(settings, queue_name=queue))) as api:
            for _ in range(2):
                assert api.post("/v1/jobs", json={"text": "2023年共办理行政复议案件12件。"}).status_code == 202
        while True:
            samples = {}
            for family in text_string_to_metric_families(httpx.get(f"http://127.0.0.1:{port}/metrics").text):
                for s in family.samples:
                    samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
            if value(samples, "fazhi_jobs_finished_total", status="succeeded", error_code="") == 2:
                break
            assert time.monotonic() < deadline + 30, (tmp_path / "pool.log").read_text()
            time.sleep(0.2)
        assert total(samples, "fazhi_job_duration_seconds_count") == 2
        probes = {path: httpx.get(f"http://127.0.0.1:{port}{path}").status_code for path in ("/healthz", "/readyz", "/nope")}
        assert probes == {"/healthz": 200, "/readyz": 200, "/nope": 404}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    assert proc.returncode == 0


def test_observability_worker_readyz_fails_without_redis(tmp_path):
    from fazhi.observability import workerhttp
    from tests._cli_support import free_port

    port = free_port()
    server = workerhttp.start(port, "redis://127.0.0.1:1/0", host="127.0.0.1")
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert answer.status_code == 503 and "redis" in answer.text
    finally:
        server.shutdown()
