"""Per-process start-up: logs and tracing for an API or worker process, and the worker metrics port."""

from __future__ import annotations

import logging
from typing import IO

from fazhi.observability import logs, multiproc, tracing

log = logging.getLogger(__name__)


def setup(settings, role: str, stream: IO[str] | None = None) -> None:
    """Configure logging (format from ``FAZHI_LOG_FORMAT``) and tracing for this process."""
    logs.configure(settings.log_level.upper(), settings.log_format, stream)
    tracing.setup(settings.otel_enabled, role)


def serve_worker_metrics(settings) -> int | None:
    """In ``fazhi worker``: share a metrics directory with the worker processes and serve it,
    with ``/healthz`` and ``/readyz`` for Kubernetes probes.

    Must run before the workers start and before anything imports prometheus_client.
    Returns the port, or None when ``FAZHI_WORKER_METRICS_PORT`` is 0.
    """
    if not settings.worker_metrics_port:
        return None
    multiproc.prepare(settings.data_dir)
    from fazhi.observability import workerhttp

    workerhttp.start(settings.worker_metrics_port, settings.redis_url)
    log.info("worker metrics and probes on :%d (/metrics, /healthz, /readyz)", settings.worker_metrics_port)
    return settings.worker_metrics_port
