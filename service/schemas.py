"""Request and response bodies of the HTTP API (version 1). Inputs forbid unknown fields;
new output fields get defaults so existing clients keep working (msgspec schema evolution)."""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec import Struct

JobStatus = Literal["queued", "running", "succeeded", "failed", "canceled"]


class SubmitText(Struct, kw_only=True, forbid_unknown_fields=True):
    """A report sent as JSON text."""

    text: str
    filename: str | None = None
    callback_url: str | None = None
    """POSTed a signed notice when the job ends (see the README's webhook section)."""


class JobCreated(Struct, kw_only=True):
    id: str
    status: JobStatus
    created_at: str


class Progress(Struct, kw_only=True):
    stage: str | None = None
    pages_done: int | None = None
    pages_total: int | None = None


class JobError(Struct, kw_only=True):
    code: str
    message: str
    retryable: bool


class JobDocument(Struct, kw_only=True):
    sha256: str
    media_type: str
    filename: str | None = None


class JobView(Struct, kw_only=True):
    id: str
    status: JobStatus
    created_at: str
    started_at: str | None
    finished_at: str | None
    progress: Progress
    error: JobError | None = None
    document: JobDocument | None = None
    attempts: int = 0


class JobDeleted(Struct, kw_only=True):
    """Answer to DELETE: a queued or running job is canceled (kept until retention ends);
    a finished job is deleted with its input and result."""

    id: str
    status: JobStatus
    deleted: bool


class IndicatorInfo(Struct, kw_only=True):
    id: str
    name: str
    system: str | None
    units: list[str]


class Health(Struct, kw_only=True):
    status: Literal["ok"]


class Ready(Struct, kw_only=True):
    status: Literal["ready"]
    workers: int


class Problem(Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details plus a stable machine-readable ``code``."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    job: JobView | None = None


def problem_type(code: str) -> str:
    return f"urn:fazhi:problem:{code}"


encode = msgspec.json.Encoder().encode
