"""Requests per second on one URL: ``wrk`` when installed, else a small asyncio keep-alive client.

Both are bounded in time and loopback only. wrk is preferred because a Python client on the
same 2 cores would take CPU from the server it measures; the fallback still gives a fair ratio
between two URLs measured the same way.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from urllib.parse import urlsplit

CONNECTIONS = 10
_RPS = re.compile(r"Requests/sec:\s*([0-9.]+)")
_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")


class LoadError(RuntimeError):
    """The load run failed or got error answers."""


def tool() -> str:
    return "wrk" if shutil.which("wrk") else "asyncio"


def requests_per_second(url: str, seconds: float, connections: int = CONNECTIONS) -> float:
    if not url.startswith("http://127.0.0.1:"):
        raise LoadError(f"load is for the private loopback server only, not {url}")
    if shutil.which("wrk"):
        return _wrk(url, seconds, connections)
    return asyncio.run(_asyncio_load(url, seconds, connections))


def _wrk(url: str, seconds: float, connections: int) -> float:
    out = subprocess.run(  # noqa: S603 - fixed argv
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", url],
        capture_output=True, text=True, timeout=seconds + 30, check=False,
    )  # fmt: skip
    bad = _NON2XX.search(out.stdout)
    if out.returncode != 0 or bad:
        raise LoadError(f"wrk on {url} failed: {out.stdout[-400:]} {out.stderr[-400:]}")
    match = _RPS.search(out.stdout)
    if not match:
        raise LoadError(f"no Requests/sec in wrk output: {out.stdout[-400:]}")
    return float(match.group(1))


async def _asyncio_load(url: str, seconds: float, connections: int) -> float:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    deadline = time.monotonic() + seconds
    counts = [0] * connections

    async def one(slot: int) -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while time.monotonic() < deadline:
                writer.write(request)
                status = await reader.readline()
                if not status.startswith(b"HTTP/1.1 2"):
                    raise LoadError(f"{url} answered {status!r}")
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                counts[slot] += 1
        finally:
            writer.close()

    start = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(connections)))
    return sum(counts) / (time.monotonic() - start)
