"""Job store transitions and the parse job, in-process against the real test Redis."""

import threading

import msgspec
import pytest

from workers import jobs
from workers.jobstore import JobRecord, JobStore, Status, events_channel, input_key, job_key, now_iso, result_key

REPORT = "某某县人民政府2023年法治政府建设年度报告\n一、主要举措\n全年办理行政复议案件126件，培训干部3000余人次。\n"


def _new(store: JobStore, job_id: str, data: bytes, media_type: str = "text/plain") -> None:
    record = JobRecord(id=job_id, status=Status.QUEUED, created_at=now_iso(), sha256="x" * 64, media_type=media_type, filename="a.txt")
    with store.r.pipeline() as pipe:
        store.create(pipe, record, data)
        pipe.execute()


@pytest.fixture
def store(redis_conn, settings):
    jobs.configure(settings, redis_conn)
    return JobStore(redis_conn, retention_seconds=settings.retention_seconds)


def test_jobstore_create_and_get(store):
    _new(store, "job-create-000000001", b"abc")
    record = store.get("job-create-000000001")
    assert record.status == Status.QUEUED
    assert record.filename == "a.txt"
    assert record.attempts == 0
    assert store.load_input("job-create-000000001") == b"abc"
    assert store.r.ttl(job_key("job-create-000000001")) == -1  # kept until the job ends


def test_jobstore_cancel_is_never_overwritten_by_late_success(store):
    _new(store, "job-cancel-000000001", b"abc")
    assert store.start("job-cancel-000000001") == 1
    assert store.cancel("job-cancel-000000001") == (True, Status.RUNNING)
    assert store.succeed("job-cancel-000000001", b"{}") is False
    assert store.fail("job-cancel-000000001", "internal", "x", False) is False
    assert store.progress("job-cancel-000000001", stage="outline") is False
    assert store.get("job-cancel-000000001").status == Status.CANCELED
    assert store.r.get(result_key("job-cancel-000000001")) is None


def test_jobstore_start_refuses_canceled_and_missing(store):
    _new(store, "job-start-0000000001", b"abc")
    store.cancel("job-start-0000000001")
    assert store.start("job-start-0000000001") == 0
    assert store.start("job-missing-00000001") == 0
    assert store.r.exists(job_key("job-missing-00000001")) == 0  # no phantom record


def test_jobstore_begin_starts_and_reads_record_and_input_in_one_go(store):
    _new(store, "job-begin-0000000001", b"abc")
    store.r.hset(job_key("job-begin-0000000001"), "stage", "requeued")
    store.r.script_flush()  # Redis restarted since the script was registered: it is loaded again
    attempt, fields, data = store.begin("job-begin-0000000001", "w:1")
    assert (attempt, data) == (1, b"abc")
    assert fields[b"status"] == b"running" and fields[b"stage"] == b"ingest"
    store.cancel("job-begin-0000000001")
    assert store.begin("job-begin-0000000001")[0] == 0


def test_jobstore_finish_returns_the_final_record_and_offers_the_result_for_reuse(store):
    _new(store, "job-finish-000000001", b"abc")
    store.start("job-finish-000000001")
    finish = store.finish("job-finish-000000001", Status.SUCCEEDED, result=b"{}", stage="checks", reuse_key="fazhi:reuse:t:k")
    assert finish.applied and finish.previous == Status.RUNNING
    assert finish.record == store.get("job-finish-000000001")
    assert (finish.record.status, finish.record.stage) == (Status.SUCCEEDED, "checks")
    assert store.r.get("fazhi:reuse:t:k") == b"job-finish-000000001"
    assert 0 < store.r.ttl("fazhi:reuse:t:k") <= store.retention
    late = store.finish("job-finish-000000001", Status.FAILED, error=("internal", "x", True))
    assert late == (False, Status.SUCCEEDED, None)
    _new(store, "job-finish-000000002", b"abc")
    failed = store.finish("job-finish-000000002", Status.FAILED, error=("input.empty", "empty", False), reuse_key="fazhi:reuse:t:k2")
    assert failed.record.error_code == "input.empty" and store.r.exists("fazhi:reuse:t:k2") == 0  # only successes are reused


