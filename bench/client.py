"""The benchmark's view of the service: submit, wait, fetch the result (one keep-alive client).

The client is the standard library's ``http.client`` on one kept-alive connection, not httpx: it
shares the two cores with the service it measures, and httpx spent 0.54 ms of CPU a request
against 0.13 ms here, which the figures would have charged to the service.

The service reuses the result of an identical earlier submission (same bytes, type, filename,
pipeline version and tenant). The benchmark times parsing, so every submission gets a unique
filename, and a reused result is an error rather than a silently fast figure.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import time
from urllib.parse import urlencode, urlsplit

from bench.app import HELLO_PATH

WAIT_SECONDS = 30
_serial = itertools.count()


def unique(filename: str | None) -> str:
    stem, dot, ext = (filename or "doc.txt").rpartition(".")
    return f"{stem or ext}-{os.getpid()}-{next(_serial)}{dot}{ext if stem else ''}"


class JobFailed(RuntimeError):
    """A benchmark job did not succeed: the figures would be meaningless."""


class Client:
    def __init__(self, base_url: str, timeout: float = 120.0):
        url = urlsplit(base_url)
        self._host, self._port, self._timeout = url.hostname or "127.0.0.1", url.port or 80, timeout
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """``(status, body)``; reconnects once if the server closed the idle connection."""
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                response = self._conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def submit_text(self, text: str, filename: str | None = None) -> str:
        body = json.dumps({"text": text, "filename": unique(filename)}, ensure_ascii=False).encode()
        return self._created(*self.request("POST", "/v1/jobs/", body, {"Content-Type": "application/json"}))

    def submit_pdf(self, data: bytes, filename: str) -> str:
        path = "/v1/jobs/?" + urlencode({"filename": unique(filename)})
        return self._created(*self.request("POST", path, data, {"Content-Type": "application/pdf"}))

    def _created(self, status: int, body: bytes) -> str:
        if status != 202:
            raise JobFailed(f"submit answered {status}: {body[:300].decode(errors='replace')}")
        return json.loads(body)["id"]

    def result(self, job_id: str, deadline_seconds: float = 600.0) -> bytes:
        """Wait for the job to end and return its result JSON: ``GET .../result?wait``, one
        request per job (a 409 ``job.not_finished`` of a job still running means: ask again)."""
        deadline = time.monotonic() + deadline_seconds
        while True:
            status, body = self.request("GET", f"/v1/jobs/{job_id}/result?wait={WAIT_SECONDS}")
            if status == 200:
                return body
            job = json.loads(body).get("job") if status == 409 else None
            if job is None:
                raise JobFailed(f"result of {job_id} answered {status}: {body[:300].decode(errors='replace')}")
            if job["status"] in ("succeeded", "failed", "canceled"):
                raise JobFailed(f"job {job_id} {job['status']}: {job.get('error')}")
            if time.monotonic() > deadline:
                raise JobFailed(f"job {job_id} still {job['status']} after {deadline_seconds:.0f} s")

    def check_parsed(self, job_id: str) -> None:
        """Raise unless the job was parsed (not answered with an identical earlier job's result).
        Kept out of timed loops: it costs a request."""
        status, body = self.request("GET", f"/v1/jobs/{job_id}")
        view = json.loads(body) if status == 200 else {}
        if view.get("status") != "succeeded":
            raise JobFailed(f"status of {job_id} answered {status}: {body[:300].decode(errors='replace')}")
        if (view.get("progress") or {}).get("stage") == "reused":
            raise JobFailed(f"job {job_id} reused an earlier result: the benchmark would not time a parse")

    def hello(self) -> None:
        status, body = self.request("GET", HELLO_PATH)
        if status != 200:
            raise JobFailed(f"{HELLO_PATH} answered {status}")
