"""Who is asking: the tenant of a request, resolved once by an app-level guard.

Auth is on once the first API key has been created (``fazhi keys create``), and stays on. Then every route that is not
public needs ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; the key's tenant goes to
``request.state.tenant``. With no key at all the tenant is "" (the loopback-only default).
Public: liveness, readiness, the OpenAPI document, and handlers marked ``opt={"public": True}``.

Every guarded request would otherwise ask Redis whether auth is on; each API process keeps that
answer for ``ENABLED_TTL_SECONDS`` (a key created meanwhile is enforced at most that much later),
and resolves key → tenant in one round trip (a script), so a status read with auth off costs a
single Redis command: the job record's HGETALL.
"""

from __future__ import annotations

import time
import weakref

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

import msgspec

from fazhi.keys import ENABLED_KEY, HASH_KEY, META_KEY, KeyInfo, digest
from service.errors import AuthInvalid, AuthRequired

PUBLIC_PREFIXES = ("/healthz", "/readyz", "/openapi")
_decode_info = msgspec.json.Decoder(KeyInfo).decode
MAX_KEY_CHARS = 200
ENABLED_TTL_SECONDS = 1.0

# KEYS: enabled flag, hash → id, id → meta. ARGV: digest of the presented key ("-" for none).
_RESOLVE = """
local on = redis.call('EXISTS', KEYS[1])
if on == 0 or ARGV[1] == '-' then return {on, false} end
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then return {on, false} end
return {on, redis.call('HGET', KEYS[3], id)}
"""


class _AuthState:
    """Per backend (so per app): the cached "is auth on?" and the registered script."""

    def __init__(self, aredis) -> None:
        self.script = aredis.register_script(_RESOLVE)
        self.enabled = False
        self.checked_at = float("-inf")

    def fresh(self) -> bool:
        return time.monotonic() - self.checked_at < ENABLED_TTL_SECONDS


_states: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _state(backend) -> _AuthState:
    state = _states.get(backend.aredis)
    if state is None:
        state = _states[backend.aredis] = _AuthState(backend.aredis)
    return state


def presented_key(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization")
    if header:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        raise AuthInvalid("the Authorization header must be 'Bearer <key>'")
    key = connection.headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


async def resolve_tenant(connection: ASGIConnection) -> str:
    """The tenant of the presented key, "" when auth is off; raises 401 problems otherwise."""
    state = _state(connection.app.state.backend)
    if state.fresh() and not state.enabled:
        return ""
    key = presented_key(connection)
    digest_arg = digest(key[:MAX_KEY_CHARS]) if key else "-"
    enabled, raw = await state.script(keys=[ENABLED_KEY, HASH_KEY, META_KEY], args=[digest_arg])
    state.enabled, state.checked_at = bool(enabled), time.monotonic()
    if not enabled:
        return ""
    if key is None:
        raise AuthRequired("this service needs an API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
    if raw is None:
        raise AuthInvalid("the API key is not valid (unknown or revoked)")
    return _decode_info(raw).tenant


async def tenant_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if handler.opt.get("public") or connection.scope["path"].startswith(PUBLIC_PREFIXES):
        connection.state.tenant = ""
        return
    connection.state.tenant = await resolve_tenant(connection)


def tenant_of(request: ASGIConnection) -> str:
    """The tenant the guard resolved for this request ("" when auth is off)."""
    return request.state.tenant
