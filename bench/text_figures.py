"""Text figures: one job's latency, reports per second with two workers, status-read rate."""

from __future__ import annotations

import multiprocessing
import time

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from bench import http_load
from fazhi.settings import get_settings
from bench.app import HELLO_PATH
from bench.client import Client
from bench.report import Report, median
from bench.scaling import extract_seconds
from bench.stack import Stack
from workers.pipeline.model import RawText
from workers.pipeline.runner import extract

NOOP_JOB = "bench.noop.noop"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def noop_round_trip(queue: Queue) -> float:
    """Enqueue a no-op job on the service's queue and block on its result (RQ's result stream)."""
    start = time.perf_counter()
    job = queue.enqueue(NOOP_JOB)
    if job.latest_result(timeout=30) is None:
        raise RuntimeError("the no-op job did not finish in 30 s")
    return time.perf_counter() - start


def measure_latency(report: Report, stack: Stack, text: str, repeats: int) -> str:
    """Returns the id of a finished job, for the status-read figure."""
    client = Client(stack.base_url)
    redis = Redis.from_url(stack.redis_url)
    queue = Queue(get_settings().queue_name, connection=redis, serializer=JSONSerializer)
    try:
        job_id = ""

        def job() -> None:
            nonlocal job_id
            job_id = client.submit_text(text, "latency.txt")
            client.result(job_id)

        for _ in range(2):  # warm-up: connections, first job per worker
            job()
            noop_round_trip(queue)
        extract_seconds(text)  # warm-up
        jobs, noops, hellos, extracts = [], [], [], []
        for _ in range(repeats):  # interleaved, so drift in machine load hits all four alike
            jobs.append(_timed(job))
            noops += [noop_round_trip(queue), noop_round_trip(queue)]
            hellos += [_timed(client.hello) for _ in range(4)]
            extracts += [extract_seconds(text) for _ in range(2)]
        job_s, noop_s, hello_s, extract_s = median(jobs), median(noops), median(hellos), median(extracts)
        client.check_parsed(job_id)
    finally:
        client.close()
        redis.close()
    report.add("text_job_latency_ms", job_s * 1000, note="POST, GET result?wait; the longest seed")
    report.add("noop_rq_roundtrip_ms", noop_s * 1000, note="enqueue no-op, block on its result")
    report.add("hello_request_ms", hello_s * 1000)
    report.add("text_job_latency_ratio", job_s / (noop_s + hello_s), "<=2")
    # Not a target: a text job is at least a request, an RQ job's round trip and the extraction
    # (timed alone, in this process), so its ratio cannot go below this one.
    report.add("text_extract_ms", extract_s * 1000, note="runner.extract of the same seed in this process")
    report.add("text_latency_floor_ratio", (noop_s + hello_s + extract_s) / (noop_s + hello_s),
               note="(no-op job + hello + extraction alone) / baseline: the least text_job_latency_ratio can be")  # fmt: skip
    return job_id


def _service_batch(client: Client, texts: list[str], check: bool = False) -> float:
    start = time.perf_counter()
    ids = [client.submit_text(t, f"doc{i}.txt") for i, t in enumerate(texts)]
    for job_id in ids:
        client.result(job_id)
    seconds = time.perf_counter() - start
    if check:  # after the clock stopped: each job was parsed, not answered from an earlier one
        for job_id in ids:
            client.check_parsed(job_id)
    return seconds


def _warm_worker() -> None:
    from workers.pipeline import runner

    runner.warm()


def _extract(text: str) -> int:
    return len(extract(RawText(text=text, media_type="text/plain")).indicators)


def measure_throughput(report: Report, stack: Stack, texts: list[str], repeats: int, processes: int = 2) -> None:
    client = Client(stack.base_url)
    # spawn: a clean interpreter like a worker's, not a fork of this one with its clients open
    with multiprocessing.get_context("spawn").Pool(processes, initializer=_warm_worker) as pool:

        def local_batch() -> None:
            pool.map(_extract, texts, chunksize=1)

        try:
            _service_batch(client, texts[: processes * 2])  # warm-up
            pool.map(_extract, texts[: processes * 2], chunksize=1)
            service, local = [], []
            for _ in range(repeats):  # interleaved, so drift in machine load hits both alike
                service.append(_service_batch(client, texts, check=True))
                local.append(_timed(local_batch))
        finally:
            client.close()
    service_s, local_s = median(service), median(local)
    service_rate, local_rate = len(texts) / service_s, len(texts) / local_s
    report.add("text_reports_per_s", service_rate, note=f"{len(texts)} seed texts through the service, {stack.workers} workers")
    report.add("inprocess_reports_per_s", local_rate, note=f"runner.extract in {processes} processes")
    report.add("text_reports_per_s_ratio", service_rate / local_rate, ">=0.5")


def measure_status_rate(report: Report, stack: Stack, job_id: str, seconds: float, repeats: int) -> None:
    status_url = f"{stack.base_url}/v1/jobs/{job_id}"
    hello_url = stack.base_url + HELLO_PATH
    http_load.requests_per_second(hello_url, 1)  # warm-up
    status, hello = [], []
    for _ in range(repeats):  # interleaved, so drift hits both alike
        status.append(http_load.requests_per_second(status_url, seconds))
        hello.append(http_load.requests_per_second(hello_url, seconds))
    tool = http_load.tool()
    report.add("status_get_per_s", median(status), note=f"GET /v1/jobs/{{id}}, {tool}, {http_load.CONNECTIONS} connections")
    report.add("hello_get_per_s", median(hello), note=f"GET {HELLO_PATH} on the same server")
    report.add("status_get_ratio_vs_hello", median(status) / median(hello), ">=0.5")
