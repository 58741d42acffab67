"""Profile one worker over a batch of jobs, or the API under status reads, with pyinstrument.

    uv run --with pyinstrument python -m bench.profile text   [--jobs 30]
    uv run --with pyinstrument python -m bench.profile pdf    [--jobs 3]   (seed PDFs + a 300-page one)
    uv run --with pyinstrument python -m bench.profile status [--seconds 5]
    uv run --with pyinstrument python -m bench.profile submit [--jobs 100]
    uv run python -m bench.profile cpu [--jobs 768]

``text``/``pdf`` queue the jobs through the API with no worker running, then run one worker in
burst mode under pyinstrument (it exits when the queue is empty), so the profile is the jobs
plus the worker's start-up. ``status`` runs the API under pyinstrument while wrk reads one
job's status; ``submit`` runs it while whole text jobs go through it one at a time. ``cpu`` needs
no profiler: it sends the seed texts through the service as the throughput figure does and prints
the CPU time per job of each process (API, each worker, Redis, this client). Writes a text profile to stdout (and ``--html FILE``).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

from bench import corpus, http_load
from bench.client import Client
from bench.stack import ROOT, Stack


def _pyinstrument(args: list[str], html: str | None) -> list[str]:
    out = ["-r", "html", "-o", html] if html else ["-r", "text"]
    return [sys.executable, "-m", "pyinstrument", *out, *args]


def profile_worker(kind: str, jobs: int, html: str | None) -> None:
    seeds = corpus.seed_texts()
    with Stack(workers=0) as stack:
        client = Client(stack.base_url)
        ids = []
        if kind == "text":
            texts = [t for _, t in seeds]
            ids = [client.submit_text(texts[i % len(texts)], f"doc{i}.txt") for i in range(jobs)]
        else:
            pdfs = corpus.seed_pdfs(seeds)
            big = corpus.big_pdf(seeds, 300, sum(p.pages for p in pdfs))
            for i in range(jobs):
                ids += [client.submit_pdf(p.data, p.name) for p in pdfs]
            ids.append(client.submit_pdf(big.data, big.name))
        env = {**stack.env(), "FAZHI_WORKER_BURST": "1"}
        start = time.perf_counter()
        subprocess.run(_pyinstrument(["-m", "workers.worker"], html), cwd=ROOT, env=env, check=True, timeout=900)
        print(f"# {len(ids)} jobs in {time.perf_counter() - start:.2f} s (worker start-up included)")
        for job_id in ids:
            client.result(job_id, deadline_seconds=5)
        client.close()


@contextlib.contextmanager
def _profiled_api(stack: Stack, html: str | None) -> Iterator[str]:
    """A second API on another port, under the profiler, against the stack's Redis and queue."""
    from fazhi.embedded_redis import free_port

    port = free_port()
    api = subprocess.Popen(  # noqa: S603
        _pyinstrument(["-m", "uvicorn", "bench.app:create_bench_app", "--factory", "--port", str(port),
                       "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"], html),
        cwd=ROOT, env=stack.env(),
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        probe = Client(url)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                probe.hello()
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.2)
        probe.close()
        yield url
    finally:
        api.send_signal(signal.SIGINT)
        api.wait(30)


def profile_status(seconds: float, html: str | None) -> None:
    with Stack(workers=1) as stack:
        client = Client(stack.base_url)
        job_id = client.submit_text(corpus.seed_texts()[0][1], "status.txt")
        client.result(job_id)
        client.close()
        with _profiled_api(stack, html) as url:
            rate = http_load.requests_per_second(f"{url}/v1/jobs/{job_id}", seconds)
            print(f"# status reads under the profiler: {rate:.0f} req/s")


def profile_submit(jobs: int, html: str | None) -> None:
    """The API's side of whole text jobs: submit, ``?wait`` until ended, fetch the result (two workers)."""
    texts = [t for _, t in corpus.seed_texts()]
    with Stack(workers=2) as stack, _profiled_api(stack, html) as url:
        client = Client(url)
        start = time.perf_counter()
        for i in range(jobs):
            client.result(client.submit_text(texts[i % len(texts)], f"doc{i}.txt"))
        print(f"# {jobs} jobs, one at a time, in {time.perf_counter() - start:.2f} s under the profiler")
        client.close()


def cpu_per_job(jobs: int) -> None:
    from bench.procs import cpu_seconds
    from bench.text_figures import _service_batch

    seeds = [t for _, t in corpus.seed_texts()]
    texts = [seeds[i % len(seeds)] for i in range(jobs)]
    with Stack(workers=2) as stack:
        client = Client(stack.base_url)
        _service_batch(client, seeds * 2)  # warm-up
        pids = {"api": stack.api_pid, "client": "self", "redis": stack.redis.pid}
        pids.update({f"worker{k + 1}": pid for k, pid in enumerate(stack.worker_pids)})
        before = {name: cpu_seconds(pid) or 0.0 for name, pid in pids.items()}
        seconds = _service_batch(client, texts)
        after = {name: cpu_seconds(pid) or 0.0 for name, pid in pids.items()}
        client.close()
    per_job = {name: (after[name] - before[name]) / jobs * 1000 for name in pids}
    print(f"# {jobs} seed texts, {jobs / seconds:.1f} jobs/s; CPU ms per job by process:")
    for name, ms in per_job.items():
        print(f"{name}={ms:.2f}")
    print(f"total={sum(per_job.values()):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("kind", choices=["text", "pdf", "status", "submit", "cpu"])
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--html", default=None)
    args = parser.parse_args()
    if args.kind == "status":
        profile_status(args.seconds, args.html)
    elif args.kind == "submit":
        profile_submit(args.jobs or 100, args.html)
    elif args.kind == "cpu":
        cpu_per_job(args.jobs or 768)
    else:
        profile_worker(args.kind, args.jobs or (30 if args.kind == "text" else 3), args.html)


if __name__ == "__main__":
    main()
