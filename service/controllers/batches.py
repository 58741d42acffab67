"""/v1/batches: many reports in one request, their progress, and the comparison table.

A batch is a multipart body with many ``file`` parts, a ZIP of reports (raw body or a file
part), or JSON ``{"documents": [{"text", "filename"}]}``. Each document goes through the same
checks and enqueue path as ``POST /v1/jobs`` and becomes an ordinary job; a document refused at
submit (wrong type, empty) is listed with its error instead of failing the whole batch.
The table endpoints (``/v1/batches/{id}/table`` and ``/v1/jobs/{id}/table``) render
``workers.export`` rows as CSV, XLSX or JSON Lines, chosen by ``?format=`` or ``Accept``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.datastructures import ResponseHeader, UploadFile
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, QueryParameter
from msgspec import Struct

from service.backend import Backend
from service.errors import InvalidInput, JobNotFinished, JobNotFound, ServiceError
from service.jobviews import fetch, view
from service.openapi_docs import problems
from service.schemas import JobError, JobView
from service.submit import Submission, admit, clean_filename, decode_json_body, inspect, read_form, submit
from workers import export
from workers.batchstore import AsyncBatchStore, BatchItem, BatchRecord, BatchStore
from workers.errors import FazhiError
from workers.ingest import precheck
from workers.ingest.archive import is_docx, limits, open_zip, read_members
from workers.jobstore import Status, decode_record, job_key, now_iso, result_key
from workers.pipeline.model import Result

ZIP_MAGIC = b"PK\x03\x04"
BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# The batch outlives its jobs' retention by the longest a job may wait and run.
QUEUE_GRACE_SECONDS = 24 * 3600

_result_decoder = msgspec.json.Decoder(Result)


class BatchNotFound(ServiceError):
    code = "batch.not_found"
    status = 404


class BatchText(Struct, kw_only=True, forbid_unknown_fields=True):
    text: str
    filename: str | None = None


class SubmitBatch(Struct, kw_only=True, forbid_unknown_fields=True):
    """Several reports sent as JSON text."""

    documents: list[BatchText]


class BatchDocument(Struct, kw_only=True):
    index: int
    filename: str | None = None
    job: JobView | None = None  # null when refused at submit or expired
    error: JobError | None = None  # why the document was refused at submit


class BatchTotals(Struct, kw_only=True):
    documents: int
    queued: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    canceled: int = 0
    rejected: int = 0  # refused at submit; no job
    expired: int = 0  # the job's record is gone (retention)


class BatchView(Struct, kw_only=True):
    id: str
    created_at: str
    done: bool  # every document has ended (or was refused)
    totals: BatchTotals
    documents: list[BatchDocument]


_batch_decoder = msgspec.json.Decoder(SubmitBatch)


def tenant(request: Request) -> str:
    from service.auth import tenant_of

    try:
        return tenant_of(request) or ""
    except AttributeError:  # no guard ran (a test app without auth)
        return ""


# --- reading the request ----------------------------------------------------------------


@dataclass
class Doc:
    filename: str | None
    data: bytes


def _expand(doc: Doc, max_member_bytes: int) -> list[Doc]:
    """A ZIP that is not itself a DOCX is an archive of reports."""
    if not doc.data.startswith(ZIP_MAGIC):
        return [doc]
    with open_zip(doc.data) as zf:
        if is_docx(zf):
            return [doc]
    return [Doc(clean_filename(m.name), m.data) for m in read_members(doc.data, max_member_bytes=max_member_bytes)]


async def read_batch(request: Request, backend: Backend) -> list[Doc]:
    content_type, _ = request.content_type
    if content_type == "application/json":
        batch = decode_json_body(await request.body(), _batch_decoder, "{documents: [{text, filename}]}")
        docs = [Doc(clean_filename(d.filename), d.text.encode("utf-8")) for d in batch.documents]
    elif content_type == "multipart/form-data":
        form = await read_form(request)
        uploads = [u for u in form.getall("file") if isinstance(u, UploadFile)] if "file" in form else []
        docs = [Doc(clean_filename(u.filename), await u.read()) for u in uploads]
    else:
        docs = [Doc(clean_filename(request.query_params.get("filename")), await request.body())]
    max_member = backend.settings.max_body_bytes
    expanded = [d for doc in docs for d in await sync_to_thread(_expand, doc, max_member)]
    if not expanded:
        raise InvalidInput("the batch holds no documents (send 'file' parts, a ZIP, or JSON {documents: [...]})")
    if len(expanded) > limits().max_members:
        raise InvalidInput(f"the batch holds {len(expanded)} documents; the limit is {limits().max_members}")
    return expanded


# --- enqueueing ---------------------------------------------------------------------------


def _enqueue_all(backend: Backend, docs: list[Doc], owner: str) -> BatchRecord:
    items: list[BatchItem] = []
    for index, doc in enumerate(docs):
        try:
            media_type = inspect(doc.data, backend.settings)
            precheck(doc.data, media_type, backend.settings)
        except FazhiError as exc:
            items.append(BatchItem(index=index, filename=doc.filename, error_code=exc.code, error_message=exc.message))
            continue
        record, _ = submit(backend, Submission(doc.data, doc.filename), media_type, owner, None)
        items.append(BatchItem(index=index, filename=doc.filename, job_id=record.id))
    if not any(item.job_id for item in items):
        first = items[0]
        raise FazhiError(f"no document of the batch was accepted; the first: {first.error_message}", code=first.error_code or "input.invalid")
    record = BatchRecord(id=secrets.token_urlsafe(16), created_at=now_iso(), owner=owner, items=items)
    ttl = backend.settings.retention_seconds + backend.settings.job_timeout_seconds + QUEUE_GRACE_SECONDS
    BatchStore(backend.sredis, ttl_seconds=ttl).create(record)
    return record


# --- reading back -------------------------------------------------------------------------


async def load_batch(backend: Backend, batch_id: str, owner: str) -> BatchRecord:
    record = await AsyncBatchStore(backend.aredis).get(batch_id, owner) if BATCH_ID.match(batch_id) else None
    if record is None:
        raise BatchNotFound(f"no batch with id {batch_id!r} (unknown, another client's, or expired)")
    return record


async def _job_records(backend: Backend, batch: BatchRecord) -> dict[str, object]:
    ids = [item.job_id for item in batch.items if item.job_id]
    async with backend.aredis.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hgetall(job_key(job_id))
        raw = await pipe.execute()
    return {job_id: decode_record(job_id, fields, batch.owner) for job_id, fields in zip(ids, raw, strict=True)}


async def batch_view(backend: Backend, batch: BatchRecord) -> BatchView:
    records = await _job_records(backend, batch)
    totals = BatchTotals(documents=len(batch.items))
    documents = []
    for item in batch.items:
        error = JobError(code=item.error_code, message=item.error_message or "", retryable=False) if item.error_code else None
        record = records.get(item.job_id) if item.job_id else None
        if item.error_code:
            totals.rejected += 1
        elif record is None:
            totals.expired += 1
        else:
            setattr(totals, record.status.value, getattr(totals, record.status.value) + 1)
        documents.append(BatchDocument(index=item.index, filename=item.filename, job=view(record) if record else None, error=error))
    done = totals.queued == 0 and totals.running == 0
    return BatchView(id=batch.id, created_at=batch.created_at, done=done, totals=totals, documents=documents)


async def batch_rows(backend: Backend, batch: BatchRecord) -> list[export.Row]:
    records = await _job_records(backend, batch)
    done = [job_id for job_id, rec in records.items() if rec is not None and rec.status == Status.SUCCEEDED]
    async with backend.aredis.pipeline(transaction=False) as pipe:
        for job_id in done:
            pipe.get(result_key(job_id))
        results = dict(zip(done, await pipe.execute(), strict=True))
    rows = []
    for item in batch.items:
        record = records.get(item.job_id) if item.job_id else None
        status = "rejected" if item.error_code else (record.status.value if record else "expired")
        raw = results.get(item.job_id) if item.job_id else None
        job = {"job_id": item.job_id, "filename": item.filename, "status": status,
               "error_code": item.error_code or (record.error_code if record else None)}
        rows.append(export.row_for(job, _result_decoder.decode(raw) if raw else None))
    return rows


# --- table formats ------------------------------------------------------------------------

TableFormat = Literal["csv", "xlsx", "jsonl"]
_ACCEPT = {
    "text/csv": "csv",
    export.XLSX: "xlsx",
    "application/jsonl": "jsonl",
    "application/x-ndjson": "jsonl",
    "application/x-jsonlines": "jsonl",
}


def choose_format(request: Request, fmt: str | None) -> str:
    if fmt:
        return fmt
    accept = request.headers.get("accept", "")
    best = None
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media.strip().lower() in _ACCEPT and q > 0 and (best is None or q > best[0]):
            best = (q, _ACCEPT[media.strip().lower()])
    return best[1] if best else "csv"


def table_response(rows: list[export.Row], fmt: str, stem: str) -> Response[bytes]:
    body = export.render(rows, fmt)
    media = export.FORMATS[fmt] + ("; charset=utf-8" if fmt in ("csv", "jsonl") else "")
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"', "Vary": "Accept"},
    )


@dataclass
class BatchSubmitOperation(Operation):
    def __post_init__(self) -> None:
        binary = Schema(type=OpenAPIType.STRING, format="binary")
        self.request_body = RequestBody(
            required=True,
            description=(
                f"Several reports: many `file` parts, a ZIP of PDF/TXT/HTML/DOCX files (raw body or a `file` part; "
                f"at most {limits().max_members} documents), or JSON with several texts."
            ),
            content={
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.OBJECT, required=["file"],
                                  properties={"file": Schema(type=OpenAPIType.ARRAY, items=binary)})
                ),
                "application/zip": OpenAPIMediaType(schema=binary),
                "application/json": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        required=["documents"],
                        properties={"documents": Schema(type=OpenAPIType.ARRAY, items=Schema(
                            type=OpenAPIType.OBJECT, required=["text"],
                            properties={"text": Schema(type=OpenAPIType.STRING),
                                        "filename": Schema(one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)])},
                        ))},
                    )
                ),
            },
        )


@dataclass
class TableOperation(Operation):
    def __post_init__(self) -> None:
        ok = self.responses and self.responses.get("200")
        if ok is not None:
            binary = Schema(type=OpenAPIType.STRING, format="binary")
            ok.content = {
                "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
                export.XLSX: OpenAPIMediaType(schema=binary),
                "application/jsonl": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
            }


_FORMAT = Annotated[TableFormat | None, QueryParameter(name="format", description="csv (UTF-8 with BOM), xlsx or jsonl; else chosen by Accept, default csv")]
_TABLE_DOC = (
    "Comparison table, one row per report: issuer, level, region, year, dates, required sections present (1/0), "
    "checks by severity, and one column per catalogue indicator headed `id (unit)` (summed; rates: first mention)."
)


class BatchController(Controller):
    path = "/v1/batches"
    tags = ["batches"]

    @post(
        "/",
        operation_id="submitBatch",
        operation_class=BatchSubmitOperation,
        status_code=202,
        summary="Submit several reports at once; each becomes a job",
        response_headers=[ResponseHeader(name="Location", description="URL of the new batch", documentation_only=True)],
        responses=problems(400, 401, 413, 415, 422, 429, 503),
    )
    async def create(self, request: Request, backend: NamedDependency[Backend]) -> Response[BatchView]:
        owner = tenant(request)
        await admit(backend, owner)
        docs = await read_batch(request, backend)
        if len(docs) > 1:  # each document is a job: charge the rest of them against the budget too
            await admit(backend, owner, cost=len(docs) - 1)
        record = await sync_to_thread(_enqueue_all, backend, docs, owner)
        body = await batch_view(backend, record)
        return Response(body, status_code=202, headers={"Location": f"{self.path}/{record.id}"})

    @get("/{batch_id:str}", operation_id="getBatch", summary="Each document's job and status, and the batch totals",
         responses=problems(401, 404, 503))
    async def read(self, request: Request, backend: NamedDependency[Backend], batch_id: FromPath[str]) -> BatchView:
        return await batch_view(backend, await load_batch(backend, batch_id, tenant(request)))

    @get("/{batch_id:str}/table", operation_id="getBatchTable", operation_class=TableOperation,
         summary="The batch's comparison table (CSV, XLSX or JSON Lines)", description=_TABLE_DOC,
         responses=problems(400, 401, 404, 503))
    async def table(self, request: Request, backend: NamedDependency[Backend], batch_id: FromPath[str], fmt: _FORMAT = None) -> Response[bytes]:
        batch = await load_batch(backend, batch_id, tenant(request))
        rows = await batch_rows(backend, batch)
        return await sync_to_thread(table_response, rows, choose_format(request, fmt), f"batch-{batch.id}")


class JobTableController(Controller):
    path = "/v1/jobs"
    tags = ["jobs"]

    @get("/{job_id:str}/table", operation_id="getJobTable", operation_class=TableOperation,
         summary="One job's comparison-table row (CSV, XLSX or JSON Lines)", description=_TABLE_DOC,
         responses=problems(400, 401, 404, 409, 503))
    async def table(self, request: Request, backend: NamedDependency[Backend], job_id: FromPath[str], fmt: _FORMAT = None) -> Response[bytes]:
        record = await fetch(backend.astore, job_id, owner=tenant(request))
        if record.status != Status.SUCCEEDED:
            raise JobNotFinished(f"the job is {record.status.value}; a table exists only once it has succeeded", view(record))
        data = await backend.astore.result(job_id)
        if data is None:
            raise JobNotFound(f"the result of job {job_id!r} has expired")
        row = export.row_for({"job_id": record.id, "filename": record.filename, "status": record.status.value}, _result_decoder.decode(data))
        return await sync_to_thread(table_response, [row], choose_format(request, fmt), f"job-{record.id}")
