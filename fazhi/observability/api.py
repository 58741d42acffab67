"""What the API adds: ``GET /metrics`` (not in the OpenAPI spec) and the ids a submit stores."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.concurrency import sync_to_thread
from litestar.response import Response

from fazhi.observability import logs, metrics, tracing


class MetricsController(Controller):
    path = "/metrics"
    include_in_schema = False
    # Scraped by Prometheus without an API key; it shows counts, never a tenant's data.
    opt = {"public": True}

    @get("/")
    async def scrape(self, request: Request) -> Response[bytes]:
        backend = getattr(request.app.state, "backend", None)
        extra = []
        if backend is not None:
            settings = backend.settings
            extra.append(metrics.RedisCollector(backend.sredis, _queues(settings)))
        body = await sync_to_thread(metrics.render, extra)
        return Response(body, media_type=metrics.CONTENT_TYPE)


def _queues(settings) -> list[str]:
    names = [settings.queue_name]
    webhooks = getattr(settings, "webhook_queue_name", None)
    if webhooks and webhooks not in names:
        names.append(webhooks)
    return names


def job_fields() -> dict[str, str]:
    """Fields stored in the job's record so the worker can carry on the request's ids."""
    fields = {}
    request_id = logs.current("request_id")
    if request_id:
        fields["request_id"] = request_id
    parent = tracing.traceparent()
    if parent:
        fields["traceparent"] = parent
    return fields
