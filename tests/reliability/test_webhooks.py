"""Webhooks: SSRF refusal at submit, HMAC signature, delivery from a worker, retry with back-off."""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest
from msgspec.structs import replace

from tests.reliability._support import make_client  # noqa: F401 - fixture
from tests.service.test_api import REPORT, assert_problem
from workers import webhooks

SECRET = "test-webhook-secret"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://224.0.0.1/hook",
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "http://user:pw@example.org/hook",
        "/relative/hook",
        "http://no-such-host.invalid/hook",
        "http://[::1/hook",
    ],
)
def test_webhooks_refuse_private_and_bad_urls(url):
    with pytest.raises(webhooks.CallbackUrlError):
        webhooks.check_url(url, allow_private=False)


def test_webhooks_public_address_is_allowed_and_private_only_when_configured():
    assert webhooks.check_url("https://8.8.8.8/hook", allow_private=False)
    assert webhooks.check_url("http://127.0.0.1:9/hook", allow_private=True)


def test_webhooks_submit_refuses_private_callback_with_422(make_client):
    client = make_client(webhook_secret=SECRET)
    body = assert_problem(client.post("/v1/jobs", json={"text": REPORT, "callback_url": "http://127.0.0.1/x"}), 422, "input.callback_url")
    assert "private" in body["detail"] or "loopback" in body["detail"]
    assert_problem(
        client.post("/v1/jobs", params={"callback_url": "http://169.254.169.254/"}, content=REPORT.encode(), headers={"content-type": "text/plain"}),
        422,
        "input.callback_url",
    )
    files = {"file": ("a.txt", REPORT.encode(), "text/plain")}
    assert_problem(client.post("/v1/jobs", files=files, data={"callback_url": "http://10.0.0.1/"}), 422, "input.callback_url")


def test_webhooks_submit_without_secret_is_422(make_client):
    client = make_client(webhook_allow_private=True)
    body = assert_problem(client.post("/v1/jobs", json={"text": REPORT, "callback_url": "http://127.0.0.1/x"}), 422, "input.callback_url")
    assert "FAZHI_WEBHOOK_SECRET" in body["detail"]


def test_webhooks_signature_verifies_and_detects_tampering():
    body = b'{"event":"job.finished"}'
    now = int(time.time())
    signature = webhooks.sign(SECRET, now, body)
    assert signature.startswith("sha256=") and len(signature) == 71
    assert webhooks.verify(SECRET, str(now), body, signature)
    assert not webhooks.verify(SECRET, str(now), body + b" ", signature)
    assert not webhooks.verify("other", str(now), body, signature)
    assert not webhooks.verify(SECRET, str(now - 3600), body, webhooks.sign(SECRET, now - 3600, body))  # replayed


class _Receiver:
    """A local HTTP receiver that fails the first ``fail_first`` calls with 500."""

    def __init__(self, fail_first: int = 0):
        self.calls: list[dict] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                data = self.rfile.read(int(self.headers["content-length"]))
                receiver.calls.append({"headers": dict(self.headers), "body": data, "at": time.monotonic()})
                self.send_response(500 if len(receiver.calls) <= receiver.fail_first else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?src=fazhi"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.calls) >= count, f"{len(self.calls)} webhook calls, expected {count}"


def test_webhooks_delivered_signed_and_retried_after_a_failure(settings, redis_conn, redis_server):
    from litestar.testing import TestClient

    from service.app import create_app
    from tests.conftest import start_worker, stop_worker, wait_for_worker

    receiver = _Receiver(fail_first=1)
    env = {"FAZHI_WEBHOOK_SECRET": SECRET, "FAZHI_WEBHOOK_ALLOW_PRIVATE": "1", "FAZHI_WEBHOOK_QUEUE_NAME": "hooks-test"}
    proc = start_worker(redis_server.url, "hook-q", env)
    app_settings = replace(settings, queue_name="hook-q", webhook_secret=SECRET, webhook_allow_private=True, webhook_queue_name="hooks-test")
    try:
        wait_for_worker(redis_server.url, "hook-q", proc)
        with TestClient(app=create_app(app_settings)) as client:
            job_id = client.post("/v1/jobs", json={"text": REPORT, "callback_url": receiver.url}).json()["id"]
            assert client.get(f"/v1/jobs/{job_id}", params={"wait": 20}).json()["status"] == "succeeded"
            receiver.wait(2, timeout=30)  # first answered 500, retried after the back-off
        first, second = receiver.calls[:2]
        assert second["at"] - first["at"] >= webhooks.BACKOFF_SECONDS[0] - 1
        for call in (first, second):
            headers = {k.lower(): v for k, v in call["headers"].items()}
            assert headers["x-fazhi-job"] == job_id
            assert webhooks.verify(SECRET, headers["x-fazhi-timestamp"], call["body"], headers["x-fazhi-signature"])
        notice = json.loads(second["body"])
        assert notice["job"]["id"] == job_id and notice["job"]["status"] == "succeeded"
        assert notice["result_url"] == f"/v1/jobs/{job_id}/result"
        time.sleep(1.5)
        assert len(receiver.calls) == 2  # a 2xx ends the deliveries
    finally:
        stop_worker(proc)
        receiver.server.shutdown()


def test_webhooks_cancel_through_the_api_notifies(settings, redis_conn, make_client):
    from rq import Queue

    client = make_client(webhook_secret=SECRET, webhook_allow_private=True, webhook_queue_name="hooks-cancel")
    redis_conn.delete("rq:queue:hooks-cancel")
    job_id = client.post("/v1/jobs", json={"text": REPORT, "callback_url": "http://127.0.0.1:9/x"}).json()["id"]
    assert client.delete(f"/v1/jobs/{job_id}").json()["status"] == "canceled"
    queued = Queue("hooks-cancel", connection=redis_conn).get_job_ids()
    assert len(queued) == 1
