"""Chaos: two workers, many PDF jobs, one worker SIGKILLed again and again mid-job.

Every job must end ``succeeded``: a killed worker's job is noticed through its expired
heartbeat, requeued by the other worker's sweeper and run again. Prints one JSON line.

    uv run python -m bench.chaos            # 40 jobs of 24 pages, a busy worker killed every ~2 s
    uv run python -m bench.chaos --quick    # 30 jobs of 20 pages, every ~1 s (the test suite runs this)

Needs nothing running: it starts a private Redis, the two workers and the API in-process.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "chaos"
LINES = [
    "某某县人民政府{year}年法治政府建设年度报告",
    "一、主要举措",
    "（一）深化行政复议体制改革。全年办理行政复议案件{n}件，纠错率12.5%。",
    "（二）推进严格规范公正文明执法。开展执法培训15场，培训执法人员3000余人次。",
    "二、存在的不足",
    "个别单位执法不够规范。",
    "三、下一步工作安排",
    "持续推进法治政府建设。",
]


def make_pdf(pages: int, seed: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for page in range(pages):
        pdf.setFont("STSong-Light", 11)
        y = 800
        for i in range(30):
            line = LINES[i % len(LINES)].format(year=2016 + seed % 9, n=seed * 7 + page + i)
            pdf.drawString(50, y, line)
            y -= 25
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def start_redis(workdir: str) -> tuple[subprocess.Popen, str]:
    sys.path.insert(0, str(ROOT))
    from tests.conftest import RedisServer

    server = RedisServer(Path(workdir))
    server.start()
    return server, server.url


def spawn_worker(url: str, env_extra: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, "FAZHI_REDIS_URL": url, "FAZHI_QUEUE_NAME": QUEUE, "FAZHI_LOG_LEVEL": "WARNING", **env_extra}
    return subprocess.Popen([sys.executable, "-m", "workers.worker"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)


def wait_registered(conn: redis.Redis, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(conn.smembers(f"rq:workers:{QUEUE}")) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("workers did not register")
        time.sleep(0.1)


def _busy_workers(conn: redis.Redis, records, workers: list[subprocess.Popen], max_attempts: int) -> list[int]:
    """Indexes of our workers that hold a running job (its heartbeat names host:pid), leaving
    alone a job on its last allowed attempt: killing that one must fail it (``worker.lost``)."""
    from workers.jobstore import heartbeat_key

    pids = set()
    for record in records:
        if record is not None and record.status.value == "running" and record.attempts < max_attempts:
            holder = conn.get(heartbeat_key(record.id))
            if holder:
                pids.add(holder.decode().rpartition(":")[2])
    return [i for i, proc in enumerate(workers) if str(proc.pid) in pids]


def run(jobs: int, pages: int, kill_every: float, timeout: float, heartbeat: float) -> dict:
    from litestar.testing import TestClient
    from msgspec.structs import replace

    from fazhi.settings import get_settings
    from service.app import create_app
    from workers.jobstore import JobStore

    env_extra = {"FAZHI_HEARTBEAT_TTL_SECONDS": str(heartbeat)}
    max_attempts = get_settings().max_attempts  # what the workers run with (same environment)
    with tempfile.TemporaryDirectory() as tmp:
        server, url = start_redis(tmp)
        conn = redis.Redis.from_url(url)
        settings = replace(get_settings(environ={}), redis_url=url, queue_name=QUEUE, rate_limit_per_minute=0)
        workers = [spawn_worker(url, env_extra), spawn_worker(url, env_extra)]
        kills = 0
        started = time.monotonic()
        try:
            wait_registered(conn, 2)
            with TestClient(app=create_app(settings)) as client:
                ids = []
                for i in range(jobs):
                    response = client.post("/v1/jobs", content=make_pdf(pages, i), headers={"content-type": "application/pdf"})
                    assert response.status_code == 202, response.text
                    ids.append(response.json()["id"])
                store = JobStore(conn, retention_seconds=3600)
                deadline = time.monotonic() + timeout
                rng = random.Random(7)
                next_kill = time.monotonic() + kill_every
                while time.monotonic() < deadline:
                    records = [store.get(i) for i in ids]
                    if all(r is not None and r.terminal for r in records):
                        break
                    busy = _busy_workers(conn, records, workers, max_attempts) if time.monotonic() >= next_kill else []
                    if busy:
                        victim = rng.choice(busy)  # a worker that is running a job right now
                        workers[victim].send_signal(signal.SIGKILL)
                        workers[victim].wait()
                        kills += 1
                        workers[victim] = spawn_worker(url, env_extra)
                        next_kill = time.monotonic() + kill_every * rng.uniform(0.7, 1.3)
                    time.sleep(0.2)
                records = [store.get(i) for i in ids]
        finally:
            for proc in workers:
                proc.kill()
                proc.wait()
            server.stop()
    statuses: dict[str, int] = {}
    for record in records:
        status = record.status.value if record else "missing"
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "jobs": jobs,
        "pages": pages,
        "kills": kills,  # each one of a worker that was running a job
        "statuses": statuses,
        "rerun_jobs": sum(1 for r in records if r and r.attempts > 1),
        "max_attempts": max((r.attempts for r in records if r), default=0),
        "seconds": round(time.monotonic() - started, 1),
        "ok": statuses.get("succeeded", 0) == jobs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="30 small PDF jobs, for the test suite")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--pages", type=int)
    parser.add_argument("--kill-every", type=float, help="seconds between SIGKILLs (default 2, --quick 1)")
    parser.add_argument("--heartbeat", type=float, default=2.0, help="FAZHI_HEARTBEAT_TTL_SECONDS for the workers")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    jobs = args.jobs or (30 if args.quick else 40)
    pages = args.pages or (20 if args.quick else 24)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    kill_every = args.kill_every or (1.0 if args.quick else 2.0)
    report = run(jobs, pages, kill_every, args.timeout, args.heartbeat)
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
