"""Turn a POST /v1/jobs request into bytes plus a filename, check them cheaply, and enqueue.

The body is read through Litestar's stream, which stops at ``request_max_body_size`` (set from
``Settings.max_body_bytes``) and rejects a larger Content-Length before reading anything.
The media type is decided by ``sniff`` (magic bytes); the declared Content-Type only says how
the body is framed (JSON, multipart or raw).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import PurePosixPath

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException

from service.backend import Backend
from service.errors import InvalidInput, InvalidJson
from service.schemas import SubmitText
from fazhi.settings import Settings
from workers.errors import EmptyDocument, TooManyPages
from workers.ingest.sniff import PDF, TEXT, require_supported, sniff
from workers.ingest.text import decode_text
from workers.jobstore import JobRecord, Status, now_iso

PARSE_JOB = "workers.jobs.parse_job"
MAX_FILENAME_CHARS = 255

_submit_decoder = msgspec.json.Decoder(SubmitText)


@dataclass
class Submission:
    data: bytes
    filename: str | None


async def read_submission(request: Request, filename: str | None) -> Submission:
    content_type, _ = request.content_type
    if content_type == "application/json":
        body = await request.body()
        try:
            doc = _submit_decoder.decode(body)
        except msgspec.ValidationError as exc:
            raise InvalidInput(f"the JSON body does not match {{text, filename}}: {exc}") from None
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # msgspec raises the latter for bad UTF-8 in strings
            raise InvalidJson(f"the body is not valid UTF-8 JSON: {exc}") from None
        return Submission(doc.text.encode("utf-8"), clean_filename(doc.filename or filename))
    if content_type == "multipart/form-data":
        try:
            form = await request.form()
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - the multipart parser raises assorted errors on bad framing
            raise InvalidInput(f"the multipart body cannot be parsed: {exc}") from None
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("a multipart body needs a file part named 'file'")
        data = await upload.read()
        name = form.get("filename") if isinstance(form.get("filename"), str) else None
        return Submission(data, clean_filename(name or upload.filename or filename))
    return Submission(await request.body(), clean_filename(filename))


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
    return media_type


def new_job_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits


def enqueue(backend: Backend, data: bytes, media_type: str, filename: str | None) -> JobRecord:
    """Store the record and input and enqueue the job in one MULTI (runs in a thread)."""
    settings = backend.settings
    record = JobRecord(
        id=new_job_id(),
        status=Status.QUEUED,
        created_at=now_iso(),
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=media_type,
        filename=filename,
    )
    with backend.sredis.pipeline(transaction=True) as pipe:
        pipe.multi()  # explicit, so rq adds its commands to our transaction instead of starting one
        backend.store.create(pipe, record, data)
        backend.queue.enqueue_call(
            PARSE_JOB,
            args=(record.id,),
            job_id=record.id,
            timeout=settings.job_timeout_seconds,
            result_ttl=0,
            failure_ttl=settings.retention_seconds,
            description=f"parse {record.id}",
            pipeline=pipe,
        )
        pipe.execute()
    return record
