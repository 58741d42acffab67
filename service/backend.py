"""Redis connections and the queue, opened in the app's lifespan and kept on ``app.state``.

Reads (status, results, ``?wait``) use ``redis.asyncio``; enqueue and cancel use rq's sync API
in a thread. Both clients fail fast (short connect timeout, one quick retry) so a Redis outage
answers 503 at once, and both reconnect by themselves on the next request when Redis is back.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis
import redis.asyncio
from litestar import Litestar
from litestar.datastructures import State
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError
from rq import Queue
from rq.serializers import JSONSerializer

from fazhi.redis_pools import async_client, sync_client
from fazhi.settings import Settings
from service.events import JobEvents
from workers.jobstore import AsyncJobStore, JobStore, check_eviction_policy

log = logging.getLogger(__name__)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
CONNECT_TIMEOUT_SECONDS = 2.0
# Longer than the longest ?wait, so a waiting pub/sub read is never cut short.
SOCKET_TIMEOUT_SECONDS = 40.0


@dataclass
class Backend:
    settings: Settings
    aredis: redis.asyncio.Redis
    sredis: redis.Redis
    queue: Queue
    store: JobStore
    astore: AsyncJobStore
    events: JobEvents


def open_backend(settings: Settings) -> Backend:
    url = settings.redis_url or DEFAULT_REDIS_URL
    common = {"socket_connect_timeout": CONNECT_TIMEOUT_SECONDS, "socket_timeout": SOCKET_TIMEOUT_SECONDS}
    aredis = async_client(url, retry=redis.asyncio.retry.Retry(NoBackoff(), 1), **common)
    sredis = sync_client(url, retry=redis.retry.Retry(NoBackoff(), 1), **common)
    return Backend(
        settings=settings,
        aredis=aredis,
        sredis=sredis,
        queue=Queue(settings.queue_name, connection=sredis, serializer=JSONSerializer),
        store=JobStore(
            sredis,
            retention_seconds=settings.retention_seconds,
            tombstone_seconds=settings.tombstone_seconds,
            heartbeat_ttl_seconds=settings.heartbeat_ttl_seconds,
        ),
        astore=AsyncJobStore(aredis),
        events=JobEvents(aredis),
    )


def lifespan(settings: Settings):
    @asynccontextmanager
    async def _lifespan(app: Litestar) -> AsyncIterator[None]:
        backend = open_backend(settings)
        app.state.backend = backend
        _check_redis(backend)
        backend.events.start()
        try:
            yield
        finally:
            await backend.events.stop()
            await backend.aredis.aclose()
            backend.sredis.close()

    return _lifespan


def _check_redis(backend: Backend) -> None:
    """Refuse to start on an evicting Redis. Redis being down is fine: requests answer 503 until it is back."""
    try:
        check_eviction_policy(backend.sredis, allow=backend.settings.allow_eviction, log=log)
    except (redis.ConnectionError, redis.TimeoutError):
        log.warning("Redis is not reachable at start-up; requests answer 503 until it is")


class CachedScript:
    """A Lua script run by EVALSHA, loaded again only when Redis has lost it (a restart).

    Cheaper than redis-py's Script wrapper on the API's hot paths (it checks a Protocol on every
    call) and than EVAL (which sends the source and has Redis hash it every time)."""

    def __init__(self, source: str):
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def __call__(self, connection: redis.asyncio.Redis, numkeys: int, *keys_and_args):
        try:
            return await connection.evalsha(self.sha, numkeys, *keys_and_args)
        except NoScriptError:
            await connection.script_load(self.source)
            return await connection.evalsha(self.sha, numkeys, *keys_and_args)


def get_backend(state: State) -> Backend:
    return state.backend
