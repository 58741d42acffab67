"""The chaos and load scripts in their --quick form (the full runs are documented in the README)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def _run(module: str, *args: str, timeout: float) -> dict:
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    return {"code": proc.returncode, **json.loads(lines[-1])}


def test_bench_chaos_quick_every_job_succeeds_despite_sigkills():
    report = _run("bench.chaos", "--quick", timeout=240)
    assert report["jobs"] >= 30
    assert report["kills"] >= 3, report  # busy workers really were killed mid-job
    assert report["rerun_jobs"] >= 1, report
    assert report["statuses"] == {"succeeded": report["jobs"]}, report
    assert report["code"] == 0


def test_bench_load_quick_loses_nothing():
    report = _run("bench.load", "--quick", timeout=240)
    assert report["accepted"] + report["rejected"] == report["submitted"] >= 300
    assert report["errors"] == 0, report
    assert report["lost"] == 0, report
    assert report["succeeded"] + report["failed"] == report["accepted"]
    assert report["code"] == 0
