"""The service's own job record, in one place in Redis. RQ only carries the work.

Keys (``{id}`` is the job id; all three expire ``retention_seconds`` after the job ends):

* ``fazhi:job:{id}``     hash: status, timestamps, progress, error, input facts, attempts
* ``fazhi:input:{id}``   the submitted bytes
* ``fazhi:result:{id}``  the result JSON bytes

Status moves queued → running → succeeded | failed | canceled, and only through the Lua
scripts below, so a late "succeeded" can never overwrite "canceled". Every terminal
transition publishes the new status on ``fazhi:events:{id}`` (``GET ?wait`` listens there).

``JobStore`` (sync, for workers and the submit thread) and ``AsyncJobStore`` (the service's
reads) share the key names, scripts and record decoding; neither knows about HTTP.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import msgspec
import redis
import redis.asyncio

PREFIX = "fazhi"


class Status(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELED})


def job_key(job_id: str) -> str:
    return f"{PREFIX}:job:{job_id}"


def input_key(job_id: str) -> str:
    return f"{PREFIX}:input:{job_id}"


def result_key(job_id: str) -> str:
    return f"{PREFIX}:result:{job_id}"


def events_channel(job_id: str) -> str:
    return f"{PREFIX}:events:{job_id}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JobRecord(msgspec.Struct, kw_only=True):
    id: str
    status: Status
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    stage: str | None = None
    pages_done: int | None = None
    pages_total: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    error_retryable: bool | None = None
    sha256: str = ""
    media_type: str = ""
    filename: str | None = None
    attempts: int = 0

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


def decode_record(job_id: str, raw: dict) -> JobRecord | None:
    """Build a JobRecord from HGETALL output (bytes or str), or None for a missing hash."""
    if not raw:
        return None
    fields = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v) for k, v in raw.items()}
    if "status" not in fields:
        return None
    fields["id"] = job_id
    if "error_retryable" in fields:
        fields["error_retryable"] = fields["error_retryable"] == "1"
    return msgspec.convert(fields, JobRecord, strict=False)


# Start a job unless it has left queued/running (canceled, deleted). Returns attempts or 0.
_START = """
local s = redis.call('HGET', KEYS[1], 'status')
if s ~= 'queued' and s ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'running', 'started_at', ARGV[1])
return redis.call('HINCRBY', KEYS[1], 'attempts', 1)
"""

# Progress only while running: a 0 tells the worker the job was canceled or deleted.
_PROGRESS = """
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""

# Move queued/running to a terminal status. ARGV: status, finished_at, ttl, has_result, result,
# error_code, error_message, error_retryable, channel. Returns {applied, previous status}.
_FINISH = """
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return {0, ''} end
if s ~= 'queued' and s ~= 'running' then return {0, s} end
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'finished_at', ARGV[2])
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'error_code', ARGV[6], 'error_message', ARGV[7], 'error_retryable', ARGV[8])
end
if ARGV[4] == '1' then redis.call('SET', KEYS[3], ARGV[5], 'EX', ttl) end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('PUBLISH', ARGV[9], ARGV[1])
return {1, s}
"""


def _keys(job_id: str) -> list[str]:
    return [job_key(job_id), input_key(job_id), result_key(job_id)]


def _finish_args(job_id: str, status: Status, ttl: int, result: bytes | None, error: tuple[str, str, bool] | None) -> list:
    code, message, retryable = error if error is not None else ("", "", False)
    return [
        status.value,
        now_iso(),
        int(ttl),
        "1" if result is not None else "0",
        result if result is not None else b"",
        code,
        message,
        "1" if retryable else "0",
        events_channel(job_id),
    ]


def _progress_args(stage: str | None, pages_done: int | None, pages_total: int | None) -> list:
    args: list = []
    for name, value in (("stage", stage), ("pages_done", pages_done), ("pages_total", pages_total)):
        if value is not None:
            args += [name, value]
    return args


def _finish_outcome(reply) -> tuple[bool, Status | None]:
    applied, previous = reply
    previous = previous.decode() if isinstance(previous, bytes) else previous
    return bool(applied), Status(previous) if previous else None


class JobStore:
    """Synchronous access, for workers and for the service's submit/cancel threads."""

    def __init__(self, connection: redis.Redis, *, retention_seconds: int):
        self.r = connection
        self.retention = retention_seconds
        self._start = connection.register_script(_START)
        self._progress = connection.register_script(_PROGRESS)
        self._finish = connection.register_script(_FINISH)

    def create(self, pipe, record: JobRecord, data: bytes) -> None:
        """Queue the record and input on ``pipe`` (a MULTI pipeline the caller executes with the enqueue)."""
        fields = {
            "status": record.status.value,
            "created_at": record.created_at,
            "sha256": record.sha256,
            "media_type": record.media_type,
            "attempts": 0,
        }
        if record.filename:
            fields["filename"] = record.filename
        pipe.hset(job_key(record.id), mapping=fields)
        pipe.set(input_key(record.id), data)

    def get(self, job_id: str) -> JobRecord | None:
        return decode_record(job_id, self.r.hgetall(job_key(job_id)))

    def load_input(self, job_id: str) -> bytes | None:
        return self.r.get(input_key(job_id))

    def start(self, job_id: str) -> int:
        """Mark running; returns the attempt number, or 0 when the job must not run."""
        return int(self._start(keys=[job_key(job_id)], args=[now_iso()]))

    def progress(self, job_id: str, *, stage: str | None = None, pages_done: int | None = None, pages_total: int | None = None) -> bool:
        """Record progress; False when the job is no longer running (canceled or deleted)."""
        args = _progress_args(stage, pages_done, pages_total)
        if not args:
            return True
        return bool(self._progress(keys=[job_key(job_id)], args=args))

    def succeed(self, job_id: str, result: bytes) -> bool:
        return _finish_outcome(self._finish(keys=_keys(job_id), args=_finish_args(job_id, Status.SUCCEEDED, self.retention, result, None)))[0]

    def fail(self, job_id: str, code: str, message: str, retryable: bool) -> bool:
        return _finish_outcome(self._finish(keys=_keys(job_id), args=_finish_args(job_id, Status.FAILED, self.retention, None, (code, message, retryable))))[0]

    def cancel(self, job_id: str) -> tuple[bool, Status | None]:
        """Cancel a queued or running job. Returns (applied, status before)."""
        return _finish_outcome(self._finish(keys=_keys(job_id), args=_finish_args(job_id, Status.CANCELED, self.retention, None, None)))

    def delete(self, job_id: str) -> int:
        return int(self.r.delete(*_keys(job_id)))


class AsyncJobStore:
    """Asynchronous reads for the service's request handlers."""

    def __init__(self, connection: redis.asyncio.Redis):
        self.r = connection

    async def get(self, job_id: str) -> JobRecord | None:
        return decode_record(job_id, await self.r.hgetall(job_key(job_id)))

    async def result(self, job_id: str) -> bytes | None:
        return await self.r.get(result_key(job_id))
