"""The service's own job record, in one place in Redis. RQ only carries the work.

Keys (``{id}`` is the job id; all three expire ``retention_seconds`` after the job ends):

* ``fazhi:job:{id}``     hash: status, timestamps, progress, error, input facts, attempts
* ``fazhi:input:{id}``   the submitted bytes
* ``fazhi:result:{id}``  the result JSON bytes
* ``fazhi:hb:{id}``      heartbeat of the worker running the job (short TTL, refreshed while it runs)
* ``fazhi:tomb:{id}``    after the job ends: ``owner\nexpired_at``, kept ``tombstone_seconds`` longer
  than the record so an expired id answers 410, not 404
* ``fazhi:running``      set of job ids in ``running``, which the sweeper checks for lost heartbeats

Every job has an ``owner`` (the tenant that submitted it; "" when auth is off). Readers that pass
``owner`` see another tenant's job exactly as a missing one.

Status moves queued → running → succeeded | failed | canceled, and only through the Lua
scripts below, so a late "succeeded" can never overwrite "canceled". Every terminal
transition publishes the new status on ``fazhi:events:{id}`` (``GET ?wait`` listens there).

``JobStore`` (sync, for workers and the submit thread) and ``AsyncJobStore`` (the service's
reads) share the key names, scripts and record decoding; neither knows about HTTP.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

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


RQ_TIMEOUT_MARGIN_SECONDS = 60
"""Seconds RQ's own job timeout runs past FAZHI_JOB_TIMEOUT_SECONDS, so the PDF sandbox's
document limit fires first and the job fails with a clear parse.timeout rather than RQ's alarm."""


PARSE_JOB = "workers.jobs.parse_job"
"""The RQ function of every parse job: enqueued by the API and the sweeper, run by the workers."""

RQ_RESULT_TTL_SECONDS = 60
"""How long RQ keeps its own record of a finished parse job (rq-dashboard shows it meanwhile).

Not 0: with 0, RQ deletes the job right after it ran, and that deletion reads the job's status
and its executions back from Redis first, four to six round trips per job. With a TTL it only
sets expiries inside the success transaction. Our record and result live in our own keys."""


def rq_job_timeout(settings) -> int:
    return settings.job_timeout_seconds + RQ_TIMEOUT_MARGIN_SECONDS


def job_key(job_id: str) -> str:
    return f"{PREFIX}:job:{job_id}"


def input_key(job_id: str) -> str:
    return f"{PREFIX}:input:{job_id}"


def result_key(job_id: str) -> str:
    return f"{PREFIX}:result:{job_id}"


def heartbeat_key(job_id: str) -> str:
    return f"{PREFIX}:hb:{job_id}"


def tombstone_key(job_id: str) -> str:
    return f"{PREFIX}:tomb:{job_id}"


RUNNING_SET = f"{PREFIX}:running"


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
    owner: str = ""
    callback_url: str | None = None
    queue: str = ""

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


def decode_record(job_id: str, raw: dict, owner: str | None = None) -> JobRecord | None:
    """Build a JobRecord from HGETALL output (bytes or str), or None for a missing hash or,
    when ``owner`` is given, another owner's job."""
    if not raw:
        return None
    fields = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v) for k, v in raw.items()}
    if "status" not in fields:
        return None
    fields["id"] = job_id
    if "error_retryable" in fields:
        fields["error_retryable"] = fields["error_retryable"] == "1"
    record = msgspec.convert(fields, JobRecord, strict=False)
    if owner is not None and record.owner != owner:
        return None
    return record


class Tombstone(msgspec.Struct, frozen=True):
    owner: str
    expired_at: str


def decode_tombstone(raw: bytes | str | None, owner: str | None = None) -> Tombstone | None:
    if raw is None:
        return None
    text = raw.decode() if isinstance(raw, bytes) else raw
    who, _, expired_at = text.partition("\n")
    if owner is not None and who != owner:
        return None
    return Tombstone(who, expired_at)


