"""The API's request id, HTTP metrics labels, the ids stored with a job, and ``GET /metrics``."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from fazhi.observability import asgi, metrics
from workers.jobstore import job_key


def _samples(text: str) -> dict:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.parametrize(
    ("sent", "kept"),
    [(b"abc-123", True), (b"0af7651916cd43dd8448eb211c80319c", True), (b"x" * 129, False), (b"bad id", False),
     (b"\xe4\xb8\xad", False), (b"", False)],
)  # fmt: skip
def test_asgi_request_id_kept_only_when_sane(sent, kept):
    got = asgi.request_id_from([(b"X-Request-ID", sent)])
    assert (got == sent.decode("latin-1")) is kept
    assert 1 <= len(got) <= 128


def test_asgi_echoes_or_makes_request_id(client):
    answer = client.get("/healthz", headers={"X-Request-ID": "caller-42"})
    assert answer.headers["x-request-id"] == "caller-42"
    made = client.get("/healthz").headers["x-request-id"]
    again = client.get("/healthz").headers["x-request-id"]
    assert made != again and len(made) == 32


def test_asgi_request_id_on_error_answers(client):
    answer = client.get("/v1/jobs/does-not-exist", headers={"X-Request-ID": "caller-404"})
    assert answer.status_code == 404
    assert answer.headers["x-request-id"] == "caller-404"


def test_asgi_labels_route_templates_not_paths(client):
    def count(route: str, status: str) -> float:
        return metrics.HTTP_REQUESTS.labels("GET", route, status)._value.get()

    route = "/v1/jobs/{job_id}"
    before = count(route, "404")
    client.get("/v1/jobs/first-missing")
    client.get("/v1/jobs/second-missing")
    assert count(route, "404") - before == 2
    families = {f.name: f for f in metrics.HTTP_REQUESTS.collect()}
    routes = {s.labels["route"] for s in families["fazhi_http_requests"].samples}
    assert not any("missing" in r for r in routes)


def test_asgi_unknown_methods_do_not_become_label_values(client):
    assert client.request("BREW", "/healthz").status_code == 405
    labels = {s.labels["method"] for f in metrics.HTTP_REQUESTS.collect() for s in f.samples}
    assert "BREW" not in labels and "other" in labels


def test_asgi_unmatched_paths_get_an_id_and_one_label(client):
    before = metrics.HTTP_REQUESTS.labels("GET", "unmatched", "404")._value.get()
    for path in ("/nope", "/v2/anything", "/v1/jobs/a/b/c/d"):
        answer = client.get(path, headers={"X-Request-ID": "lost-1"})
        assert answer.status_code == 404 and answer.headers["x-request-id"] == "lost-1"
    assert metrics.HTTP_REQUESTS.labels("GET", "unmatched", "404")._value.get() - before == 3


def test_api_submit_stores_request_id_with_the_job(client, redis_conn):
    posted = client.post("/v1/jobs", json={"text": "2023年共办理行政复议案件12件。"}, headers={"X-Request-ID": "submit-77"})
    assert posted.status_code == 202, posted.text
    job_id = posted.json()["id"]
    assert redis_conn.hget(job_key(job_id), "request_id") == b"submit-77"
    assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "queued"  # the extra field does not upset readers


def test_api_metrics_endpoint_counts_submissions_and_reads_redis(client, redis_conn, settings):
    before = _samples(client.get("/metrics").text)
    for _ in range(3):
        assert client.post("/v1/jobs", json={"text": "2023年共办理行政复议案件12件。"}).status_code == 202
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    after = _samples(answer.text)
    key = ("fazhi_jobs_submitted_total", (("media_type", "text/plain"),))
    assert after[key] - before.get(key, 0) == 3
    queue = settings.queue_name
    assert after[("fazhi_queue_depth", (("queue", queue),))] >= 3
    assert after[("fazhi_queue_oldest_job_age_seconds", (("queue", queue),))] >= 0
    assert after[("fazhi_redis_up", ())] == 1
    assert "/metrics" not in client.get("/openapi/openapi.json").text
