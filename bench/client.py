"""The benchmark's view of the service: submit, wait, fetch the result (one keep-alive client).

The service reuses the result of an identical earlier submission (same bytes, type, filename,
pipeline version and tenant). The benchmark times parsing, so every submission gets a unique
filename, and a reused result is an error rather than a silently fast figure.
"""

from __future__ import annotations

import itertools
import os
import time

import httpx

from bench.app import HELLO_PATH

WAIT_SECONDS = 30
_serial = itertools.count()


def unique(filename: str | None) -> str:
    stem, dot, ext = (filename or "doc.txt").rpartition(".")
    return f"{stem or ext}-{os.getpid()}-{next(_serial)}{dot}{ext if stem else ''}"


class JobFailed(RuntimeError):
    """A benchmark job did not succeed: the figures would be meaningless."""


class Client:
    def __init__(self, base_url: str):
        self.http = httpx.Client(base_url=base_url, timeout=120.0)

    def close(self) -> None:
        self.http.close()

    def submit_text(self, text: str, filename: str | None = None) -> str:
        r = self.http.post("/v1/jobs/", json={"text": text, "filename": unique(filename)})
        return self._created(r)

    def submit_pdf(self, data: bytes, filename: str) -> str:
        r = self.http.post("/v1/jobs/", content=data, params={"filename": unique(filename)},
                           headers={"Content-Type": "application/pdf"})  # fmt: skip
        return self._created(r)

    def _created(self, r: httpx.Response) -> str:
        if r.status_code != 202:
            raise JobFailed(f"submit answered {r.status_code}: {r.text[:300]}")
        return r.json()["id"]

    def result(self, job_id: str, deadline_seconds: float = 600.0) -> bytes:
        """Wait for the job to end (``?wait``, no polling loop) and return its result JSON."""
        deadline = time.monotonic() + deadline_seconds
        while True:
            view = self.http.get(f"/v1/jobs/{job_id}", params={"wait": WAIT_SECONDS}).json()
            if view["status"] in ("succeeded", "failed", "canceled"):
                break
            if time.monotonic() > deadline:
                raise JobFailed(f"job {job_id} still {view['status']} after {deadline_seconds:.0f} s")
        if view["status"] != "succeeded":
            raise JobFailed(f"job {job_id} {view['status']}: {view.get('error')}")
        if (view.get("progress") or {}).get("stage") == "reused":
            raise JobFailed(f"job {job_id} reused an earlier result: the benchmark would not time a parse")
        r = self.http.get(f"/v1/jobs/{job_id}/result")
        if r.status_code != 200:
            raise JobFailed(f"result of {job_id} answered {r.status_code}: {r.text[:300]}")
        return r.content

    def hello(self) -> None:
        r = self.http.get(HELLO_PATH)
        r.raise_for_status()
