"""Worker processes that `fazhi serve` / `fazhi worker --count N` keep alive.

Each worker is a separate `python -m fazhi worker --count 1` process, so a crash in one parse
cannot take the API or the other workers down. A worker that exits on its own is reported and
restarted, with a growing delay if it keeps dying right after start (a bad install or an
unreachable Redis should not become a fork loop).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Mapping

from fazhi._proc import own_group_dying_with_parent

log = logging.getLogger("fazhi.supervisor")

QUICK_DEATH_SECONDS = 5.0
MAX_RESTART_DELAY_SECONDS = 30.0
COLD_STOP_SECONDS = 3.0


class _Slot:
    def __init__(self, index: int):
        self.index = index
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.quick_deaths = 0
        self.restart_at = 0.0


class WorkerPool:
    """``count`` worker processes; ``check()`` restarts dead ones, ``stop()`` drains them."""

    def __init__(self, count: int, env: Mapping[str, str], *, grace_seconds: float, argv: list[str] | None = None):
        self.count = count
        self.env = dict(env)
        self.grace_seconds = grace_seconds
        self.argv = argv or [sys.executable, "-m", "fazhi", "worker", "--count", "1"]
        self.slots = [_Slot(i) for i in range(count)]
        self.stopping = False
        self.restarts = 0

    @property
    def pids(self) -> list[int]:
        return [s.process.pid for s in self.slots if s.process is not None and s.process.poll() is None]

    def start(self) -> None:
        for slot in self.slots:
            self._spawn(slot)

    def _spawn(self, slot: _Slot) -> None:
        slot.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            self.argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            preexec_fn=own_group_dying_with_parent,  # noqa: PLW1509 - async-signal-safe calls only
        )
        slot.started_at = time.monotonic()
        log.info("worker %d started (pid %d)", slot.index, slot.process.pid)

    def check(self) -> None:
        """Report and restart workers that exited while the pool is not stopping."""
        if self.stopping:
            return
        now = time.monotonic()
        for slot in self.slots:
            proc = slot.process
            if proc is not None and proc.poll() is not None:
                lived = now - slot.started_at
                slot.quick_deaths = slot.quick_deaths + 1 if lived < QUICK_DEATH_SECONDS else 0
                delay = min(MAX_RESTART_DELAY_SECONDS, 0.5 * 2 ** slot.quick_deaths) if slot.quick_deaths else 0.0
                log.error(
                    "worker %d (pid %d) exited unexpectedly with %s after %.1f s; restarting in %.1f s",
                    slot.index, proc.pid, _describe(proc.returncode), lived, delay,
                )  # fmt: skip
                slot.process = None
                slot.restart_at = now + delay
            if slot.process is None and now >= slot.restart_at:
                self.restarts += 1
                self._spawn(slot)

    def stop(self) -> None:
        """SIGTERM (RQ's warm shutdown: finish the running job), then cold stop, then kill."""
        self.stopping = True
        live = [s.process for s in self.slots if s.process is not None and s.process.poll() is None]
        for proc in live:
            _signal(proc, signal.SIGTERM)
        live = _wait_all(live, self.grace_seconds)
        if live:
            log.warning("%d worker(s) still busy after %.0f s; asking them to stop now", len(live), self.grace_seconds)
            for proc in live:
                _signal(proc, signal.SIGTERM)  # a second SIGTERM is RQ's cold shutdown
            live = _wait_all(live, COLD_STOP_SECONDS)
        for proc in live:
            log.warning("worker pid %d did not stop; killing it", proc.pid)
            proc.kill()
            proc.wait()

    def kill(self) -> None:
        self.stopping = True
        for slot in self.slots:
            if slot.process is not None and slot.process.poll() is None:
                slot.process.kill()


def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        proc.send_signal(sig)
    except ProcessLookupError:
        pass


def _wait_all(procs: list[subprocess.Popen[bytes]], timeout: float) -> list[subprocess.Popen[bytes]]:
    deadline = time.monotonic() + timeout
    while procs and time.monotonic() < deadline:
        procs = [p for p in procs if p.poll() is None]
        if procs:
            time.sleep(0.05)
    return [p for p in procs if p.poll() is None]


def _describe(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"
