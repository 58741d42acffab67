"""One mapping from every exception to an ``application/problem+json`` response.

Workers raise ``workers.errors`` (codes only); the service adds its own few below and maps
Litestar's and redis' exceptions so that no client mistake ever becomes a 500.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import redis.exceptions
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from service.schemas import JobView, Problem, problem_type
from workers.errors import FazhiError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5


class ServiceError(FazhiError):
    status = 500


class JobNotFound(ServiceError):
    code = "job.not_found"
    status = 404


class JobNotFinished(ServiceError):
    code = "job.not_finished"
    status = 409

    def __init__(self, message: str, job: JobView):
        super().__init__(message)
        self.job = job


class BackendUnavailable(ServiceError):
    code = "backend.unavailable"
    status = 503
    retryable = True


class NoWorkers(ServiceError):
    code = "backend.no_workers"
    status = 503
    retryable = True


class JobExpired(ServiceError):
    code = "job.expired"
    status = 410


class AuthRequired(ServiceError):
    code = "auth.required"
    status = 401


class AuthInvalid(ServiceError):
    code = "auth.invalid"
    status = 401


class RateLimited(ServiceError):
    code = "rate.limited"
    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class BackendBusy(ServiceError):
    code = "backend.busy"
    status = 503
    retryable = True

    def __init__(self, message: str, retry_after: int = 30):
        super().__init__(message)
        self.retry_after = retry_after


class IdempotencyConflict(ServiceError):
    code = "idempotency.conflict"
    status = 409


class CallbackRefused(ServiceError):
    code = "input.callback_url"
    status = 422


class InvalidJson(ServiceError):
    code = "input.invalid_json"
    status = 400


class InvalidInput(ServiceError):
    code = "input.invalid"
    status = 422


# Status for the worker-side codes a client can cause at submit.
_STATUS_BY_CODE = {
    "input.unsupported_type": 415,
    "input.too_large": 413,
}

_TITLES = {
    "input.empty": "The document is empty",
    "input.unsupported_type": "Unsupported document type",
    "input.too_large": "The request body is too large",
    "input.bad_encoding": "The text encoding is not supported",
    "input.encrypted": "The PDF is encrypted",
    "input.malformed_pdf": "The PDF cannot be read",
    "input.too_many_pages": "The PDF has too many pages",
    "input.invalid_json": "The body is not valid JSON",
    "input.invalid": "The request is not valid",
    "job.not_found": "No such job",
    "job.not_finished": "The job has no result",
    "job.expired": "The job has expired",
    "auth.required": "An API key is required",
    "auth.invalid": "The API key is not valid",
    "rate.limited": "Too many requests",
    "backend.busy": "The service is busy",
    "idempotency.conflict": "The idempotency key was used for another request",
    "input.callback_url": "The callback URL is not allowed",
    "backend.unavailable": "The job backend is unavailable",
    "backend.no_workers": "No worker is running",
    "batch.not_found": "No such batch",
    "input.archive_rejected": "The archive was refused",
    "input.malformed_docx": "The Word document cannot be read",
    "internal": "Internal error",
}


def _status_for(exc: FazhiError) -> int:
    if isinstance(exc, ServiceError):
        return exc.status
    if exc.code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[exc.code]
    return 422 if exc.code.startswith("input.") else 500


def _classify(request: Request, exc: Exception) -> tuple[int, str, str]:
    if isinstance(exc, FazhiError):
        return _status_for(exc), exc.code, exc.message
    if isinstance(exc, RequestEntityTooLarge):
        limit = request.route_handler.resolve_request_max_body_size()
        return 413, "input.too_large", f"the request body is larger than the limit of {limit} bytes"
    if isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
        return 503, "backend.unavailable", "Redis cannot be reached; retry later"
    if isinstance(exc, (redis.exceptions.OutOfMemoryError, redis.exceptions.ReadOnlyError)):
        # A full Redis (noeviction) or a replica just after failover: the backend, not the client.
        return 503, "backend.unavailable", "Redis cannot accept writes right now; retry later"
    if isinstance(exc, ValidationException):
        detail = exc.detail
        if exc.extra:
            detail = f"{detail}: {exc.extra}"
        return 400, "input.invalid", detail
    if isinstance(exc, NotFoundException):
        return 404, "not_found", "no such resource"
    if isinstance(exc, MethodNotAllowedException):
        return 405, "method_not_allowed", exc.detail
    if isinstance(exc, HTTPException):
        code = "input.invalid" if 400 <= exc.status_code < 500 else f"http.{exc.status_code}"
        return exc.status_code, code, exc.detail
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return 500, "internal", "internal error; it was logged"


def problem_response(request: Request, exc: Exception) -> Response[Problem]:
    status, code, detail = _classify(request, exc)
    headers: dict[str, str] = {}
    if status in (429, 503):
        headers["Retry-After"] = str(getattr(exc, "retry_after", RETRY_AFTER_SECONDS))
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="fazhi"'
    if isinstance(exc, HTTPException) and exc.headers:
        headers.update(exc.headers)
    problem = Problem(
        type=problem_type(code),
        title=_TITLES.get(code) or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        code=code,
        job=getattr(exc, "job", None),
    )
    return Response(problem, status_code=status, media_type=PROBLEM_JSON, headers=headers)


EXCEPTION_HANDLERS = {Exception: problem_response}
