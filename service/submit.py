"""Turn a POST /v1/jobs request into bytes plus a filename, check them cheaply, and enqueue.

The body is read through Litestar's stream, which stops at ``request_max_body_size`` (set from
``Settings.max_body_bytes``) and rejects a larger Content-Length before reading anything.
The media type is decided by ``sniff`` (magic bytes); the declared Content-Type only says how
the body is framed (JSON, multipart or raw).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from pathlib import PurePosixPath

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException

from service.backend import Backend, CachedScript
from service.errors import BackendBusy, CallbackRefused, IdempotencyConflict, InvalidInput, InvalidJson, RateLimited
from service.schemas import SubmitText
from fazhi.settings import Settings
from workers.errors import EmptyDocument, TooManyPages
from workers.ingest.sniff import PDF, TEXT, require_supported, sniff
from workers.ingest.text import decode_text
from fazhi.observability.api import job_fields
from fazhi.observability.metrics import JOBS_SUBMITTED
from workers.jobstore import PARSE_JOB, RQ_RESULT_TTL_SECONDS, JobRecord, Status, job_key, now_iso, rq_job_timeout
from workers.webhooks import CallbackUrlError, check_url

MAX_FILENAME_CHARS = 255

_submit_decoder = msgspec.json.Decoder(SubmitText)


MAX_IDEMPOTENCY_KEY_CHARS = 255
RATE_WINDOW_SECONDS = 60

# One round trip: count this submission in the tenant's window and read the queue depth.
_ADMIT = CachedScript("""
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('LLEN', KEYS[2]), redis.call('TTL', KEYS[1])}
""")


@dataclass
class Submission:
    data: bytes
    filename: str | None
    callback_url: str | None = None


async def admit(backend: Backend, tenant: str, cost: int = 1) -> None:
    """Per-tenant rate limit and queue back-pressure, checked before the body is read.

    ``cost`` is the number of documents (a batch calls again with its size once it is read).
    """
    settings = backend.settings
    window = int(time.time()) // RATE_WINDOW_SECONDS
    key = f"fazhi:rate:{tenant or '-'}:{window}"
    count, depth, ttl = await _ADMIT(backend.aredis, 2, key, backend.queue.key, RATE_WINDOW_SECONDS + 1, int(cost))
    if settings.rate_limit_per_minute and count > settings.rate_limit_per_minute:
        raise RateLimited(
            f"more than {settings.rate_limit_per_minute} submissions in a minute from this client",
            retry_after=ttl if ttl and ttl > 0 else RATE_WINDOW_SECONDS,
        )
    if depth >= settings.max_queue_depth:
        raise BackendBusy(f"{depth} jobs are waiting (limit {settings.max_queue_depth}); retry later")


def decode_json_body(body: bytes, decoder: msgspec.json.Decoder, shape: str):
    """Decode a JSON request body, mapping msgspec's errors to the API's codes."""
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"the JSON body does not match {shape}: {exc}") from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # msgspec raises the latter for bad UTF-8 in strings
        raise InvalidJson(f"the body is not valid UTF-8 JSON: {exc}") from None


async def read_form(request: Request):
    """The multipart form, with framing errors answered as input.invalid rather than 500."""
    try:
        return await request.form()
    except HTTPException:
        raise
    except Exception as exc:  # noqa: BLE001 - the multipart parser raises assorted errors on bad framing
        raise InvalidInput(f"the multipart body cannot be parsed: {exc}") from None


async def read_submission(request: Request, filename: str | None, callback_url: str | None = None) -> Submission:
    content_type, _ = request.content_type
    if content_type == "application/json":
        doc = decode_json_body(await request.body(), _submit_decoder, "{text, filename}")
        return Submission(doc.text.encode("utf-8"), clean_filename(doc.filename or filename), doc.callback_url or callback_url)
    if content_type == "multipart/form-data":
        form = await read_form(request)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("a multipart body needs a file part named 'file'")
        data = await upload.read()
        name = form.get("filename") if isinstance(form.get("filename"), str) else None
        form_callback = form.get("callback_url") if isinstance(form.get("callback_url"), str) else None
        return Submission(data, clean_filename(name or upload.filename or filename), form_callback or callback_url)
    return Submission(await request.body(), clean_filename(filename), callback_url)


def check_callback(url: str | None, settings: Settings) -> str | None:
    """Validate a callback URL at submit (runs in a thread: it resolves the host)."""
    if not url:
        return None
    if not settings.webhook_secret:
        raise CallbackRefused("this service has no webhook secret configured (FAZHI_WEBHOOK_SECRET), so it cannot send callbacks")
    try:
        return check_url(url, allow_private=settings.webhook_allow_private)
    except CallbackUrlError as exc:
        raise CallbackRefused(str(exc)) from None


def clean_filename(name: str | None) -> str | None:
    """Keep only the last path component: the name is shown back, never used as a path."""
    if not name:
        return None
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    base = "".join(ch for ch in base if ch >= " " and ch != "\x7f")
    return base[:MAX_FILENAME_CHARS] or None


def inspect(data: bytes, settings: Settings) -> str:
    """Sniff and cheaply validate ``data``; returns its media type (runs in a thread)."""
    if not data.strip():
        raise EmptyDocument("the document is empty")
    media_type = sniff(data)
    require_supported(media_type)
    if media_type == TEXT:
        if not decode_text(data).strip():
            raise EmptyDocument("the document contains only whitespace")
    elif media_type == PDF:
        try:
            from workers.ingest.pdf import inspect_pdf
        except ImportError:  # the PDF reader is optional at submit; the worker still checks
            inspect_pdf = None
        if inspect_pdf is not None:
            info = inspect_pdf(data)
            if info.pages > settings.max_pages:
                raise TooManyPages(f"the PDF has {info.pages} pages; the limit is {settings.max_pages}")
    else:
        from workers.ingest import precheck

        precheck(data, media_type, settings)
    return media_type


def pipeline_version() -> str:
    from workers.pipeline.runner import PIPELINE_VERSION

    return PIPELINE_VERSION


def new_job_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits


def idempotency_fingerprint(submission: Submission) -> str:
    h = hashlib.sha256(submission.data)
    for part in (submission.filename, submission.callback_url):
        h.update(b"\0" + (part or "").encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def submit(backend: Backend, submission: Submission, media_type: str, owner: str, idempotency_key: str | None) -> tuple[JobRecord, bool]:
    """Enqueue, or with an ``Idempotency-Key`` seen before, return that job. Returns (record, replayed)."""
    if idempotency_key is None:
        return enqueue(backend, submission, media_type, owner), False
    if not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_CHARS:
        raise InvalidInput(f"the Idempotency-Key header must be 1-{MAX_IDEMPOTENCY_KEY_CHARS} characters")
    key = f"fazhi:idem:{owner or '-'}:{hashlib.sha256(idempotency_key.encode('utf-8', 'surrogatepass')).hexdigest()}"
    fingerprint = idempotency_fingerprint(submission)
    job_id = new_job_id()
    r = backend.sredis
    if r.set(key, f"{fingerprint} {job_id}", nx=True, ex=backend.settings.retention_seconds):
        try:
            return enqueue(backend, submission, media_type, owner, job_id=job_id), False
        except BaseException:
            r.delete(key)
            raise
    seen = r.get(key)
    if seen is None:  # expired between SET and GET: treat it as new
        return submit(backend, submission, media_type, owner, idempotency_key)
    seen_fingerprint, _, seen_id = seen.decode().partition(" ")
    if seen_fingerprint != fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was already used with a different document or options")
    record = backend.store.get(seen_id, owner)
    if record is None:  # the first request is still enqueueing it, or it was deleted since
        record = JobRecord(id=seen_id, status=Status.QUEUED, created_at=now_iso(), owner=owner)
    return record, True


def enqueue(backend: Backend, submission: Submission, media_type: str, owner: str = "", *, job_id: str | None = None) -> JobRecord:
    """Store the record and input and enqueue the job in one MULTI (runs in a thread)."""
    settings = backend.settings
    data = submission.data
    record = JobRecord(
        id=job_id or new_job_id(),
        status=Status.QUEUED,
        created_at=now_iso(),
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=media_type,
        filename=submission.filename,
        owner=owner,
        callback_url=submission.callback_url,
        queue=backend.queue.name,
    )
    if not record.callback_url and backend.store.reuse(record, pipeline_version()):
        record.status = Status.SUCCEEDED  # an identical document was parsed already: its result is copied
        return record
    with backend.sredis.pipeline(transaction=True) as pipe:
        pipe.multi()  # explicit, so rq adds its commands to our transaction instead of starting one
        backend.store.create(pipe, record, data)
        if ids := job_fields():  # request id and traceparent, so the worker's logs and trace carry on
            pipe.hset(job_key(record.id), mapping=ids)
        backend.queue.enqueue_call(
            PARSE_JOB,
            args=(record.id,),
            job_id=record.id,
            timeout=rq_job_timeout(settings),
            result_ttl=RQ_RESULT_TTL_SECONDS,
            failure_ttl=settings.retention_seconds,
            description=f"parse {record.id}",
            pipeline=pipe,
        )
        pipe.execute()
    JOBS_SUBMITTED.labels(media_type).inc()
    return record
