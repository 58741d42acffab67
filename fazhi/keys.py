"""API keys: each belongs to a tenant (the client's name); stored in Redis only as SHA-256 hashes.

A key looks like ``fz_<id>_<secret>``: the id names it in ``keys list``/``keys revoke`` without
revealing it, and the secret (256 random bits) makes it unguessable, so a plain SHA-256 is
enough (no slow hash needed: nothing low-entropy is hashed). Keys live in Redis so every API
process sees a creation or revocation at once.

* ``fazhi:keys:hash``  hash: sha256(key) → key id
* ``fazhi:keys:meta``  hash: key id → JSON {id, tenant, created_at, hash}
* ``fazhi:keys:on``    set by the first ``create``, never cleared

Auth is on as soon as the first key is created, and stays on: revoking the last key must not
quietly open the service to everyone.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import re
import secrets
import time
from collections.abc import Iterator

import msgspec
import redis

from workers.jobstore import PREFIX, now_iso

HASH_KEY = f"{PREFIX}:keys:hash"
META_KEY = f"{PREFIX}:keys:meta"
ENABLED_KEY = f"{PREFIX}:keys:on"
TENANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class KeysError(ValueError):
    """A bad tenant name or an unknown key id (the CLI prints it and exits 2)."""


class KeyInfo(msgspec.Struct, kw_only=True):
    id: str
    tenant: str
    created_at: str
    hash: str


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(conn: redis.Redis, tenant: str) -> tuple[KeyInfo, str]:
    """A new key for ``tenant``; returns its info and the key itself (shown once, never stored)."""
    if not TENANT_NAME.match(tenant):
        raise KeysError(f"tenant name {tenant!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    key_id = secrets.token_hex(6)
    key = f"fz_{key_id}_{secrets.token_urlsafe(32)}"
    info = KeyInfo(id=key_id, tenant=tenant, created_at=now_iso(), hash=digest(key))
    with conn.pipeline(transaction=True) as pipe:
        pipe.hset(HASH_KEY, info.hash, key_id)
        pipe.hset(META_KEY, key_id, msgspec.json.encode(info))
        pipe.set(ENABLED_KEY, "1")
        pipe.execute()
    return info, key


def list_keys(conn: redis.Redis) -> list[KeyInfo]:
    infos = [msgspec.json.decode(raw, type=KeyInfo) for raw in conn.hgetall(META_KEY).values()]
    return sorted(infos, key=lambda i: (i.tenant, i.created_at))


def revoke_key(conn: redis.Redis, key_id: str) -> KeyInfo:
    raw = conn.hget(META_KEY, key_id)
    if raw is None:
        raise KeysError(f"no key with id {key_id!r} (see `fazhi keys list`)")
    info = msgspec.json.decode(raw, type=KeyInfo)
    with conn.pipeline(transaction=True) as pipe:
        pipe.hdel(HASH_KEY, info.hash)
        pipe.hdel(META_KEY, key_id)
        pipe.execute()
    return info


def auth_enabled(conn: redis.Redis) -> bool:
    return bool(conn.exists(ENABLED_KEY))


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def connect(settings) -> Iterator[redis.Redis]:
    """The Redis that holds the keys: FAZHI_REDIS_URL, or (unset) the embedded one in
    FAZHI_DATA_DIR, started just for this command (stop ``fazhi serve`` first: it holds it)."""
    if settings.redis_url:
        conn = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5)
        try:
            yield conn
        finally:
            conn.close()
        return
    from fazhi.embedded_redis import EmbeddedRedis, EmbeddedRedisError
    from fazhi.settings import data_path

    try:
        server = EmbeddedRedis(data_path(settings))
        url = server.start()
    except EmbeddedRedisError as exc:
        raise KeysError(f"cannot open the embedded Redis in {settings.data_dir} ({exc}); is `fazhi serve` running? "
                        "Stop it, or set FAZHI_REDIS_URL") from None
    conn = redis.Redis.from_url(url)
    try:
        yield conn
    finally:
        conn.close()
        server.stop()


def require_keys_for_bind(settings, host: str, wait_seconds: float = 30.0) -> None:
    """Refuse to serve a non-loopback address while no API key exists (start-up check)."""
    if is_loopback(host):
        return
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with connect(settings) as conn:
                check_bind(host, conn)
                return
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if time.monotonic() > deadline:
                raise KeysError(f"cannot reach Redis to check for API keys before listening on {host}: {exc}") from None
            time.sleep(1.0)


def check_bind(host: str, conn: redis.Redis) -> None:
    """Refuse to serve a non-loopback address while no API key exists (anyone could read every job)."""
    if is_loopback(host) or auth_enabled(conn):
        return
    raise KeysError(
        f"refusing to listen on {host} without API keys: anyone who can reach it could read every report. "
        "Create a key first (`fazhi keys create NAME`) or listen on 127.0.0.1."
    )


def main(args, settings) -> int:
    """``fazhi keys create NAME | revoke ID | list``; the CLI delegates here."""
    import sys

    lines: list[str] = []
    try:
        with connect(settings) as conn:
            if args.keys_command == "create":
                info, key = create_key(conn, args.name)
                lines = [f"created key {info.id} for tenant {info.tenant}; it is shown only once, on the next line:", key]
            elif args.keys_command == "revoke":
                info = revoke_key(conn, args.id)
                lines = [f"revoked key {info.id} of tenant {info.tenant}"]
            else:
                lines = [f"{info.id}\t{info.tenant}\t{info.created_at}" for info in list_keys(conn)]
    except KeysError as exc:
        print(f"fazhi: error: {exc}", file=sys.stderr)
        return 2
    except redis.RedisError as exc:
        print(f"fazhi: error: Redis: {exc}", file=sys.stderr)
        return 1
    # After the embedded Redis has stopped (and logged it), so the key really is the last line.
    sys.stderr.flush()
    print("\n".join(lines), flush=True)
    return 0


def add_parser(sub) -> None:
    k = sub.add_parser("keys", help="API keys: create NAME, revoke ID, list")
    ks = k.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    ks.add_parser("create", help="a new key for tenant NAME; printed once, on the last line").add_argument("name", metavar="NAME")
    ks.add_parser("revoke", help="revoke the key with this id (see list)").add_argument("id", metavar="ID")
    ks.add_parser("list", help="key ids, tenants and creation dates (never the keys)")
