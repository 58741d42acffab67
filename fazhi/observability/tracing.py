"""OpenTelemetry tracing, off unless ``FAZHI_OTEL_ENABLED=1``.

A server span starts at each API request (continuing an incoming W3C ``traceparent``); the
submit stores the current ``traceparent`` with the job, and the worker's job span continues it,
so one trace covers request → queue → parse. Spans go to the OTLP/HTTP exporter, configured
by the standard ``OTEL_EXPORTER_OTLP_*`` and ``OTEL_SERVICE_NAME`` variables. Nothing from
opentelemetry is imported while tracing is off.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any

log = logging.getLogger(__name__)

_state: dict[str, Any] = {}


def setup(enabled: bool, role: str, exporter: Any = None) -> bool:
    """Start tracing for this process; ``exporter`` replaces OTLP (tests pass an in-memory one)."""
    if not enabled:
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    name = os.environ.get("OTEL_SERVICE_NAME") or "fazhi"
    provider = TracerProvider(resource=Resource.create({"service.name": name, "fazhi.role": role}))
    if exporter is None:
        import atexit

        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        atexit.register(provider.shutdown)  # flush the last batch when a worker or the API stops
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    _state.update(provider=provider, tracer=provider.get_tracer("fazhi"), propagator=TraceContextTextMapPropagator())
    log.info("OpenTelemetry tracing is on (service.name=%s)", name)
    return True


def enabled() -> bool:
    return "tracer" in _state


def shutdown() -> None:
    """Flush and stop; tracing is off afterwards."""
    provider = _state.get("provider")
    if provider is not None:
        provider.shutdown()
    _state.clear()


@contextlib.contextmanager
def request_span(method: str, headers: Mapping[str, str]) -> Iterator[Any]:
    """A SERVER span for one request, child of the caller's ``traceparent`` if it sent one
    (the caller names it once routing has found the route)."""
    if not enabled():
        yield None
        return
    from opentelemetry.trace import SpanKind

    parent = _state["propagator"].extract(carrier=dict(headers))
    with _state["tracer"].start_as_current_span(method, context=parent, kind=SpanKind.SERVER) as span:
        span.set_attribute("http.request.method", method)
        yield span


@contextlib.contextmanager
def job_span(job_id: str, traceparent: str | None) -> Iterator[Any]:
    """A CONSUMER span for one job, continuing the submitting request's trace."""
    if not enabled():
        yield None
        return
    from opentelemetry.trace import SpanKind

    parent = _state["propagator"].extract(carrier={"traceparent": traceparent}) if traceparent else None
    with _state["tracer"].start_as_current_span("parse_job", context=parent, kind=SpanKind.CONSUMER) as span:
        span.set_attribute("fazhi.job_id", job_id)
        yield span


def traceparent() -> str | None:
    """The current span's ``traceparent`` header value, to store with a job."""
    if not enabled():
        return None
    carrier: dict[str, str] = {}
    _state["propagator"].inject(carrier)
    return carrier.get("traceparent")


def current_ids() -> tuple[str, str] | None:
    if not enabled():
        return None
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")
