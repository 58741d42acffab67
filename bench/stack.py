"""Everything the benchmark talks to, started privately and stopped on exit.

A private Redis (the product's ``EmbeddedRedis``, in a temporary directory), two worker
processes (``python -m fazhi worker``, exactly what ``fazhi serve`` runs) and the API under
uvicorn with uvloop and httptools (as ``fazhi serve`` configures it), each on a free loopback
port. The API runs the bench app (``bench.app``: the product app plus a bare hello route).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from fazhi._proc import own_group_dying_with_parent
from fazhi.embedded_redis import EmbeddedRedis, free_port
from fazhi.supervisor import WorkerPool

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60.0


class StackError(RuntimeError):
    """A part of the stack did not come up."""


class Stack:
    def __init__(self, workers: int = 2):
        self.workers = workers
        self._tmp = tempfile.TemporaryDirectory(prefix="fazhi_bench_")
        self.redis = EmbeddedRedis(Path(self._tmp.name) / "redis")
        self.pool: WorkerPool | None = None
        self.api: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.redis_url = ""

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "FAZHI_REDIS_URL": self.redis_url,
            "FAZHI_LOG_LEVEL": "WARNING",
            "FAZHI_RATE_LIMIT_PER_MINUTE": "0",  # the benchmark is one client submitting a lot
            "FAZHI_MAX_PAGES": "1000",
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.redis_url = self.redis.start()
        env = self.env()
        if self.workers:
            self.pool = WorkerPool(self.workers, env, grace_seconds=5.0)
            self.pool.start()
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.api = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "uvicorn", "bench.app:create_bench_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
             "--no-access-log", "--log-level", "warning"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, preexec_fn=own_group_dying_with_parent,  # noqa: PLW1509
        )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        last = "no answer"
        with httpx.Client(base_url=self.base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                assert self.api is not None
                if self.api.poll() is not None:
                    raise StackError(f"the API exited with code {self.api.returncode} at start-up")
                try:
                    # /readyz needs a worker; with none, the API answering is all there is to wait for
                    r = client.get("/readyz" if self.workers else "/healthz")
                    if r.status_code == 200 and r.json().get("workers", 0) >= self.workers:
                        return
                    last = f"{r.status_code} {r.text[:200]}"
                except httpx.HTTPError as exc:
                    last = repr(exc)
                time.sleep(0.1)
        raise StackError(f"the stack was not ready within {START_TIMEOUT_SECONDS:.0f} s (last: {last})")

    @property
    def worker_pids(self) -> list[int]:
        return self.pool.pids if self.pool is not None else []

    @property
    def api_pid(self) -> int | None:
        return self.api.pid if self.api is not None else None

    def stop(self) -> None:
        if self.api is not None and self.api.poll() is None:
            self.api.terminate()
            try:
                self.api.wait(10)
            except subprocess.TimeoutExpired:
                self.api.kill()
                self.api.wait()
        if self.pool is not None:
            self.pool.stop()
        self.redis.stop()
        self._tmp.cleanup()
