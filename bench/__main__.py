"""``uv run python -m bench [--quick]``: the performance figures of issue 7, one ``name=value`` a line.

Starts its own private Redis, two workers and the API (``bench.stack``), uses the shared seeds
and PDFs generated from them (``bench.corpus``), and measures every timing against a baseline
taken in the same run, as a ratio (absolute times drift on shared machines). Medians over
repeats. ``--quick`` runs everything at tiny sizes (CI: checks only that every figure appears).
Exit code 0 whether or not targets are met; 1 when the run itself failed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass

from bench import corpus, pdf_figures, scaling, text_figures
from bench.procs import vm_hwm_mb
from bench.report import Report
from bench.stack import Stack


@dataclass(frozen=True)
class Sizes:
    big_pages: int
    pdf_repeats: int
    latency_repeats: int
    batch_copies: int  # seed texts per batch = seeds x copies
    batch_repeats: int
    status_seconds: float
    status_repeats: int
    scaling_factor: int
    scaling_repeats: int


FULL = Sizes(big_pages=300, pdf_repeats=3, latency_repeats=15, batch_copies=16, batch_repeats=9,
             status_seconds=3, status_repeats=3, scaling_factor=100, scaling_repeats=3)  # fmt: skip
QUICK = Sizes(big_pages=12, pdf_repeats=1, latency_repeats=3, batch_copies=1, batch_repeats=1,
              status_seconds=1, status_repeats=1, scaling_factor=10, scaling_repeats=1)  # fmt: skip


def machine(report: Report) -> None:
    report.add("machine_cpus", os.cpu_count() or 0, note=f"{platform.machine()} {platform.system()} {platform.release()}")
    print(f"# python {platform.python_version()}, {platform.processor() or platform.machine()}", flush=True)


def run(sizes: Sizes) -> Report:
    report = Report()
    machine(report)
    seeds = corpus.seed_texts()
    texts = [text for _, text in seeds]
    pdfs = corpus.seed_pdfs(seeds)
    big = corpus.big_pdf(seeds, sizes.big_pages, sum(p.pages for p in pdfs))
    longest = max(texts, key=len)

    pdf_figures.measure_rss(report, big)
    scaling.measure(report, longest, sizes.scaling_factor, sizes.scaling_repeats)
    with Stack(workers=2) as stack:
        pdf_figures.measure(report, stack, pdfs, big, sizes.pdf_repeats)
        job_id = text_figures.measure_latency(report, stack, longest, sizes.latency_repeats)
        text_figures.measure_throughput(report, stack, texts * sizes.batch_copies, sizes.batch_repeats)
        text_figures.measure_status_rate(report, stack, job_id, sizes.status_seconds, sizes.status_repeats)
        peaks = [p for p in map(vm_hwm_mb, stack.worker_pids) if p is not None]
        if peaks:
            report.add("service_worker_peak_rss_mb", max(peaks), note="VmHWM of the live workers after the whole run")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, under a minute (CI)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        report = run(QUICK if args.quick else FULL)
    except corpus.CorpusError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    report.add("bench_seconds", time.perf_counter() - start)
    print(report.summary(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
