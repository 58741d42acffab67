"""Job records as API views, and waiting for a job to end without polling Redis."""

from __future__ import annotations

import asyncio
import re

import redis.asyncio

from service.errors import JobExpired, JobNotFound
from service.schemas import JobDocument, JobError, JobView, Progress
from workers.jobstore import AsyncJobStore, JobRecord, events_channel

# token_urlsafe ids; anything else cannot be ours, and never reaches a Redis key.
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


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
    record = await store.get(job_id, owner)
    if record is None:
        tomb = await store.tombstone_of(job_id, owner)
        if tomb is not None:
            raise JobExpired(f"job {job_id!r} ended and its record expired at {tomb.expired_at} (retention period)")
        raise JobNotFound(f"no job with id {job_id!r} (unknown or deleted)")
    return record


async def wait_for_end(connection: redis.asyncio.Redis, store: AsyncJobStore, job_id: str, seconds: float, *, owner: str) -> JobRecord:
    """The record once the job is terminal or ``seconds`` have passed.

    Subscribes before re-reading the record, so an end that happens in between is not missed.
    """
    record = await fetch(store, job_id, owner=owner)
    if record.terminal or seconds <= 0:
        return record
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    async with connection.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(events_channel(job_id))
        record = await fetch(store, job_id, owner=owner)
        while not record.terminal:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            message = await pubsub.get_message(timeout=remaining)
            if message is not None:
                record = await fetch(store, job_id, owner=owner)
    return record
