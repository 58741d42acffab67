"""One ASGI wrapper for the API: request id, HTTP metrics and the request's trace span.

``observe_app`` puts it around the app's whole ASGI handler, routing included, so a 404 for an
unknown path or a 405 gets its request id and is counted too (Litestar's own ``middleware=``
runs only for matched routes). Metrics are labelled with the route *template* the router
leaves in the scope (``/v1/jobs/{job_id}``), never the raw path: job ids must not become label
values. The request id is the caller's ``X-Request-ID`` when it is a sane token, else a new
one; it is echoed in the response and bound to every log line of the request.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog

from fazhi.observability import metrics, tracing

HEADER = b"x-request-id"
_SANE_ID = re.compile(rb"^[A-Za-z0-9._:/+=@-]{1,128}$")

# Anything else a client sends is "other": label values must not come from the request.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# labels() takes a lock and hashes its arguments on every call; a request needs two children.
_children: dict[tuple[str, str, int], tuple] = {}


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name.lower() == HEADER and _SANE_ID.match(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


def _observe(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status)
    children = _children.get(key)
    if children is None:
        children = (metrics.HTTP_REQUESTS.labels(method, route, str(status)), metrics.HTTP_DURATION.labels(method, route))
        _children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def observability_middleware(app):
    async def middleware(scope, receive, send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = scope.get("headers") or []
        request_id = request_id_from(headers)
        method = scope.get("method", "GET")
        if method not in METHODS:
            method = "other"
        status = [500]
        echoed = (HEADER, request_id.encode("ascii"))

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), echoed]
            await send(message)

        started = time.perf_counter()
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            if tracing.enabled():
                await _traced(app, scope, receive, send_with_id, method, headers, status, request_id)
            else:
                await app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)
            _observe(method, _route(scope), status[0], time.perf_counter() - started)

    return middleware


def _route(scope) -> str:
    # Set by Litestar's router on this same scope dict once it has matched a route.
    return scope.get("path_template") or "unmatched"


def observe_app(app):
    """Wrap ``app`` (a Litestar app) so every HTTP request is observed; returns ``app``."""
    app.asgi_handler = observability_middleware(app.asgi_handler)
    return app


async def _traced(app, scope, receive, send, method, headers, status, request_id) -> None:
    text_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers}
    with tracing.request_span(method, text_headers) as span:
        try:
            await app(scope, receive, send)
        finally:
            route = _route(scope)
            span.update_name(f"{method} {route}")  # the route is known only after routing
            span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", status[0])
            span.set_attribute("fazhi.request_id", request_id)
