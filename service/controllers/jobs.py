"""/v1/jobs: submit, read, wait for, fetch the result of, and cancel or delete parse jobs."""

from __future__ import annotations

from typing import Annotated

import msgspec

from litestar import Controller, Request, Response, delete, get, post
from litestar.concurrency import sync_to_thread
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, HeaderParameter, QueryParameter

from service.auth import tenant_of
from service.backend import Backend
from service.errors import JobNotFinished, JobNotFound
from service.jobviews import fetch, view, wait_for_end, wait_for_result
from service.openapi_docs import SubmitOperation, problems
from service.schemas import JobCreated, JobDeleted, JobView
from service.submit import Submission, admit, check_callback, inspect, read_submission, submit
from workers.jobstore import JobRecord, Status
from workers.pipeline.model import Result

MAX_WAIT_SECONDS = 30
_encode = msgspec.json.Encoder().encode


class JobController(Controller):
    path = "/v1/jobs"
    tags = ["jobs"]

    @post(
        "/",
        operation_id="submitJob",
        operation_class=SubmitOperation,
        status_code=202,
        summary="Submit a report (JSON text, raw text, raw PDF or multipart file)",
        response_headers=[ResponseHeader(name="Location", description="URL of the new job", documentation_only=True)],
        responses=problems(400, 401, 409, 413, 415, 422, 429, 503),
    )
    async def submit(
        self,
        request: Request,
        backend: NamedDependency[Backend],
        filename: Annotated[str | None, QueryParameter(name="filename", description="Name of the document, for raw bodies", max_length=1024)] = None,
        callback_url: Annotated[
            str | None,
            QueryParameter(name="callback_url", description="URL that gets a signed POST when the job ends (raw and multipart bodies)", max_length=2048),
        ] = None,
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                description="Retry-safe submission: the same key and body return the same job; another body gets 409",
                max_length=255,
            ),
        ] = None,
    ) -> Response[JobCreated]:
        owner = tenant_of(request)
        await admit(backend, owner)
        submission = await read_submission(request, filename, callback_url)
        # One thread hop for the blocking steps (sniffing, resolving the callback host, Redis):
        # each handoff to the thread pool costs more than a tiny job's checks themselves.
        record, replayed = await sync_to_thread(_check_and_submit, backend, submission, owner, idempotency_key)
        body = JobCreated(id=record.id, status=record.status.value, created_at=record.created_at)
        headers = {"Location": f"{self.path}/{record.id}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status_code=202, headers=headers)

    @get(
        "/{job_id:str}",
        operation_id="getJob",
        summary="Job status, progress and error; ?wait=N holds until the job ends or N seconds pass",
        responses=problems(400, 401, 404, 410, 503),
    )
    async def read(
        self,
        request: Request,
        job_id: FromPath[str],
        wait: Annotated[int, QueryParameter(name="wait", ge=0, le=MAX_WAIT_SECONDS, description="Seconds to wait for the job to end (0-30)")] = 0,
    ) -> Response[JobView]:
        # The hottest route (clients poll it): the backend straight from app state, not through
        # DI, and the view encoded here by msgspec rather than through Litestar's serializer.
        backend: Backend = request.app.state.backend
        record = await wait_for_end(backend.events, backend.astore, job_id, wait, owner=tenant_of(request))
        return Response(_encode(view(record)), media_type="application/json")

    @get(
        "/{job_id:str}/result",
        operation_id="getJobResult",
        summary="The extraction result of a succeeded job; ?wait=N holds until the job ends or N seconds pass",
        description=(
            "With `wait`, one request both waits for the job and returns its result, saving a status request. "
            "A job that is still queued or running when the wait ends, or that failed or was canceled, answers 409 "
            "`job.not_finished` with the job's status in `job`."
        ),
        responses={200: ResponseSpec(data_container=Result, description="The result", generate_examples=False), **problems(400, 401, 404, 409, 410, 503)},
    )
    async def result(
        self,
        request: Request,
        backend: NamedDependency[Backend],
        job_id: FromPath[str],
        wait: Annotated[int, QueryParameter(name="wait", ge=0, le=MAX_WAIT_SECONDS, description="Seconds to wait for the job to end (0-30)")] = 0,
    ) -> Response[bytes]:
        record, data = await wait_for_result(backend.events, backend.astore, job_id, wait, owner=tenant_of(request))
        if record.status != Status.SUCCEEDED:
            raise JobNotFinished(f"the job is {record.status.value}; a result exists only once it has succeeded", view(record))
        if data is None:
            raise JobNotFound(f"the result of job {job_id!r} has expired")
        return Response(data, media_type="application/json")

    @delete(
        "/{job_id:str}",
        operation_id="deleteJob",
        status_code=200,
        summary="Cancel a queued or running job, or delete a finished one with its result",
        responses=problems(401, 404, 410, 503),
    )
    async def remove(self, request: Request, backend: NamedDependency[Backend], job_id: FromPath[str]) -> JobDeleted:
        record = await fetch(backend.astore, job_id, owner=tenant_of(request))
        return await sync_to_thread(_cancel_or_delete, backend, record.id, record.status)


def _check_and_submit(backend: Backend, submission: Submission, owner: str, idempotency_key: str | None) -> tuple[JobRecord, bool]:
    """Inspect the document, validate the callback URL, then enqueue (runs in a thread)."""
    media_type = inspect(submission.data, backend.settings)
    submission.callback_url = check_callback(submission.callback_url, backend.settings)
    return submit(backend, submission, media_type, owner, idempotency_key)


def _cancel_or_delete(backend: Backend, job_id: str, status: Status) -> JobDeleted:
    from workers.webhooks import notify

    from rq.command import send_stop_job_command
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.job import Job

    if status in (Status.QUEUED, Status.RUNNING):
        applied, before = backend.store.cancel(job_id)
        if applied:
            try:
                if before == Status.QUEUED:
                    Job.fetch(job_id, connection=backend.sredis, serializer=backend.queue.serializer).cancel()
                else:
                    # A forking worker kills its horse; SimpleWorker stops at the job's next progress report.
                    send_stop_job_command(backend.sredis, job_id, serializer=backend.queue.serializer)
            except (NoSuchJobError, InvalidJobOperation):
                pass
            notify(backend.sredis, backend.settings, backend.store.get(job_id))
            return JobDeleted(id=job_id, status=Status.CANCELED.value, deleted=False)
        if before is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        status = before  # it ended meanwhile: delete it like any finished job
    backend.store.delete(job_id)
    return JobDeleted(id=job_id, status=status.value, deleted=True)

