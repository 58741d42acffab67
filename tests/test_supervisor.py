"""WorkerPool: restart with back-off, and the warm → cold → kill stop sequence."""

from __future__ import annotations

import sys
import time

import pytest

from fazhi import supervisor
from fazhi.supervisor import WorkerPool

SLEEPER = "import time\nwhile True: time.sleep(0.05)"
# Ignores the first SIGTERM (RQ's warm shutdown finishing a job), exits on the second.
WARM_THEN_COLD = """
import signal, sys, time
seen = []
def on_term(*_):
    seen.append(1)
    if len(seen) > 1:
        sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
while True: time.sleep(0.05)
"""
DEAF = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True: time.sleep(0.05)"


def _pool(code: str, count: int = 1, grace: float = 0.3) -> WorkerPool:
    return WorkerPool(count, {}, grace_seconds=grace, argv=[sys.executable, "-c", code])


def _wait(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_supervisor_starts_count_processes_and_stops_them():
    pool = _pool(SLEEPER, count=2)
    pool.start()
    try:
        assert len(pool.pids) == 2
    finally:
        pool.stop()
    assert pool.pids == []


def test_supervisor_restarts_a_dead_worker_and_reports_it(caplog):
    pool = _pool(SLEEPER)
    pool.start()
    try:
        (first,) = pool.pids
        pool.slots[0].process.kill()
        pool.slots[0].process.wait()
        pool.check()  # died young: reported, restart scheduled after a short delay
        assert _wait(lambda: (pool.check(), pool.pids)[1] != [])
        (second,) = pool.pids
        assert second != first
        assert pool.restarts == 1
        assert "exited unexpectedly with signal SIGKILL" in caplog.text
    finally:
        pool.stop()


def test_supervisor_backs_off_when_a_worker_keeps_dying(monkeypatch):
    pool = _pool("import sys; sys.exit(3)")
    pool.start()
    delays = []
    try:
        for _ in range(3):
            assert _wait(lambda: pool.slots[0].process is not None and pool.slots[0].process.poll() is not None)
            pool.check()
            delays.append(pool.slots[0].restart_at - time.monotonic())
            pool.slots[0].restart_at = 0.0  # do not actually sleep the back-off in a test
            pool.check()
    finally:
        pool.stop()
    assert delays[0] < delays[1] < delays[2] <= supervisor.MAX_RESTART_DELAY_SECONDS


def test_supervisor_no_restart_while_stopping():
    pool = _pool(SLEEPER)
    pool.start()
    pool.stop()
    pool.check()
    assert pool.pids == [] and pool.restarts == 0


GRACE = 0.3


@pytest.mark.parametrize(
    ("code", "min_seconds", "max_seconds"),
    [
        pytest.param(WARM_THEN_COLD, GRACE, GRACE + 1.5, id="second-sigterm"),
        pytest.param(DEAF, GRACE + supervisor.COLD_STOP_SECONDS, GRACE + supervisor.COLD_STOP_SECONDS + 1.5, id="kill"),
    ],
)
def test_supervisor_stop_escalates_to_cold_stop_then_kill(code, min_seconds, max_seconds):
    pool = _pool(code, grace=GRACE)
    pool.start()
    time.sleep(0.3)  # let the child install its handler
    started = time.monotonic()
    pool.stop()
    assert min_seconds <= time.monotonic() - started < max_seconds
    assert pool.pids == []
