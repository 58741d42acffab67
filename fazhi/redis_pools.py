"""Redis clients whose connection pools skip redis-py's per-command telemetry.

redis-py 8 records OpenTelemetry connection counts and dispatches an "after release" event on
every pool checkout and return, i.e. on every command: several function calls and, in asyncio,
three extra coroutines a command, even with no meter configured. This service configures
neither redis-py's telemetry (its metrics are prometheus-client's) nor streaming credentials
(the only listener of that event). Measured with 10 concurrent callers on one asyncio client
(uvloop, EVALSHA of a status read): 150-164 µs of CPU a command with redis-py's pool, 106-123 µs
with this one; the API spends most of a status read in that command.

The overrides restate redis-py 8.1.0's ``get_connection`` and ``release`` (pinned exactly in
``pyproject.toml``) minus those two steps: same locking, fork check, connection check and
ownership rules.
"""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio
from redis.exceptions import ConnectionError as RedisConnectionError


class LeanConnectionPool(redis.ConnectionPool):
    def get_connection(self, command_name=None, *keys, **options):
        self._checkpid()
        with self._lock:
            try:
                connection = self._available_connections.pop()
            except IndexError:
                connection = self.make_connection()
            self._in_use_connections.add(connection)
        try:
            connection.connect()
            # A pooled connection with unread data was returned mid-reply or closed by the
            # server: reconnect, and refuse it if it is still not clean.
            try:
                if connection.can_read() and self.cache is None and not self.maint_notifications_enabled():
                    raise RedisConnectionError("Connection has data")
            except (RedisConnectionError, TimeoutError, OSError):
                connection.disconnect()
                connection.connect()
                if connection.can_read() and self.cache is None and not self.maint_notifications_enabled():
                    raise RedisConnectionError("Connection not ready") from None
        except BaseException:
            self.release(connection)
            raise
        return connection

    def release(self, connection) -> None:
        self._checkpid()
        with self._lock:
            try:
                self._in_use_connections.remove(connection)
            except KeyError:  # not one of this pool's (redis-py ignores it too)
                return
            if self.owns_connection(connection):
                if connection.should_reconnect():
                    connection.disconnect()
                self._available_connections.append(connection)
            else:  # made before a fork: never reused across processes
                connection.disconnect()
                if connection.pid == self.pid:
                    self._created_connections -= 1


class LeanAsyncConnectionPool(redis.asyncio.ConnectionPool):
    async def get_connection(self, command_name=None, *keys, **options):
        async with self._lock:
            connection = self.get_available_connection()
        try:
            await self.ensure_connection(connection)
        except BaseException:
            await self.release(connection)
            raise
        return connection

    async def release(self, connection) -> None:
        async with self._lock:
            self._in_use_connections.remove(connection)
            if connection.should_reconnect():
                await connection.disconnect()
            self._available_connections.append(connection)


def sync_client(url: str, **kwargs: Any) -> redis.Redis:
    """``redis.Redis.from_url(url, **kwargs)`` on a ``LeanConnectionPool`` the client owns."""
    return redis.Redis.from_pool(LeanConnectionPool.from_url(url, **kwargs))


def async_client(url: str, **kwargs: Any) -> redis.asyncio.Redis:
    """``redis.asyncio.Redis.from_url(url, **kwargs)`` on a ``LeanAsyncConnectionPool`` the client owns."""
    return redis.asyncio.Redis.from_pool(LeanAsyncConnectionPool.from_url(url, **kwargs))
