"""Settings from environment variables (prefix ``FAZHI_``), validated once at start-up.

Every field is documented here and listed in the README's settings table. A bad value stops
start-up with a message naming the variable, what it got and what it expects.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
from msgspec import Meta, Struct
from typing import Annotated, Literal

PREFIX = "FAZHI_"


class SettingsError(ValueError):
    """A FAZHI_* variable has a value the service cannot use."""


class Settings(Struct, kw_only=True, frozen=True):
    redis_url: str | None = None
    """Redis to use (``redis://host:port/db``). Unset: ``fazhi serve`` starts a private one."""

    data_dir: str = ".fazhi"
    """Directory for the embedded Redis's append-only file and other local state."""

    queue_name: str = "fazhi"
    """RQ queue that carries parse jobs."""

    max_body_bytes: Annotated[int, Meta(gt=0)] = 20 * 1024 * 1024
    """Largest accepted request body, in bytes (enforced while reading, not after)."""

    retention_seconds: Annotated[int, Meta(gt=0)] = 7 * 24 * 3600
    """How long job records and results are kept after a job ends, in seconds."""

    job_timeout_seconds: Annotated[int, Meta(gt=0)] = 600
    """Wall-clock limit for one parse job, in seconds."""

    page_timeout_seconds: Annotated[float, Meta(gt=0)] = 30.0
    """Wall-clock limit for reading one PDF page (text layer or OCR), in seconds."""

    max_pages: Annotated[int, Meta(gt=0)] = 500
    """Largest accepted PDF, in pages."""

    parse_memory_mb: Annotated[int, Meta(gt=0)] = 1024
    """MiB the PDF parser process may allocate on top of the worker it forks from."""

    pdf_processes: Annotated[int, Meta(ge=1, le=16)] = 2
    """Processes that read one long PDF's pages side by side (the parser and forks of it, each under the memory cap); 1 = one."""

    workers: Annotated[int, Meta(ge=0)] = 2
    """Worker processes that ``fazhi serve`` starts beside the API."""

    worker_nice: Annotated[int, Meta(ge=0, le=19)] = 10
    """Niceness a worker process adds to its own at start, so the API and Redis get the CPU first; 0 = none."""

    log_level: str = "INFO"
    """Python log level name for the service and workers."""

    shutdown_grace_seconds: Annotated[float, Meta(gt=0)] = 10.0
    """On stop, how long a worker may keep working on its running job before it is stopped hard."""

    rate_limit_per_minute: Annotated[int, Meta(ge=0)] = 1200
    """Submissions one tenant (API key owner) may make per minute; more get 429. 0 = no limit."""

    max_queue_depth: Annotated[int, Meta(gt=0)] = 10000
    """Queued parse jobs above which submissions get 503 ``backend.busy`` (back-pressure)."""

    max_attempts: Annotated[int, Meta(gt=0)] = 3
    """Times a job is started before a lost worker makes it fail with ``worker.lost``."""

    heartbeat_ttl_seconds: Annotated[float, Meta(ge=1)] = 20.0
    """A running job whose worker has not refreshed its heartbeat for this long is taken as lost."""

    allow_eviction: bool = False
    """Start even when Redis' ``maxmemory-policy`` may evict keys (jobs could be lost)."""

    tombstone_seconds: Annotated[int, Meta(ge=0)] = 30 * 24 * 3600
    """How long after a job's record expires its id still answers 410 ``job.expired``, in seconds."""

    webhook_secret: str | None = None
    """HMAC-SHA256 key for signing webhook calls; unset: submissions with ``callback_url`` get 422."""

    webhook_allow_private: bool = False
    """Allow webhook URLs on private, loopback and link-local addresses (tests, closed networks)."""

    webhook_max_attempts: Annotated[int, Meta(gt=0)] = 6
    """Webhook delivery attempts (with back-off up to an hour) before it is given up."""

    webhook_queue_name: str = "fazhi-webhooks"
    """RQ queue that carries webhook deliveries, apart from parse jobs."""

    log_format: Literal["auto", "json", "console"] = "auto"
    """Log lines as JSON (``json``), coloured text (``console``), or JSON unless stderr is a terminal (``auto``)."""

    worker_metrics_port: Annotated[int, Meta(ge=0, le=65535)] = 0
    """Port where ``fazhi worker`` serves Prometheus metrics for its processes; 0 = none (``fazhi serve`` adds them to the API's ``/metrics``)."""

    otel_enabled: bool = False
    """Send OpenTelemetry traces (request → job) to the OTLP endpoint in ``OTEL_EXPORTER_OTLP_ENDPOINT``."""

    share_secret: Annotated[str, Meta(min_length=16)] | None = None
    """HMAC-SHA256 key for signing share links (16+ characters); unset: one is generated once and kept in Redis (``fazhi:share-secret``)."""


def get_settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from ``environ`` (default ``os.environ``) plus explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for field in Settings.__struct_fields__:
        key = PREFIX + field.upper()
        if key in env and env[key] != "":
            values[field] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        # msgspec says "at `$.max_pages`": name the environment variable instead.
        msg = str(exc)
        for field in Settings.__struct_fields__:
            if f"`$.{field}`" in msg:
                got = "<hidden>" if field.endswith("_secret") else values.get(field)  # never echo a secret to logs
                raise SettingsError(f"{PREFIX}{field.upper()}={got!r} is not valid: {msg.split(' - at')[0]}") from None
        raise SettingsError(msg) from None


def data_path(settings: Settings) -> Path:
    path = Path(settings.data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path
