"""Job-end events for ``GET ?wait``: one pub/sub connection per API process, shared by every waiter.

A pub/sub connection per waiting request cost a TCP connect and handshake each time, and closing it
disconnected a pooled connection that the next command then had to open again (about 3 ms on the
status or result read that follows a wait). Here one listener task holds a pattern subscription to
every job's channel (``fazhi:events:*``; only terminal transitions publish, one message a job) and
wakes the waiters of that job.

A waiter re-reads the record only once the subscription is confirmed, so an end published between
its first read and its wait is never missed. When the listener loses Redis it wakes every waiter to
re-read, and again once it is subscribed anew (ends published in between were missed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import redis.asyncio
from redis.exceptions import RedisError

from workers.jobstore import events_channel

log = logging.getLogger(__name__)

PATTERN = events_channel("*")
RETRY_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0)
POLL_SECONDS = 5.0
"""How long one read on the subscription waits; a quiet connection is checked this often."""


class JobEvents:
    def __init__(self, connection: redis.asyncio.Redis) -> None:
        self._redis = connection
        self._waiters: dict[bytes, set[asyncio.Event]] = {}
        self._subscribed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        if self._task is None and not self._stopping:
            self._task = asyncio.get_running_loop().create_task(self._listen(), name="fazhi-job-events")

    async def stop(self) -> None:
        # redis-py's get_message sometimes swallows a cancellation that lands while a reply is
        # being read (the task stays 'cancelling' and reads on), so cancel until it ends; the flag
        # also ends the loop if a cancellation comes back as a connection error.
        self._stopping = True
        task, self._task = self._task, None
        if task is None:
            return
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=0.05)
        with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
            task.result()
        self._subscribed.clear()
        self._wake_all()

    @contextlib.contextmanager
    def watch(self, job_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever the job's channel gets a message (or waiters must re-read)."""
        channel = events_channel(job_id).encode()
        event = asyncio.Event()
        self._waiters.setdefault(channel, set()).add(event)
        try:
            yield event
        finally:
            waiters = self._waiters.get(channel)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[channel]

    @property
    def live(self) -> bool:
        """The subscription is confirmed: a waiter may read once and then wait."""
        return self._subscribed.is_set()

    async def subscribed(self, timeout: float) -> bool:
        """True once the subscription is live; False if it is not within ``timeout`` seconds."""
        if self._subscribed.is_set():
            return True
        self.start()
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def _wake(self, channel: bytes) -> None:
        for event in self._waiters.get(channel, ()):
            event.set()

    def _wake_all(self) -> None:
        for waiters in self._waiters.values():
            for event in waiters:
                event.set()

    async def _listen(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(PATTERN)
                    while True:
                        message = await pubsub.get_message(timeout=POLL_SECONDS)
                        if message is None:
                            await pubsub.ping()  # a dead connection fails here rather than hanging
                            continue
                        kind = message["type"]
                        if kind == "pmessage":
                            self._wake(message["channel"])
                        elif kind == "psubscribe":
                            self._subscribed.set()
                            failures = 0
                            self._wake_all()  # anything published while unsubscribed was missed
            except asyncio.CancelledError:
                self._subscribed.clear()
                raise
            except (RedisError, OSError) as exc:
                self._subscribed.clear()
                self._wake_all()
                if self._stopping:
                    return
                delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                if failures == 1:
                    log.warning("job events: lost the Redis subscription (%s); resubscribing", exc)
                await asyncio.sleep(delay)
