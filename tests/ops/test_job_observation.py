"""What a worker's run of a job adds to the metrics, and the ids it binds to log lines."""

from __future__ import annotations

import io
import json
import logging

import pytest

from fazhi.observability import jobs as observe
from fazhi.observability import logs, metrics
from workers.jobstore import JobRecord, Status


class _Store:
    """Just enough of JobStore: the record at the end, the ids in the hash."""

    def __init__(self, record: JobRecord | None, ids: dict[str, bytes]):
        self.record, self.ids = record, ids
        store = self

        class _R:
            @staticmethod
            def hmget(_key, *fields):
                return [store.ids.get(f) for f in fields]

        self.r = _R()

    def get(self, _job_id):
        return self.record


def _finished(status: str, code: str) -> float:
    return metrics.JOBS_FINISHED.labels(status, code)._value.get()


def _record(status: Status, code: str | None = None, pages: int | None = None) -> JobRecord:
    return JobRecord(id="j", status=status, created_at="2026-01-01T00:00:00.000Z", started_at="2026-01-01T00:00:02.500Z",
                     error_code=code, pages_total=pages, attempts=1)  # fmt: skip


@pytest.mark.parametrize(("status", "code"), [(Status.SUCCEEDED, None), (Status.FAILED, "input.encrypted"), (Status.CANCELED, None)])
def test_job_observation_counts_the_final_status(status, code):
    before = _finished(status.value, code or "")
    waits = metrics.JOB_QUEUE_WAIT._sum.get()
    with observe.observe_job("j", _Store(_record(status, code), {})):
        observe.started()
    assert _finished(status.value, code or "") - before == 1
    assert metrics.JOB_QUEUE_WAIT._sum.get() - waits == pytest.approx(2.5)


def test_job_observation_skipped_job_is_not_counted():
    before = _finished("canceled", "")
    with observe.observe_job("j", _Store(_record(Status.CANCELED), {})):
        pass  # store.start refused: the job was canceled while queued
    assert _finished("canceled", "") == before


def test_job_observation_pages_and_stages():
    pages = metrics.JOB_PAGES._sum.get()
    ingest = metrics.STAGE_DURATION.labels("ingest")._sum.get()
    with observe.observe_job("j", _Store(_record(Status.SUCCEEDED, pages=12), {})):
        observe.started()
        observe.stage("ingest")
        observe.stage("ingest")  # progress reports repeat a stage: timed once
        observe.stage("normalise")
    assert metrics.JOB_PAGES._sum.get() - pages == 12
    assert metrics.STAGE_DURATION.labels("ingest")._sum.get() > ingest


def test_job_observation_binds_ids_and_logs_the_outcome():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    try:
        logs.configure("INFO", "json", out)
        store = _Store(_record(Status.FAILED, "parse.timeout"), {"request_id": b"req-abc"})
        with observe.observe_job("job-xyz", store):
            observe.started()
            logging.getLogger("workers.jobs").info("working")
        logging.getLogger("workers.jobs").info("after")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    working, ended, after = (json.loads(line) for line in out.getvalue().splitlines())
    assert (working["job_id"], working["request_id"]) == ("job-xyz", "req-abc")
    assert ended["event"] == "job ended" and ended["status"] == "failed" and ended["error_code"] == "parse.timeout"
    assert "job_id" not in after


def test_job_observation_requeue_and_lost_helpers():
    shutdown = metrics.JOBS_REQUEUED.labels("shutdown")._value.get()
    lost = _finished("failed", "worker.lost")
    observe.requeued("shutdown")
    observe.lost()
    assert metrics.JOBS_REQUEUED.labels("shutdown")._value.get() - shutdown == 1
    assert _finished("failed", "worker.lost") - lost == 1