# Start a job unless it has left queued/running (canceled, deleted). Returns attempts or 0.
# The first heartbeat is set here, so the sweeper never sees a running job without one; so is
# the first stage, which saves the job a progress write before its first stage has even begun.
_START = """
local s = redis.call('HGET', KEYS[1], 'status')
if s ~= 'queued' and s ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'running', 'started_at', ARGV[1], 'stage', ARGV[5])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
return redis.call('HINCRBY', KEYS[1], 'attempts', 1)
"""

# Refresh a heartbeat only while the job runs, so a finished job's key is never recreated.
_BEAT = """
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1
"""

# Progress only while running: a 0 tells the worker the job was canceled or deleted.
_PROGRESS = """
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""

# Move queued/running to a terminal status. ARGV: status, finished_at, ttl, has_result, result,
# error_code, error_message, error_retryable, channel, expires_at, tombstone ttl, job id, final
# stage ('' keeps it). KEYS[7], when given, is the reuse key that gets the job id (a success
# later identical submissions may reuse). Returns {applied, previous status, the record's fields
# after the move}: the worker needs the final record (webhook, metrics), and reading it here
# saves it a round trip.
_FINISH = """
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return {0, '', {}} end
if s ~= 'queued' and s ~= 'running' then return {0, s, {}} end
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'finished_at', ARGV[2])
if ARGV[13] ~= '' then redis.call('HSET', KEYS[1], 'stage', ARGV[13]) end
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'error_code', ARGV[6], 'error_message', ARGV[7], 'error_retryable', ARGV[8])
end
if ARGV[4] == '1' then redis.call('SET', KEYS[3], ARGV[5], 'EX', ttl) end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('DEL', KEYS[4])
redis.call('SREM', KEYS[5], ARGV[12])
local owner = redis.call('HGET', KEYS[1], 'owner') or ''
redis.call('SET', KEYS[6], owner .. '\\n' .. ARGV[10], 'EX', ttl + tonumber(ARGV[11]))
if KEYS[7] then redis.call('SET', KEYS[7], ARGV[12], 'EX', ttl) end
redis.call('PUBLISH', ARGV[9], ARGV[1])
return {1, s, redis.call('HGETALL', KEYS[1])}
"""


# Copy a succeeded job's result into a new job record that is born succeeded (identical input,
# same owner and pipeline version). KEYS: source job, source result, new job, new result, new
# tombstone. ARGV: ttl, now, expires_at, tombstone ttl, then the new record's field pairs.
_CLONE = """
if redis.call('HGET', KEYS[1], 'status') ~= 'succeeded' then return 0 end
local result = redis.call('GET', KEYS[2])
if not result then return 0 end
local ttl = tonumber(ARGV[1])
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[3], unpack(fields))
redis.call('HSET', KEYS[3], 'status', 'succeeded', 'started_at', ARGV[2], 'finished_at', ARGV[2], 'stage', 'reused')
redis.call('SET', KEYS[4], result, 'EX', ttl)
redis.call('EXPIRE', KEYS[3], ttl)
local owner = redis.call('HGET', KEYS[3], 'owner') or ''
redis.call('SET', KEYS[5], owner .. '\\n' .. ARGV[3], 'EX', ttl + tonumber(ARGV[4]))
return 1
"""


def reuse_key(owner: str, sha256: str, media_type: str, filename: str | None, pipeline_version: str) -> str:
    """Identity of "the same document and options": bytes, type, name and pipeline version, per tenant."""
    import hashlib

    parts = "\0".join([sha256, media_type, filename or "", pipeline_version])
    return f"{PREFIX}:reuse:{owner or '-'}:{hashlib.sha256(parts.encode('utf-8', 'surrogatepass')).hexdigest()}"


def _keys(job_id: str) -> list[str]:
    return [job_key(job_id), input_key(job_id), result_key(job_id), heartbeat_key(job_id), RUNNING_SET, tombstone_key(job_id)]


def _iso_in(seconds: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds").replace("+00:00", "Z")


def _finish_args(
    job_id: str,
    status: Status,
    ttl: int,
    result: bytes | None,
    error: tuple[str, str, bool] | None,
    tombstone_ttl: int = 0,
    stage: str | None = None,
) -> list:
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
        _iso_in(int(ttl)),
        int(tombstone_ttl),
        job_id,
        stage or "",
    ]


def _progress_args(stage: str | None, pages_done: int | None, pages_total: int | None) -> list:
    args: list = []
    for name, value in (("stage", stage), ("pages_done", pages_done), ("pages_total", pages_total)):
        if value is not None:
            args += [name, value]
    return args


class Finish(NamedTuple):
    applied: bool
    previous: Status | None
    record: JobRecord | None
    """The record after the move (None when it was not applied)."""


def _finish_outcome(job_id: str, reply) -> Finish:
    applied, previous, fields = reply
    previous = previous.decode() if isinstance(previous, bytes) else previous
    record = decode_record(job_id, dict(zip(fields[::2], fields[1::2], strict=True))) if applied else None
    return Finish(bool(applied), Status(previous) if previous else None, record)


class JobStore:
    """Synchronous access, for workers and for the service's submit/cancel threads.

    Methods that take ``owner`` treat another owner's job as missing; ``owner=None`` (workers,
    the sweeper) sees every job.
    """

    def __init__(
        self,
        connection: redis.Redis,
        *,
        retention_seconds: int,
        tombstone_seconds: int = 30 * 24 * 3600,
        heartbeat_ttl_seconds: float = 20.0,
    ):
        self.r = connection
        self.retention = retention_seconds
        self.tombstone = tombstone_seconds
        self.heartbeat_ms = int(heartbeat_ttl_seconds * 1000)
        self._start = connection.register_script(_START)
        self._beat = connection.register_script(_BEAT)
        self._progress = connection.register_script(_PROGRESS)
        self._finish = connection.register_script(_FINISH)
        self._clone = connection.register_script(_CLONE)

    def create(self, pipe, record: JobRecord, data: bytes) -> None:
        """Queue the record and input on ``pipe`` (a MULTI pipeline the caller executes with the enqueue)."""
        fields = {
            "status": record.status.value,
            "created_at": record.created_at,
            "sha256": record.sha256,
            "media_type": record.media_type,
            "attempts": 0,
            "owner": record.owner,
        }
        if record.filename:
            fields["filename"] = record.filename
        if record.callback_url:
            fields["callback_url"] = record.callback_url
        if record.queue:
            fields["queue"] = record.queue
        pipe.hset(job_key(record.id), mapping=fields)
        pipe.set(input_key(record.id), data)

    def get(self, job_id: str, owner: str | None = None) -> JobRecord | None:
        return decode_record(job_id, self.r.hgetall(job_key(job_id)), owner)

    def reuse(self, record: JobRecord, pipeline_version: str) -> bool:
        """Create ``record`` already succeeded, with the result of an identical earlier job, if one
        is still kept. False: nothing to reuse, enqueue as usual."""
        source = self.r.get(reuse_key(record.owner, record.sha256, record.media_type, record.filename, pipeline_version))
        if source is None:
            return False
        source_id = source.decode()
        fields = {"created_at": record.created_at, "sha256": record.sha256, "media_type": record.media_type,
                  "attempts": 0, "owner": record.owner, "queue": record.queue}
        if record.filename:
            fields["filename"] = record.filename
        args = [int(self.retention), now_iso(), _iso_in(int(self.retention)), int(self.tombstone)]
        for name, value in fields.items():
            args += [name, value]
        keys = [job_key(source_id), result_key(source_id), job_key(record.id), result_key(record.id), tombstone_key(record.id)]
        return bool(self._clone(keys=keys, args=args))

    def tombstone_of(self, job_id: str, owner: str | None = None) -> Tombstone | None:
        return decode_tombstone(self.r.get(tombstone_key(job_id)), owner)

    def load_input(self, job_id: str) -> bytes | None:
        return self.r.get(input_key(job_id))

    def start(self, job_id: str, worker: str = "", stage: str = "ingest") -> int:
        """Mark running; returns the attempt number, or 0 when the job must not run."""
        keys, args = self._start_call(job_id, worker, stage)
        return int(self._start(keys=keys, args=args))

    def begin(self, job_id: str, worker: str = "", stage: str = "ingest") -> tuple[int, dict, bytes | None]:
        """``start``, then read the record's hash and the input, in one round trip (all three are
        on a job's latency path). Returns (attempt, the hash as HGETALL gives it, input);
        attempt 0: the job must not run."""
        keys, args = self._start_call(job_id, worker, stage)
        for tries_left in (1, 0):
            # Scripts in a pipeline: redis-py would ask SCRIPT EXISTS first, an extra round trip
            # per job. EVALSHA directly, and load the script only when Redis has lost it.
            with self.r.pipeline(transaction=False) as pipe:
                pipe.evalsha(self._start.sha, len(keys), *keys, *args)
                pipe.hgetall(job_key(job_id))
                pipe.get(input_key(job_id))
                try:
                    attempt, fields, data = pipe.execute()
                except redis.exceptions.NoScriptError:
                    if not tries_left:
                        raise
                    self.r.script_load(_START)  # nothing ran: the other two commands only read
                    continue
            return int(attempt), fields, data
        raise AssertionError("unreachable")

    def _start_call(self, job_id: str, worker: str, stage: str) -> tuple[list, list]:
        keys = [job_key(job_id), heartbeat_key(job_id), RUNNING_SET]
        return keys, [now_iso(), worker or "-", self.heartbeat_ms, job_id, stage]

    def beat(self, job_id: str, worker: str = "") -> bool:
        """Refresh the running job's heartbeat; False once it is no longer running."""
        return bool(self._beat(keys=[job_key(job_id), heartbeat_key(job_id)], args=[worker or "-", self.heartbeat_ms]))

    def progress(self, job_id: str, *, stage: str | None = None, pages_done: int | None = None, pages_total: int | None = None) -> bool:
        """Record progress; False when the job is no longer running (canceled or deleted)."""
        args = _progress_args(stage, pages_done, pages_total)
        if not args:
            return True
        return bool(self._progress(keys=[job_key(job_id)], args=args))

    def finish(
        self,
        job_id: str,
        status: Status,
        *,
        result: bytes | None = None,
        error: tuple[str, str, bool] | None = None,
        stage: str | None = None,
        reuse_key: str | None = None,
    ) -> Finish:
        """Move a queued or running job to ``status``. ``stage`` replaces the recorded stage;
        ``reuse_key`` (successes only) offers the result to later identical submissions."""
        args = _finish_args(job_id, status, self.retention, result, error, self.tombstone, stage)
        keys = _keys(job_id) + ([reuse_key] if reuse_key and status == Status.SUCCEEDED else [])
        return _finish_outcome(job_id, self._finish(keys=keys, args=args))

    def succeed(self, job_id: str, result: bytes) -> bool:
        return self.finish(job_id, Status.SUCCEEDED, result=result).applied

    def fail(self, job_id: str, code: str, message: str, retryable: bool) -> bool:
        return self.finish(job_id, Status.FAILED, error=(code, message, retryable)).applied

    def cancel(self, job_id: str) -> tuple[bool, Status | None]:
        """Cancel a queued or running job. Returns (applied, status before)."""
        applied, previous, _ = self.finish(job_id, Status.CANCELED)
        return applied, previous

    def delete(self, job_id: str) -> int:
        """Remove a job for good: its id then answers 404, not 410."""
        return int(self.r.delete(*_keys(job_id)[:4], tombstone_key(job_id)))

    def running_ids(self) -> list[str]:
        return [m.decode() if isinstance(m, bytes) else m for m in self.r.smembers(RUNNING_SET)]

    def put_back(self, job_id: str, enqueue, *, max_attempts: int | None = None, uncount: bool = False) -> str:
        """Return a running job whose worker is gone (or stopping) to ``queued`` and re-enqueue it.

        Atomic with ``enqueue(pipe)`` (which adds the RQ job to the same MULTI): either both happen
        or neither. Returns "requeued", "exhausted" (attempts used up: the caller fails it),
        "alive" (the heartbeat came back) or "gone" (no longer running).
        """
        key, beat = job_key(job_id), heartbeat_key(job_id)
        for _ in range(3):
            # Touch the heartbeat first: Redis deletes an expired key lazily on access, and a
            # deletion inside the WATCH window would abort the transaction for nothing.
            if max_attempts is not None and self.r.exists(beat):
                return "alive"
            try:
                return self._put_back(job_id, key, beat, enqueue, max_attempts, uncount)
            except redis.WatchError:
                continue
        return "alive"

    def _put_back(self, job_id: str, key: str, beat: str, enqueue, max_attempts: int | None, uncount: bool) -> str:
        with self.r.pipeline(transaction=True) as pipe:
            pipe.watch(key, beat)
            status = pipe.hget(key, "status")
            if status != b"running":
                pipe.multi()
                pipe.srem(RUNNING_SET, job_id)
                pipe.execute()
                return "gone"
            if max_attempts is not None:
                if pipe.exists(beat):
                    return "alive"
                if int(pipe.hget(key, "attempts") or 0) >= max_attempts:
                    return "exhausted"
            pipe.multi()
            pipe.hset(key, mapping={"status": Status.QUEUED.value, "stage": "requeued"})
            if uncount:
                pipe.hincrby(key, "attempts", -1)
            pipe.delete(beat)
            pipe.srem(RUNNING_SET, job_id)
            enqueue(pipe)
            pipe.execute()
            return "requeued"


