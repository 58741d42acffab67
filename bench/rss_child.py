"""One PDF job's work in a fresh process, to read its peak memory.

    python -m bench.rss_child FILE.pdf

Does what a worker does: ``workers.worker.warm()``, then the job's read (PDF parsed in the
sandbox's forked child) and extraction, then the JSON encoding. Prints one JSON line with the
peak RSS (MiB) of this process during warm-up and during the job (the worker side), and of its
children (the PDF parser; a forked child's count starts at its own fork, so it is the job's).
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time


def main(path: str) -> None:
    import msgspec

    from fazhi.settings import get_settings
    from workers.ingest import read_document
    from workers.ingest.sniff import PDF
    from workers.pipeline.runner import extract
    from bench.procs import reset_peak, vm_hwm_mb
    from workers.worker import warm

    warm()
    gc.collect()
    warm_peak = vm_hwm_mb()
    reset_peak()
    settings = get_settings(max_pages=10000, job_timeout_seconds=3600)
    with open(path, "rb") as fh:
        data = fh.read()
    base = vm_hwm_mb()
    start = time.perf_counter()
    raw = read_document(data, PDF, settings=settings)
    body = msgspec.json.encode(extract(raw))
    seconds = time.perf_counter() - start
    print(json.dumps({
        "pages": len(raw.pages or []),
        "seconds": seconds,
        "result_bytes": len(body),
        "warm_peak_rss_mb": warm_peak,
        "job_start_rss_mb": base,
        "worker_rss_mb": vm_hwm_mb(),
        "parser_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1])
