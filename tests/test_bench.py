"""``python -m bench --quick`` produces every figure of issue 7 (values are never asserted: timings are noisy)."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import Figure, Report

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"

REQUIRED = [
    "pdf_pages_per_s_ratio_vs_pdfium",
    "pdf_speedup_vs_pdfplumber",
    "text_job_latency_ratio",
    "text_reports_per_s_ratio",
    "status_get_ratio_vs_hello",
    "worker_peak_rss_mb_300p",
    "extract_scaling_100x",
    # the absolute figures behind the ratios
    "pdf_pages_per_s",
    "pdfium_pages_per_s",
    "pdfplumber_pages_per_s",
    "text_job_latency_ms",
    "noop_rq_roundtrip_ms",
    "hello_request_ms",
    "text_reports_per_s",
    "inprocess_reports_per_s",
    "status_get_per_s",
    "hello_get_per_s",
    "extract_us_per_char_1x",
    # what the work alone allows, beside the two ratios it bounds
    "pdf_inprocess_pages_per_s",
    "pdf_ceiling_ratio_vs_pdfium",
    "text_extract_ms",
    "text_latency_floor_ratio",
]
LINE = re.compile(r"^([a-z0-9_]+)=(\S+)", re.MULTILINE)


@pytest.fixture(scope="module")
def quick_run() -> subprocess.CompletedProcess[str]:
    if not SEEDS.is_dir():
        pytest.skip(f"the shared seeds are not at {SEEDS}")
    return subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=170, check=False,
    )  # fmt: skip


def test_bench_quick_exits_cleanly(quick_run):
    assert quick_run.returncode == 0, quick_run.stderr[-3000:]


@pytest.mark.parametrize("name", REQUIRED)
def test_bench_quick_prints_figure(quick_run, name):
    figures = dict(LINE.findall(quick_run.stdout))
    assert name in figures, f"{name} missing from:\n{quick_run.stdout}"
    value = float(figures[name])
    assert math.isfinite(value) and value >= 0


def test_bench_quick_prints_targets_and_summary(quick_run):
    targeted = re.findall(r"^(\w+)=\S+\s+# target(>=|<=)", quick_run.stdout, re.MULTILINE)
    assert {name for name, _ in targeted} >= set(REQUIRED[:7])
    summary = re.search(r"^targets_met=(\d+)/(\d+)", quick_run.stdout, re.MULTILINE)
    assert summary and int(summary.group(2)) == 7 and int(summary.group(1)) <= 7


def test_bench_missing_seeds_is_a_clear_error(tmp_path):
    env = {**os.environ, "FAZHI_BENCH_SEEDS": str(tmp_path / "nowhere")}
    out = subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert out.returncode == 1
    assert "seed reports" in out.stderr and "nowhere" in out.stderr


@pytest.mark.parametrize(
    ("value", "target", "met"),
    [(0.6, ">=0.5", True), (0.4, ">=0.5", False), (2.0, "<=2", True), (2.1, "<=2", False), (math.nan, "<=2", False)],
)
def test_bench_report_checks_targets(value, target, met):
    assert Figure("x", value, target).met is met


def test_bench_report_summary_counts_met_targets(capsys):
    report = Report()
    report.add("a", 1.0, ">=0.5")
    report.add("b", 3.0, "<=2")
    report.add("c", 7.0)
    assert report.summary().startswith("targets_met=1/2")
    assert "b" in report.summary().split("missed:")[1]
    assert capsys.readouterr().out.splitlines()[0].startswith("a=1  # target>=0.5 met")
