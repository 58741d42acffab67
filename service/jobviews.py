"""Job records as API views, and waiting for a job to end without polling Redis."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec

from service.backend import CachedScript
from service.errors import JobExpired, JobNotFound
from service.events import JobEvents
from service.schemas import JobDocument, JobError, JobView, Progress
from workers.jobstore import AsyncJobStore, JobRecord, Status, decode_record, decode_tombstone, job_key, result_key, tombstone_key

T = TypeVar("T")

# token_urlsafe ids; anything else cannot be ours, and never reaches a Redis key.
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


# Reads are the API's hottest path: one round trip, and the record as one bulk string (a JSON
# array of field, value, ...) instead of ~40 RESP items to parse (that parsing cost more than the
# rest of the request). Given a third key, also the stored result once the record says succeeded:
# one script call, not a pipeline (redis-py's pipeline machinery cost more than the second
# command). Replies {record} or {record, result}; {'T' .. tombstone}; or {}.
_READ = CachedScript("""
local h = redis.call('HGETALL', KEYS[1])
if #h > 0 then
  if KEYS[3] and redis.call('HGET', KEYS[1], 'status') == 'succeeded' then
    return {cjson.encode(h), redis.call('GET', KEYS[3])}
  end
  return {cjson.encode(h)}
end
local t = redis.call('GET', KEYS[2])
if t then return {'T' .. t} end
return {}
""")
_decode_fields = msgspec.json.Decoder(list[str]).decode


async def _read(store: AsyncJobStore, job_id: str, *, with_result: bool = False) -> tuple[bytes | None, bytes | None]:
    """The raw record (or "T" + tombstone, or None) and, when asked and succeeded, the result."""
    keys = (job_key(job_id), tombstone_key(job_id), *((result_key(job_id),) if with_result else ()))
    reply = await _READ(store.r, len(keys), *keys)
    raw = reply[0] if reply else None
    return (raw.encode() if isinstance(raw, str) else raw), (reply[1] if len(reply) > 1 else None)


def view(record: JobRecord) -> JobView:
    error = None
    if record.error_code:
        error = JobError(code=record.error_code, message=record.error_message or "", retryable=bool(record.error_retryable))
    return JobView(
        id=record.id,
        status=record.status.value,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        progress=Progress(stage=record.stage, pages_done=record.pages_done, pages_total=record.pages_total),
        error=error,
        document=JobDocument(sha256=record.sha256, media_type=record.media_type, filename=record.filename),
        attempts=record.attempts,
    )


async def fetch(store: AsyncJobStore, job_id: str, *, owner: str) -> JobRecord:
    """The job of ``owner``; another tenant's job is "not found" exactly like an unknown id."""
    if not JOB_ID.match(job_id):
        raise JobNotFound(f"no job with id {job_id!r}")
    raw, _ = await _read(store, job_id)
    return await _record(store, job_id, raw, owner)


async def fetch_with_result(store: AsyncJobStore, job_id: str, *, owner: str) -> tuple[JobRecord, bytes | None]:
    """``fetch`` and the stored result, in one round trip: the record says whether the result
    may be shown (a finished job's result is read before its owner is checked, never returned)."""
    if not JOB_ID.match(job_id):
        raise JobNotFound(f"no job with id {job_id!r}")
    raw, result = await _read(store, job_id, with_result=True)
    record = await _record(store, job_id, raw, owner)
    return record, result if record.status == Status.SUCCEEDED else None


async def _record(store: AsyncJobStore, job_id: str, raw: bytes | None, owner: str) -> JobRecord:
    if raw is not None and raw[:1] == b"[":
        flat = _decode_fields(raw)
        record = decode_record(job_id, dict(zip(flat[::2], flat[1::2])), owner)
        if record is not None:
            return record
        tomb = await store.tombstone_of(job_id, owner)  # another owner's (or a broken) record
    else:
        tomb = decode_tombstone(raw[1:], owner) if raw is not None else None
    if tomb is not None:
        raise JobExpired(f"job {job_id!r} ended and its record expired at {tomb.expired_at} (retention period)")
    raise JobNotFound(f"no job with id {job_id!r} (unknown or deleted)")


async def wait_for_end(events: JobEvents, store: AsyncJobStore, job_id: str, seconds: float, *, owner: str) -> JobRecord:
    """The record once the job is terminal or ``seconds`` have passed."""
    if seconds <= 0:  # a plain status read, the API's hottest path
        return await fetch(store, job_id, owner=owner)

    async def read() -> tuple[JobRecord, None]:
        return await fetch(store, job_id, owner=owner), None

    return (await _wait(events, job_id, seconds, read))[0]


async def wait_for_result(events: JobEvents, store: AsyncJobStore, job_id: str, seconds: float, *, owner: str) -> tuple[JobRecord, bytes | None]:
    """The record and, once it succeeded, the result: when the job is terminal or ``seconds``
    have passed. Every read takes both in one round trip."""
    return await _wait(events, job_id, seconds, lambda: fetch_with_result(store, job_id, owner=owner))


async def _wait(events: JobEvents, job_id: str, seconds: float, read: Callable[[], Awaitable[tuple[JobRecord, T]]]) -> tuple[JobRecord, T]:
    """Watches the job's channel, and reads only once the subscription is confirmed, so an end
    published before the read is in the record and one published after it wakes the wait."""
    if seconds <= 0 or not events.live:
        # Without a live subscription, read first: a finished job, an unknown id or a Redis
        # outage answers at once instead of after waiting for the subscription.
        got = await read()
        if got[0].terminal or seconds <= 0:
            return got
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    with events.watch(job_id) as ended:
        if not await events.subscribed(seconds):
            return await read()
        ended.clear()
        got = await read()
        while not got[0].terminal:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                await asyncio.wait_for(ended.wait(), remaining)
            except TimeoutError:
                break
            ended.clear()
            got = await read()
    return got
