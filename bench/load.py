"""Load: many text submissions from concurrent clients against a real API and workers.

Starts a private Redis, ``--workers`` worker processes and the API under uvicorn on a free port,
then ``--clients`` threads submit ``--jobs`` reports in total (no retries: a 429/503 counts as
rejected), wait for every accepted job to end, and print one JSON line:

    {"accepted", "rejected", "rejected_by_status", "errors", "lost", "succeeded", "failed",
     "submit_seconds", "drain_seconds", "submit_p50_ms", "submit_p99_ms", "jobs_per_second"}

``lost`` = accepted jobs that never reached a final state or vanished; it must be 0.

    uv run python -m bench.load             # 2,000 submissions from 20 clients
    uv run python -m bench.load --quick     # 300 submissions (the test suite runs this)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path("/work/shared/seeds")
QUEUE = "load"
SHORT = (
    "某某县人民政府{year}年法治政府建设年度报告\n一、主要举措\n（一）深化行政复议体制改革。全年办理行政复议案件{n}件，纠错率12.5%。\n"
    "（二）推进严格规范公正文明执法。开展执法培训15场，培训执法人员3000余人次。\n二、存在的不足\n个别单位执法不够规范。\n"
    "三、下一步工作安排\n持续推进法治政府建设。\n"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def documents(full_reports: bool) -> list[str]:
    if full_reports and SEEDS.is_dir():
        return [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    return [SHORT.format(year=2016 + i, n=100 + i) for i in range(9)]


def start_api(env: dict[str, str], port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "service.app:create_app", "--host", "127.0.0.1", "--port", str(port),
           "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def run(jobs: int, clients: int, workers: int, full_reports: bool, drain_timeout: float, extra_env: dict[str, str]) -> dict:
    sys.path.insert(0, str(ROOT))
    from tests.conftest import RedisServer

    docs = documents(full_reports)
    with tempfile.TemporaryDirectory() as tmp:
        redis_server = RedisServer(Path(tmp))
        redis_server.start()
        env = {**os.environ, "FAZHI_REDIS_URL": redis_server.url, "FAZHI_QUEUE_NAME": QUEUE, "FAZHI_LOG_LEVEL": "WARNING", **extra_env}
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        procs = [start_api(env, port)]
        procs += [subprocess.Popen([sys.executable, "-m", "workers.worker"], cwd=ROOT, env=env) for _ in range(workers)]
        try:
            wait_http(base + "/healthz")
            return _drive(base, docs, jobs, clients, drain_timeout)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            redis_server.stop()


def _drive(base: str, docs: list[str], jobs: int, clients: int, drain_timeout: float) -> dict:
    accepted: list[str] = []
    rejected: dict[str, int] = {}
    errors: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(jobs))

    def client_loop() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                start = time.perf_counter()
                try:
                    response = http.post("/v1/jobs", json={"text": docs[i % len(docs)] + f"\n（编号{i}）", "filename": f"load-{i}.txt"})
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    if response.status_code == 202:
                        accepted.append(response.json()["id"])
                    elif response.status_code in (429, 503):
                        key = f"{response.status_code} {response.json().get('code')}"
                        rejected[key] = rejected.get(key, 0) + 1
                    else:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    started = time.monotonic()
    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    submit_seconds = time.monotonic() - started

    final: dict[str, str] = {}
    deadline = time.monotonic() + drain_timeout
    with httpx.Client(base_url=base, timeout=40) as http:
        for job_id in accepted:
            while time.monotonic() < deadline:
                response = http.get(f"/v1/jobs/{job_id}", params={"wait": 10})
                status = response.json().get("status") if response.status_code == 200 else f"http {response.status_code}"
                if status not in ("queued", "running"):
                    break
            final[job_id] = status
    drain_seconds = time.monotonic() - started - submit_seconds
    counts: dict[str, int] = {}
    for status in final.values():
        counts[status] = counts.get(status, 0) + 1
    latencies.sort()
    pct = lambda p: round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else None  # noqa: E731
    return {
        "submitted": jobs,
        "clients": clients,
        "accepted": len(accepted),
        "rejected": sum(rejected.values()),
        "rejected_by_status": rejected,
        "errors": len(errors),
        "error_samples": errors[:3],
        "lost": sum(n for s, n in counts.items() if s not in ("succeeded", "failed")),
        "succeeded": counts.get("succeeded", 0),
        "failed": counts.get("failed", 0),
        "submit_seconds": round(submit_seconds, 1),
        "drain_seconds": round(drain_seconds, 1),
        "submit_p50_ms": pct(0.5),
        "submit_p99_ms": pct(0.99),
        "jobs_per_second": round(len(accepted) / (submit_seconds + drain_seconds), 1) if accepted else 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="300 short submissions, for the test suite")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--full-reports", action="store_true", help="submit the seed reports (slower parsing) instead of short ones")
    parser.add_argument("--rate-limit", type=int, help="FAZHI_RATE_LIMIT_PER_MINUTE for the API (default: the setting's default)")
    parser.add_argument("--max-queue-depth", type=int, help="FAZHI_MAX_QUEUE_DEPTH for the API")
    parser.add_argument("--drain-timeout", type=float, default=1800.0)
    args = parser.parse_args(argv)
    jobs = args.jobs or (300 if args.quick else 2000)
    extra = {}
    if args.rate_limit is not None:
        extra["FAZHI_RATE_LIMIT_PER_MINUTE"] = str(args.rate_limit)
    if args.max_queue_depth is not None:
        extra["FAZHI_MAX_QUEUE_DEPTH"] = str(args.max_queue_depth)
    report = run(jobs, args.clients, args.workers, args.full_reports, args.drain_timeout, extra)
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return 0 if report["lost"] == 0 and report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
