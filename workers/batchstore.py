"""Batch records in Redis: which jobs one ``POST /v1/batches`` created, for whom.

A batch is written once, after its jobs are enqueued, as one JSON value at
``fazhi:batch:{id}``; its status is never stored but read from the jobs, so it cannot drift
from them. It expires like its jobs (retention after they end, plus the time they may wait in
the queue). Readers that pass ``owner`` see another tenant's batch as missing.
"""

from __future__ import annotations

import msgspec
import redis
import redis.asyncio

from workers.jobstore import PREFIX


def batch_key(batch_id: str) -> str:
    return f"{PREFIX}:batch:{batch_id}"


class BatchItem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One submitted document: a job, or the reason it was refused at submit."""

    index: int
    filename: str | None = None
    job_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


class BatchRecord(msgspec.Struct, kw_only=True):
    id: str
    created_at: str
    owner: str = ""
    items: list[BatchItem] = []


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(BatchRecord)


def _decode(raw: bytes | None, owner: str | None) -> BatchRecord | None:
    if raw is None:
        return None
    record = _decoder.decode(raw)
    if owner is not None and record.owner != owner:
        return None
    return record


class BatchStore:
    def __init__(self, connection: redis.Redis, *, ttl_seconds: int):
        self.r = connection
        self.ttl = ttl_seconds

    def create(self, record: BatchRecord) -> None:
        self.r.set(batch_key(record.id), _encoder.encode(record), ex=self.ttl)

    def get(self, batch_id: str, owner: str | None = None) -> BatchRecord | None:
        return _decode(self.r.get(batch_key(batch_id)), owner)


class AsyncBatchStore:
    def __init__(self, connection: redis.asyncio.Redis):
        self.r = connection

    async def get(self, batch_id: str, owner: str | None = None) -> BatchRecord | None:
        return _decode(await self.r.get(batch_key(batch_id)), owner)