def test_jobstore_terminal_sets_retention_ttl_and_publishes(store, settings):
    _new(store, "job-ttl-000000000001", b"abc")
    pubsub = store.r.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(events_channel("job-ttl-000000000001"))
    pubsub.get_message(timeout=1)
    store.start("job-ttl-000000000001")
    assert store.succeed("job-ttl-000000000001", b'{"ok":1}')
    for key in (job_key, input_key, result_key):
        ttl = store.r.ttl(key("job-ttl-000000000001"))
        assert settings.retention_seconds - 5 < ttl <= settings.retention_seconds
    message = pubsub.get_message(timeout=2)
    assert message["data"] == b"succeeded"
    record = store.get("job-ttl-000000000001")
    assert record.finished_at and record.finished_at.endswith("Z")
    pubsub.close()


def test_jobstore_concurrent_cancel_and_succeed_have_one_winner(store):
    for i in range(20):
        job_id = f"job-race-{i:012d}"
        _new(store, job_id, b"abc")
        store.start(job_id)
        outcomes = {}
        threads = [
            threading.Thread(target=lambda: outcomes.__setitem__("succeed", store.succeed(job_id, b"{}"))),
            threading.Thread(target=lambda: outcomes.__setitem__("cancel", store.cancel(job_id)[0])),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert outcomes["succeed"] != outcomes["cancel"]
        final = store.get(job_id).status
        assert final == (Status.SUCCEEDED if outcomes["succeed"] else Status.CANCELED)


def test_jobs_parse_job_succeeds_with_result_and_progress(store):
    _new(store, "job-parse-0000000001", REPORT.encode("gbk"))
    jobs.parse_job("job-parse-0000000001")
    record = store.get("job-parse-0000000001")
    assert record.status == Status.SUCCEEDED, record
    assert record.attempts == 1
    from workers.pipeline.runner import STAGES

    assert record.stage == STAGES[-1].NAME  # progress followed the stages to the end
    result = msgspec.json.decode(store.r.get(result_key("job-parse-0000000001")))
    assert result["schema_version"] == "1"
    assert result["document"]["filename"] == "a.txt"
    assert "行政复议" in result["text"]


@pytest.mark.parametrize(
    ("data", "media_type", "code"),
    [
        (b"  \n ", "text/plain", "input.empty"),
        (b"\x80\x80\xff\xff", "text/plain", "input.bad_encoding"),
        (b"PK\x03\x04", "application/zip", "input.unsupported_type"),
    ],
)
def test_jobs_parse_job_records_input_errors(store, data, media_type, code):
    _new(store, "job-bad-000000000001", data, media_type)
    jobs.parse_job("job-bad-000000000001")
    record = store.get("job-bad-000000000001")
    assert record.status == Status.FAILED
    assert record.error_code == code
    assert record.error_retryable is False


def test_jobs_parse_job_unexpected_exception_is_recorded_not_raised(store, monkeypatch):
    import workers.pipeline.runner as runner

    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(runner, "extract", boom)
    _new(store, "job-boom-00000000001", REPORT.encode())
    jobs.parse_job("job-boom-00000000001")  # must not raise
    record = store.get("job-boom-00000000001")
    assert record.status == Status.FAILED
    assert record.error_code == "internal"


def test_jobs_parse_job_stops_when_canceled_mid_run(store, monkeypatch):
    import workers.pipeline.runner as runner

    real_extract = runner.extract

    def cancel_then_extract(raw, **kwargs):
        store.cancel("job-midcancel-000001")
        return real_extract(raw, **kwargs)

    monkeypatch.setattr(runner, "extract", cancel_then_extract)
    _new(store, "job-midcancel-000001", REPORT.encode())
    jobs.parse_job("job-midcancel-000001")
    assert store.get("job-midcancel-000001").status == Status.CANCELED
    assert store.r.get(result_key("job-midcancel-000001")) is None


def test_jobs_parse_job_skips_canceled_job(store):
    _new(store, "job-skip-00000000001", REPORT.encode())
    store.cancel("job-skip-00000000001")
    jobs.parse_job("job-skip-00000000001")
    record = store.get("job-skip-00000000001")
    assert record.status == Status.CANCELED
    assert record.attempts == 0


def test_jobs_parse_job_timeout_is_recorded_as_parse_timeout(store, monkeypatch):
    import workers.pipeline.runner as runner
    from rq.timeouts import JobTimeoutException

    def slow(*args, **kwargs):
        raise JobTimeoutException("Task exceeded maximum timeout value (600 seconds)")

    monkeypatch.setattr(runner, "extract", slow)
    _new(store, "job-timeout-00000001", REPORT.encode())
    jobs.parse_job("job-timeout-00000001")
    record = store.get("job-timeout-00000001")
    assert record.status == Status.FAILED
    assert record.error_code == "parse.timeout"
