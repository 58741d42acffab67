"""`fazhi serve`: Redis (private unless FAZHI_REDIS_URL is set) + API + worker processes.

Start order: bind the API socket (a busy port fails before anything else starts), Redis,
workers, API. Stop order is the reverse of what depends on what: workers first (they finish
or give back their running job and write its state to Redis), then the API, then the Redis
this process started. A second Ctrl-C/SIGTERM skips the waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Iterator

import msgspec
import uvicorn

from fazhi.embedded_redis import EmbeddedRedis
from fazhi.settings import Settings, data_path
from fazhi.supervisor import WorkerPool

log = logging.getLogger("fazhi.serve")

SUPERVISE_INTERVAL_SECONDS = 0.5
SAME_SIGNAL_SECONDS = 0.5
"""A second SIGINT/SIGTERM sooner than this is the same request delivered twice, not impatience:
Ctrl-C on ``uv run fazhi serve`` reaches us from the terminal and again forwarded by uv."""


class ServeError(RuntimeError):
    """Start-up failed for a reason the user can fix (busy port, no Redis binary, ...)."""


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the supervisor owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(settings: Settings, *, host: str, port: int, workers: int, embedded: bool = True) -> int:
    """Run until SIGINT/SIGTERM; return the process exit code."""
    from service.app import create_app  # noqa: PLC0415 - the API is only needed here

    sock = bind(host, port)
    redis_server: EmbeddedRedis | None = None
    pool: WorkerPool | None = None
    try:
        if settings.redis_url is None:
            if not embedded:
                raise ServeError("FAZHI_REDIS_URL is not set (this command uses an existing Redis)")
            redis_server = EmbeddedRedis(data_path(settings))
            settings = msgspec.structs.replace(settings, redis_url=redis_server.start())
        assert settings.redis_url is not None
        pool = WorkerPool(
            workers,
            {**os.environ, "FAZHI_REDIS_URL": settings.redis_url, "FAZHI_WORKER_METRICS_PORT": "0"},
            grace_seconds=settings.shutdown_grace_seconds,
        )
        pool.start()
        config = uvicorn.Config(
            create_app(settings),
            loop="uvloop",
            http="httptools",
            lifespan="on",
            log_level=logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO),
            access_log=False,
            log_config=None,  # uvicorn's lines go through the root logger: JSON like the rest
            timeout_graceful_shutdown=5,
        )
        server = _Server(config)
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            return runner.run(_run(server, sock, pool, redis_server, settings))
    except SystemExit as exc:  # uvicorn exits this way when the app's start-up fails
        log.error("the API did not start (exit code %s)", exc.code)
        return 1
    finally:
        if pool is not None:
            pool.stop()
        if redis_server is not None:
            redis_server.stop()
        sock.close()


async def _run(
    server: _Server,
    sock: socket.socket,
    pool: WorkerPool,
    redis_server: EmbeddedRedis | None,
    settings: Settings,
) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[int] = []

    first_at: list[float] = []

    def on_signal(sig: int) -> None:
        now = loop.time()
        if first_at and now - first_at[0] < SAME_SIGNAL_SECONDS:
            return
        received.append(sig)
        first_at.append(now)
        if len(received) > 1:  # impatient second signal: no more waiting
            pool.kill()
            server.force_exit = True
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)

    api = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not api.done():
        await asyncio.sleep(0.02)
    if api.done():
        api.result()  # re-raise the start-up failure
        return 1
    where = "private Redis " + redis_server.url if redis_server else "Redis " + _redact(settings.redis_url)
    noun = "worker" if pool.count == 1 else "workers"
    print(f"fazhi serving on {url_of(sock)} ({pool.count} {noun}, {where}); Ctrl-C stops", flush=True)

    code = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SUPERVISE_INTERVAL_SECONDS)
        if stop.is_set():
            break
        if api.done():
            log.error("the API stopped unexpectedly")
            code = 1
            break
        if redis_server is not None and not redis_server.alive():
            log.error("the private Redis exited unexpectedly (see %s); stopping", redis_server.data_dir / "redis.log")
            code = 1
            break
        pool.check()

    if received:
        log.info("received %s: stopping workers, then the API%s", signal.Signals(received[0]).name,
                 ", then Redis" if redis_server else "")  # fmt: skip
    await asyncio.to_thread(pool.stop)
    server.should_exit = True
    await api
    return code


def _redact(url: str | None) -> str:
    # A password in the URL must not reach the terminal or logs.
    if url and "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url or ""
