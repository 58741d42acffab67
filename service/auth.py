"""Who is asking: the tenant of a request, resolved once by an app-level guard.

Auth is on once the first API key has been created (``fazhi keys create``), and stays on. Then every route that is not
public needs ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; the key's tenant goes to
``request.state.tenant``. With no key at all the tenant is "" (the loopback-only default).
Public: liveness, readiness, the OpenAPI document, and handlers marked ``opt={"public": True}``.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

import msgspec

from fazhi.keys import ENABLED_KEY, HASH_KEY, META_KEY, KeyInfo, digest
from service.errors import AuthInvalid, AuthRequired

PUBLIC_PREFIXES = ("/healthz", "/readyz", "/openapi")
_decode_info = msgspec.json.Decoder(KeyInfo).decode
MAX_KEY_CHARS = 200


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
    backend = connection.app.state.backend
    key = presented_key(connection)
    async with backend.aredis.pipeline(transaction=False) as pipe:
        pipe.exists(ENABLED_KEY)
        pipe.hget(HASH_KEY, digest(key[:MAX_KEY_CHARS]) if key else "-")
        enabled, key_id = await pipe.execute()
    if not enabled:
        return ""
    if key is None:
        raise AuthRequired("this service needs an API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
    if key_id is None:
        raise AuthInvalid("the API key is not valid (unknown or revoked)")
    raw = await backend.aredis.hget(META_KEY, key_id)
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