class AsyncJobStore:
    """Asynchronous reads for the service's request handlers."""

    def __init__(self, connection: redis.asyncio.Redis):
        self.r = connection

    async def get(self, job_id: str, owner: str | None = None) -> JobRecord | None:
        return decode_record(job_id, await self.r.hgetall(job_key(job_id)), owner)

    async def tombstone_of(self, job_id: str, owner: str | None = None) -> Tombstone | None:
        return decode_tombstone(await self.r.get(tombstone_key(job_id)), owner)

    async def result(self, job_id: str) -> bytes | None:
        return await self.r.get(result_key(job_id))


class EvictionPolicyError(RuntimeError):
    """Redis may evict keys, so accepted jobs could silently disappear."""


SAFE_POLICIES = frozenset({"noeviction"})


def check_eviction_policy(connection: redis.Redis, *, allow: bool, log) -> str | None:
    """Refuse (or, with ``allow``, warn) when Redis' ``maxmemory-policy`` can evict job keys.

    Returns the policy, or None when it cannot be read (CONFIG disabled on managed Redis: warn).
    Connection errors propagate to the caller, which decides whether Redis must be up.
    """
    try:
        reply = connection.config_get("maxmemory-policy")
    except redis.ResponseError as exc:
        log.warning("cannot read Redis' maxmemory-policy (%s); make sure it is 'noeviction', or jobs may be lost", exc)
        return None
    policy = (reply or {}).get("maxmemory-policy")
    policy = policy.decode() if isinstance(policy, bytes) else policy
    if policy is None or policy in SAFE_POLICIES:
        return policy
    message = (
        f"Redis maxmemory-policy is {policy!r}: under memory pressure it would delete queued jobs and results. "
        "Set 'maxmemory-policy noeviction' (redis.conf or CONFIG SET), or FAZHI_ALLOW_EVICTION=1 to run anyway."
    )
    if not allow:
        raise EvictionPolicyError(message)
    log.warning("%s (FAZHI_ALLOW_EVICTION=1: running anyway)", message)
    return policy
