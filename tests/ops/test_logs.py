"""Log format selection and the ids on every line, including plain ``logging`` calls."""

from __future__ import annotations

import io
import json
import logging

import pytest

from fazhi.observability import logs


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore_root():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(
    ("fmt", "tty", "expected"),
    [("auto", False, True), ("auto", True, False), ("json", True, True), ("console", False, False), ("JSON", False, True)],
)
def test_logs_format_selection(fmt, tty, expected):
    stream = _Tty() if tty else io.StringIO()
    assert logs.use_json(fmt, stream) is expected


def test_logs_rejects_unknown_format():
    with pytest.raises(ValueError, match="xml"):
        logs.use_json("xml", io.StringIO())


def test_logs_json_lines_carry_bound_ids_for_stdlib_loggers():
    out = io.StringIO()
    logs.configure("INFO", "json", out)
    with logs.bound(request_id="req-1", job_id="job-1"):
        logging.getLogger("workers.jobs").info("job %s skipped", "job-1")
    logging.getLogger("workers.jobs").info("outside")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["event"] == "job job-1 skipped"
    assert (first["request_id"], first["job_id"], first["logger"], first["level"]) == ("req-1", "job-1", "workers.jobs", "info")
    assert "request_id" not in second and "job_id" not in second
    assert first["timestamp"].endswith("Z")


def test_logs_json_exception_is_one_line_with_traceback():
    out = io.StringIO()
    logs.configure("INFO", "json", out)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("x").exception("failed")
    (line,) = out.getvalue().splitlines()
    event = json.loads(line)
    assert "RuntimeError: boom" in event["exception"]


def test_logs_console_is_human_readable_not_json():
    out = io.StringIO()
    logs.configure("INFO", "console", out)
    with logs.bound(job_id="job-9"):
        logging.getLogger("x").warning("slow")
    text = out.getvalue()
    assert "slow" in text and "job_id=job-9" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_logs_level_filters():
    out = io.StringIO()
    logs.configure("WARNING", "json", out)
    logging.getLogger("x").info("quiet")
    assert out.getvalue() == ""


def test_logs_empty_ids_are_not_bound():
    out = io.StringIO()
    logs.configure("INFO", "json", out)
    with logs.bound(request_id=None, job_id="j"):
        logging.getLogger("x").info("hi")
    assert "request_id" not in json.loads(out.getvalue())


def test_logs_job_observation_survives_redis_errors():
    """A failing Redis read while observing must not turn into a failed job."""
    from fazhi.observability import jobs as observe

    class Broken:
        class r:  # noqa: N801 - stands in for store.r
            @staticmethod
            def hmget(*_):
                raise ConnectionError("redis went away")

        def get(self, _job_id):
            raise ConnectionError("redis went away")

    with observe.observe_job("j-broken", Broken()) as observation:
        observe.started()
        observe.stage("ingest")
    assert observation.began is not None


def test_logs_structlog_goes_through_logging_even_unconfigured():
    import subprocess
    import sys

    code = "from fazhi.observability import jobs; jobs.log.info('quiet'); jobs.log.warning('loud', n=1)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # structlog's default would print both lines here
    assert "loud" in proc.stderr and "quiet" not in proc.stderr
