"""The small HTTP server of a ``fazhi worker`` pod: ``/metrics``, ``/healthz``, ``/readyz``.

Workers have no API of their own, but Kubernetes probes and Prometheus need a port.
``/healthz``: the process serves HTTP. ``/readyz``: Redis answers, so the worker can take jobs.
``/metrics``: every worker process's metrics, from the shared multiprocess directory.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis

from fazhi.observability import metrics

log = logging.getLogger(__name__)

PATHS = ("/metrics", "/healthz", "/readyz")


class _Handler(BaseHTTPRequestHandler):
    redis_client: redis.Redis | None = None

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._answer(200, metrics.render(), metrics.CONTENT_TYPE)
        elif path == "/healthz":
            self._answer(200, b'{"status":"ok"}', "application/json")
        elif path == "/readyz":
            try:
                if self.redis_client is not None:
                    self.redis_client.ping()
                self._answer(200, b'{"status":"ready"}', "application/json")
            except redis.RedisError as exc:
                self._answer(503, f'{{"status":"unavailable","detail":"redis: {type(exc).__name__}"}}'.encode(), "application/json")
        else:
            self._answer(404, b'{"status":"not found"}', "application/json")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - probes every few seconds are not news
        return


def start(port: int, redis_url: str | None, host: str = "0.0.0.0") -> ThreadingHTTPServer:  # noqa: S104 - a pod's port
    handler = type("Handler", (_Handler,), {})
    if redis_url:
        handler.redis_client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="fazhi-worker-http", daemon=True).start()
    return server
