"""Webhooks: when a job with a ``callback_url`` ends, POST a signed JSON notice to it.

Deliveries are RQ jobs on their own queue (``FAZHI_WEBHOOK_QUEUE_NAME``) served by a thread in
each worker process (``start_delivery_thread``), so a slow or dead receiver never holds up
parsing. A failed delivery is retried by RQ with back-off (``BACKOFF_SECONDS``).

Signature (HMAC-SHA256, key ``FAZHI_WEBHOOK_SECRET``) over ``f"{timestamp}.{body}"``:

    X-Fazhi-Timestamp: 1767225600
    X-Fazhi-Signature: sha256=<hex digest>

SSRF: the URL must be http(s) on the default or an explicit port, and every address its host
resolves to must be public; private, loopback, link-local, multicast and reserved addresses are
refused unless ``FAZHI_WEBHOOK_ALLOW_PRIVATE=1``. The check runs at submit and again right before
each delivery (DNS may have changed); redirects are never followed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import logging
import socket
import threading
import time
from urllib.parse import urlsplit

import msgspec
import redis

from fazhi.settings import Settings

log = logging.getLogger(__name__)

DELIVER_JOB = "workers.webhooks.deliver"
BACKOFF_SECONDS = [5, 30, 120, 600, 1800, 3600]
TIMEOUT_SECONDS = 10.0
MAX_URL_CHARS = 2048


class CallbackUrlError(ValueError):
    """The callback URL is malformed or points somewhere the service must not call."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool) -> str:
    """Validate ``url`` and return it; raises ``CallbackUrlError`` with a reason a client can act on."""
    if len(url) > MAX_URL_CHARS:
        raise CallbackUrlError(f"the callback URL is longer than {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise CallbackUrlError(f"the callback URL cannot be parsed: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackUrlError("the callback URL must be an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise CallbackUrlError("the callback URL must not carry credentials")
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise CallbackUrlError(f"the callback host {parts.hostname!r} does not resolve: {exc}") from None
    if not allow_private:
        for info in infos:
            address = info[4][0]
            if not _is_public(address):
                raise CallbackUrlError(
                    f"the callback host {parts.hostname!r} resolves to {address}, a private, loopback or reserved address"
                )
    return url


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300) -> bool:
    """What a receiver does (the README shows the same in a few lines)."""
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def notice(record) -> bytes:
    """The webhook body: the job's final state and where to fetch the result."""
    error = None
    if record.error_code:
        error = {"code": record.error_code, "message": record.error_message or "", "retryable": bool(record.error_retryable)}
    body = {
        "event": "job.finished",
        "job": {
            "id": record.id,
            "status": record.status.value,
            "finished_at": record.finished_at,
            "attempts": record.attempts,
            "error": error,
        },
        "result_url": f"/v1/jobs/{record.id}/result" if record.status.value == "succeeded" else None,
    }
    return msgspec.json.encode(body)


def enqueue_delivery(connection: redis.Redis, settings: Settings, job_id: str, url: str, body: bytes) -> None:
    from rq import Queue, Retry
    from rq.serializers import JSONSerializer

    queue = Queue(settings.webhook_queue_name, connection=connection, serializer=JSONSerializer)
    retries = settings.webhook_max_attempts - 1
    queue.enqueue_call(
        DELIVER_JOB,
        args=(job_id, url, body.decode("utf-8")),
        timeout=int(TIMEOUT_SECONDS * 3),
        result_ttl=0,
        failure_ttl=settings.retention_seconds,
        retry=Retry(max=retries, interval=BACKOFF_SECONDS[:retries] or 0) if retries else None,
        description=f"webhook {job_id}",
    )


def notify(connection: redis.Redis, settings: Settings, record) -> None:
    """Queue the webhook of a job that just ended, if it has one. Never raises into the caller."""
    if record is None or not record.callback_url:
        return
    try:
        enqueue_delivery(connection, settings, record.id, record.callback_url, notice(record))
    except Exception:  # noqa: BLE001 - a webhook problem must not fail the job
        log.exception("could not queue the webhook of job %s", record.id)


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; RQ retries the delivery."""


def deliver(job_id: str, url: str, body: str) -> int:
    from fazhi.settings import get_settings

    settings = get_settings()
    if not settings.webhook_secret:
        raise DeliveryFailed("FAZHI_WEBHOOK_SECRET is not set on the worker")
    check_url(url, allow_private=settings.webhook_allow_private)
    data = body.encode("utf-8")
    timestamp = int(time.time())
    parts = urlsplit(url)
    conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_cls(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(
            "POST",
            path,
            body=data,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "fazhi-webhook/1",
                "X-Fazhi-Job": job_id,
                "X-Fazhi-Timestamp": str(timestamp),
                "X-Fazhi-Signature": sign(settings.webhook_secret, timestamp, data),
            },
        )
        status = conn.getresponse().status
    except OSError as exc:
        raise DeliveryFailed(f"webhook of job {job_id}: {exc}") from None
    finally:
        conn.close()
    if not 200 <= status < 300:
        raise DeliveryFailed(f"webhook of job {job_id}: the receiver answered {status}")
    return status


def start_delivery_thread(connection: redis.Redis, settings: Settings) -> threading.Thread:
    """Serve the webhook queue from a daemon thread of this worker process."""
    thread = threading.Thread(target=_deliver_forever, args=(connection, settings), name="fazhi-webhooks", daemon=True)
    thread.start()
    return thread


def _deliver_forever(connection: redis.Redis, settings: Settings) -> None:
    from rq import Queue, SimpleWorker
    from rq.serializers import JSONSerializer
    from rq.timeouts import TimerDeathPenalty

    class ThreadWorker(SimpleWorker):
        # Signals belong to the main thread (the parse worker); SIGALRM timeouts too.
        death_penalty_class = TimerDeathPenalty

        def _install_signal_handlers(self) -> None:
            pass

    queue = Queue(settings.webhook_queue_name, connection=connection, serializer=JSONSerializer)
    worker = None
    while True:
        try:
            # One worker object for the thread's life: RQ's registry clean-up then runs every
            # 10 minutes, not at every 1 s burst.
            worker = worker or ThreadWorker([queue], connection=connection, serializer=JSONSerializer)
            _promote_due(connection, queue)
            worker.work(burst=True, logging_level="WARNING", with_scheduler=False)
        except Exception:  # noqa: BLE001 - keep delivering after a Redis outage
            log.warning("webhook delivery loop failed; retrying", exc_info=True)
            worker = None
        time.sleep(1.0)


def _promote_due(connection: redis.Redis, queue) -> None:
    """Move retries whose back-off has passed back onto the queue (RQ's scheduler, minus its process)."""
    from rq.registry import ScheduledJobRegistry

    if not connection.set(f"fazhi:webhooks:scheduler:{queue.name}", "1", nx=True, ex=2):
        return
    registry = ScheduledJobRegistry(queue=queue)
    from rq.job import Job

    for job_id in registry.get_jobs_to_schedule(int(time.time())):
        try:
            job = Job.fetch(job_id, connection=connection, serializer=queue.serializer)
        except Exception:  # noqa: BLE001 - a vanished job: drop its schedule entry
            registry.remove(job_id)
            continue
        registry.remove(job)
        queue.enqueue_job(job)
