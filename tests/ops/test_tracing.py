"""OpenTelemetry: off by default; when on, the request's trace continues into the job."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from fazhi.observability import tracing
from workers.jobstore import job_key

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_PARENT = f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    tracing.setup(True, "test", exporter=exporter)
    yield exporter
    tracing.shutdown()


@pytest.fixture
def run_job_here(settings, redis_conn):
    from workers import jobs

    saved = dict(jobs._state)
    jobs.configure(settings, redis_conn)
    yield jobs.parse_job
    jobs._state.clear()
    jobs._state.update(saved)


def test_tracing_off_by_default(client, redis_conn):
    assert not tracing.enabled()
    posted = client.post("/v1/jobs", json={"text": "2023年共办理行政复议案件12件。"})
    assert redis_conn.hget(job_key(posted.json()["id"]), "traceparent") is None
    assert tracing.traceparent() is None and tracing.current_ids() is None


def test_tracing_request_span_continues_into_the_job(spans, client, redis_conn, run_job_here):
    posted = client.post(
        "/v1/jobs", json={"text": "2023年共办理行政复议案件12件。"}, headers={"traceparent": CALLER_PARENT}
    )
    assert posted.status_code == 202
    job_id = posted.json()["id"]
    stored = redis_conn.hget(job_key(job_id), "traceparent").decode()
    assert stored.split("-")[1] == CALLER_TRACE

    run_job_here(job_id)
    assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "succeeded"

    finished = spans.get_finished_spans()
    (request,) = [s for s in finished if s.name == "POST /v1/jobs"]
    (job,) = [s for s in finished if s.name == "parse_job"]
    assert request.kind == SpanKind.SERVER and job.kind == SpanKind.CONSUMER
    assert format(request.context.trace_id, "032x") == CALLER_TRACE
    assert job.context.trace_id == request.context.trace_id
    assert job.parent.span_id == request.context.span_id
    assert request.attributes["http.response.status_code"] == 202
    assert job.attributes["fazhi.job_id"] == job_id and job.attributes["fazhi.status"] == "succeeded"


def test_tracing_ids_in_log_lines(spans):
    import io
    import json
    import logging

    from fazhi.observability import logs

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    try:
        logs.configure("INFO", "json", out)
        with tracing.job_span("j1", CALLER_PARENT):
            logging.getLogger("x").info("inside")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    event = json.loads(out.getvalue())
    assert event["trace_id"] == CALLER_TRACE and len(event["span_id"]) == 16
