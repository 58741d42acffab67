"""The `fazhi` command as a user runs it: a real subprocess, real files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from fazhi import cli
from tests._cli_support import FAZHI, REPO, clean_env, seed_text, write_pdf


@pytest.fixture(autouse=True)
def _restore_logging():
    # cli.main configures the root logger with pytest's captured stderr; later tests must not
    # log into that closed stream.
    import logging

    saved = logging.root.handlers[:], logging.root.level
    yield
    logging.root.handlers[:], logging.root.level = saved[0], saved[1]


def run(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None, cwd=None):
    return subprocess.run(
        [*FAZHI, *args], env=env or clean_env(), input=stdin, capture_output=True, timeout=120, cwd=cwd or REPO
    )


def lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    text = seed_text()
    d = tmp_path_factory.mktemp("inputs")
    utf8 = d / "report.txt"
    utf8.write_text(text, "utf-8")
    gbk = d / "report-gbk.txt"
    gbk.write_bytes(text.encode("gbk"))
    return {"text": text, "utf8": utf8, "gbk": gbk, "dir": d}


def test_cli_extract_two_inputs_give_two_lines_in_order(inputs):
    proc = run("extract", str(inputs["utf8"]), str(inputs["gbk"]))
    assert proc.returncode == 0, proc.stderr.decode()
    out = lines(proc.stdout)
    assert len(out) == 2
    assert [r["document"]["filename"] for r in out] == ["report.txt", "report-gbk.txt"]
    # The GBK copy decodes to the same text, so both results carry the same canonical text.
    assert out[0]["text"] == out[1]["text"]
    assert out[0]["schema_version"] == "1"
    assert out[0]["document"]["sha256"] != out[1]["document"]["sha256"]  # hash of the bytes sent


def test_cli_extract_bad_file_gives_error_line_and_nonzero_exit(inputs, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    missing = tmp_path / "missing.txt"
    proc = run("extract", str(missing), str(inputs["utf8"]), str(empty))
    assert proc.returncode == 1
    out = lines(proc.stdout)
    assert len(out) == 3
    assert out[0]["file"] == str(missing)
    assert out[0]["error"]["code"] == "input.unreadable"
    assert set(out[0]) == {"file", "error"}
    assert "text" in out[1]
    assert out[2]["file"] == str(empty)
    assert out[2]["error"]["code"] == "input.empty"


def test_cli_extract_reads_stdin(inputs):
    proc = run("extract", "-", stdin=inputs["gbk"].read_bytes())
    assert proc.returncode == 0, proc.stderr.decode()
    (result,) = lines(proc.stdout)
    assert result["document"]["filename"] is None
    assert result["text"].startswith(inputs["text"].strip()[:10])


def test_cli_extract_decides_type_by_content_not_name(inputs, tmp_path):
    pdf_named_txt = write_pdf(inputs["text"], tmp_path / "looks-like.txt")
    text_named_pdf = tmp_path / "looks-like.pdf"
    text_named_pdf.write_bytes(inputs["utf8"].read_bytes())
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    proc = run("extract", str(pdf_named_txt), str(text_named_pdf), str(binary))
    out = lines(proc.stdout)
    assert out[0].get("document", {}).get("media_type") == "application/pdf", out[0]
    assert out[1]["document"]["media_type"] == "text/plain"
    assert out[2]["error"]["code"] == "input.unsupported_type"
    assert proc.returncode == 1


def test_cli_extract_pretty_is_indented_json(inputs):
    proc = run("extract", "--pretty", str(inputs["utf8"]))
    assert proc.returncode == 0
    assert proc.stdout.startswith(b"{\n  ")
    assert json.loads(proc.stdout)["document"]["filename"] == "report.txt"


@pytest.mark.parametrize(
    ("command", "variable", "value"),
    [
        (["extract", "-"], "FAZHI_MAX_PAGES", "many"),
        (["worker"], "FAZHI_MAX_BODY_BYTES", "-5"),
        (["serve", "--port", "0"], "FAZHI_WORKERS", "-1"),
        (["openapi", "--check"], "FAZHI_RETENTION_SECONDS", "0"),
        (["serve", "--port", "0"], "FAZHI_LOG_LEVEL", "LOUD"),
    ],
)
def test_cli_bad_setting_exits_2_with_message(command, variable, value):
    proc = run(*command, env=clean_env(**{variable: value}), stdin=b"")
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert variable in err
    assert "Traceback" not in err
    assert proc.stdout == b""


@pytest.mark.parametrize("command", ["worker", "api"])
def test_cli_commands_needing_redis_url_say_so(command):
    proc = run(command)
    assert proc.returncode == 2
    assert "FAZHI_REDIS_URL" in proc.stderr.decode()


def test_cli_serve_reports_a_busy_port(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = run("serve", "--port", str(port), "--workers", "0", cwd=tmp_path)
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr.decode()
    assert not (tmp_path / ".fazhi" / "redis.log").exists()  # nothing was started


def test_cli_openapi_check_and_write(tmp_path, monkeypatch, capsys):
    pytest.importorskip("service.openapi")
    target = tmp_path / "openapi.json"
    assert cli.main(["openapi", "--check", "--output", str(target)]) == 1
    assert cli.main(["openapi", "--output", str(target)]) == 0
    assert json.loads(target.read_bytes())["openapi"].startswith("3.")
    assert cli.main(["openapi", "--check", "--output", str(target)]) == 0
    target.write_bytes(target.read_bytes() + b" ")
    assert cli.main(["openapi", "--check", "--output", str(target)]) == 1


def test_cli_eval_delegates_dir_and_extra_arguments(monkeypatch):
    import workers.evaluate

    seen = []
    monkeypatch.setattr(workers.evaluate, "main", lambda argv: seen.append(argv) or 7)
    assert cli.main(["eval", "tests/devset", "--json"]) == 7
    assert seen == [["tests/devset", "--json"]]


@pytest.mark.parametrize(
    ("argv", "flag"), [(["serve", "--workers", "-1"], "--workers"), (["worker", "--count", "0"], "--count")]
)
def test_cli_rejects_bad_counts(argv, flag, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert flag in capsys.readouterr().err


def test_cli_worker_count_runs_separate_processes_and_stops_on_sigterm(tmp_path):
    import signal
    import time

    import redis

    from fazhi.embedded_redis import EmbeddedRedis
    from tests.test_serve_e2e import _alive, _children

    with EmbeddedRedis(tmp_path, search_path="") as server:
        log = (tmp_path / "stderr").open("wb")
        proc = subprocess.Popen(
            [*FAZHI, "worker", "--count", "2"], env=clean_env(FAZHI_REDIS_URL=server.url), cwd=tmp_path, stderr=log
        )
        try:
            from rq import Queue, Worker

            client = redis.Redis.from_url(server.url)
            parse_queue = Queue("fazhi", connection=client)  # webhook delivery has workers of its own

            def parse_workers() -> int:
                return Worker.count(queue=parse_queue)

            deadline = time.monotonic() + 30
            while parse_workers() < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            stderr = (tmp_path / "stderr").read_text()
            assert parse_workers() == 2, stderr  # two RQ workers registered on the parse queue
            children = _children(proc.pid)
            assert len(children) == 2, stderr
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0
            assert not [pid for pid in children if _alive(pid)]
            assert client.scard("rq:workers") == 0  # both deregistered: a clean RQ shutdown
        finally:
            proc.kill()
            proc.wait()


def test_cli_api_serves_against_fazhi_redis_url_without_workers_or_redis(tmp_path):
    """The container's `api` role: HTTP only, on the given Redis."""
    import signal
    import time

    import httpx

    from fazhi.embedded_redis import EmbeddedRedis
    from tests._cli_support import free_port
    from tests.test_serve_e2e import _children

    port = free_port()
    with EmbeddedRedis(tmp_path / "redis", search_path="") as server:
        proc = subprocess.Popen(
            [*FAZHI, "api", "--port", str(port)], env=clean_env(FAZHI_REDIS_URL=server.url), cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read1().decode()
                    time.sleep(0.1)
            assert health.status_code == 200
            assert _children(proc.pid) == {}  # no workers, no Redis of its own
            assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 503  # no worker yet
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0
        finally:
            proc.kill()
            proc.wait()
    assert not list(tmp_path.glob(".fazhi/redis.*"))  # no Redis of its own


@pytest.mark.parametrize(("env", "argv", "expected"), [("3", [], 3), ("3", ["--workers", "0"], 0), (None, [], 2)])
def test_cli_serve_workers_default_comes_from_settings(env, argv, expected, monkeypatch, tmp_path):
    import fazhi.serve

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))  # restored after the test
    for key in [k for k in os.environ if k.startswith("FAZHI_")]:
        monkeypatch.delenv(key)
    if env is not None:
        monkeypatch.setenv("FAZHI_WORKERS", env)
    seen = {}
    monkeypatch.setattr(fazhi.serve, "serve", lambda settings, **kw: seen.update(kw) or 0)
    assert cli.main(["serve", "--port", "0", *argv]) == 0
    assert seen == {"host": "127.0.0.1", "port": 0, "workers": expected}


def test_cli_bad_secret_setting_is_not_echoed():
    from fazhi.settings import SettingsError, get_settings

    with pytest.raises(SettingsError) as info:
        get_settings({"FAZHI_SHARE_SECRET": "tooshort-9"})
    assert "FAZHI_SHARE_SECRET" in str(info.value) and "tooshort-9" not in str(info.value)
