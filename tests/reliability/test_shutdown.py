"""SIGTERM: a warm stop lets the running job finish; a cold stop (second SIGTERM) puts it back."""

from __future__ import annotations

import signal
import time

import pytest
from msgspec.structs import replace

from bench.chaos import make_pdf

QUEUE = "shutdown-q"


@pytest.fixture(scope="module")
def long_pdf():
    # About 5 s of parsing in one process (see WORKER_ENV): the cold stop's second signal comes
    # 1.2 s after the first page, so the job must outlast that by a wide margin on a fast machine.
    return make_pdf(450, 3)


# One parse process, so the parse time does not depend on how many cores the machine has free.
WORKER_ENV = {"FAZHI_PDF_PROCESSES": "1"}


def _running(client, job_id, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = client.get(f"/v1/jobs/{job_id}").json()
        if view["status"] == "running" and (view["progress"]["pages_done"] or 0) >= 1:
            return view
        assert proc.poll() is None
        time.sleep(0.05)
    raise AssertionError("the job never started")


def _app(settings):
    from litestar.testing import TestClient

    from service.app import create_app

    return TestClient(app=create_app(replace(settings, queue_name=QUEUE)))


def test_shutdown_warm_sigterm_finishes_the_running_job(settings, redis_conn, redis_server, long_pdf):
    from tests.conftest import start_worker, stop_worker, wait_for_worker

    redis_conn.delete(f"rq:queue:{QUEUE}")
    proc = start_worker(redis_server.url, QUEUE, WORKER_ENV)
    try:
        wait_for_worker(redis_server.url, QUEUE, proc)
        with _app(settings) as client:
            job_id = client.post("/v1/jobs", content=long_pdf, headers={"content-type": "application/pdf"}).json()["id"]
            _running(client, job_id, proc)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            view = client.get(f"/v1/jobs/{job_id}").json()
            assert view["status"] == "succeeded" and view["attempts"] == 1, view
    finally:
        stop_worker(proc)


def test_shutdown_cold_stop_puts_the_job_back_without_using_an_attempt(settings, redis_conn, redis_server, long_pdf):
    from tests.conftest import start_worker, stop_worker, wait_for_worker

    redis_conn.delete(f"rq:queue:{QUEUE}")
    proc = start_worker(redis_server.url, QUEUE, WORKER_ENV)
    try:
        wait_for_worker(redis_server.url, QUEUE, proc)
        with _app(settings) as client:
            job_id = client.post("/v1/jobs", content=long_pdf, headers={"content-type": "application/pdf"}).json()["id"]
            _running(client, job_id, proc)
            proc.send_signal(signal.SIGTERM)
            time.sleep(1.2)  # RQ ignores a second signal within 1 s
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            view = client.get(f"/v1/jobs/{job_id}").json()
            assert view["status"] == "queued" and view["attempts"] == 0, view
            queued = redis_conn.lrange(f"rq:queue:{QUEUE}", 0, -1)
            assert len(queued) == 1 and queued[0].decode().startswith(f"{job_id}-r")
            second = start_worker(redis_server.url, QUEUE)
            try:
                view = client.get(f"/v1/jobs/{job_id}", params={"wait": 30}).json()
                assert view["status"] == "succeeded" and view["attempts"] == 1, view
            finally:
                stop_worker(second)
    finally:
        stop_worker(proc)
