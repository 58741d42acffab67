"""Signed, expiring share links for the pages a browser opens without headers.

An ``<iframe>`` or a plain link cannot send ``Authorization``, so the review page, the card and
the page images also accept ``?exp=<unix>&sig=<hex>``, where ``sig`` is
HMAC-SHA256(secret, ``"{job_id}.{exp}"``). The signature names the job and the moment it stops
working, nothing else: whoever holds the link sees that job's pages until then, and no other
job's, and never the JSON API.

The secret is ``FAZHI_SHARE_SECRET``; unset, the first API process to need one stores a random
one in Redis with SET NX, so every process signs and checks with the same key. Losing it (a
Redis without persistence) only invalidates the links already handed out.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar.connection import ASGIConnection
from msgspec import Meta

from workers.jobstore import PREFIX

SECRET_KEY = f"{PREFIX}:share-secret"
DEFAULT_TTL_SECONDS = 7 * 24 * 3600
# A unix time fits in 12 digits for the next 30,000 years; anything longer is not ours.
_EXP = re.compile(r"^[0-9]{1,12}$")
_SIG = re.compile(r"^[0-9a-f]{64}$")

_secrets: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class ShareRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ttl_seconds: Annotated[int, Meta(ge=1, le=10 * 365 * 24 * 3600, description="How long the links work; capped by the retention period")] | None = None


class ShareLinks(msgspec.Struct, kw_only=True):
    view_url: Annotated[str, Meta(description="The review page, openable without an API key until expires_at")]
    card_url: Annotated[str, Meta(description="The portal card (an HTML fragment for an iframe), same expiry")]
    expires_at: Annotated[str, Meta(description="When the links stop working (UTC, ISO 8601)")]


@dataclass(frozen=True)
class Access:
    """Who may see a job's pages: a tenant (``owner``, "" with auth off) or a share link (``exp``)."""

    owner: str | None
    exp: int | None = None

    @property
    def signed(self) -> bool:
        return self.exp is not None

    def query(self, job_id: str, key: bytes) -> str:
        """The query string that carries this access to the job's other pages ("" for a key)."""
        return f"?exp={self.exp}&sig={sign(key, job_id, self.exp)}" if self.exp is not None else ""

    def seconds_left(self, now: float | None = None) -> int | None:
        return None if self.exp is None else max(0, self.exp - int(time.time() if now is None else now))


def sign(key: bytes, job_id: str, exp: int) -> str:
    return hmac.new(key, f"{job_id}.{exp}".encode(), hashlib.sha256).hexdigest()


def verify(key: bytes, job_id: str, exp: str | None, sig: str | None, now: float | None = None) -> int | None:
    """The expiry of a valid, unexpired signature for ``job_id``; None otherwise."""
    if not exp or not sig or not _EXP.match(exp) or not _SIG.match(sig):
        return None
    expires = int(exp)
    if expires <= (time.time() if now is None else now):
        return None
    return expires if hmac.compare_digest(sign(key, job_id, expires), sig) else None


def iso(exp: int) -> str:
    return datetime.fromtimestamp(exp, UTC).isoformat().replace("+00:00", "Z")


async def secret(backend) -> bytes:
    """The signing key: the setting, else the one kept in Redis (created by whoever came first)."""
    configured = backend.settings.share_secret
    if configured:
        return configured.encode("utf-8")
    cached = _secrets.get(backend.aredis)
    if cached is None:
        await backend.aredis.set(SECRET_KEY, secrets.token_hex(32), nx=True)
        stored = await backend.aredis.get(SECRET_KEY)
        cached = _secrets[backend.aredis] = stored if isinstance(stored, bytes) else str(stored).encode()
    return cached


def expiry(ttl_seconds: int | None, retention_seconds: int, now: float | None = None) -> int:
    ttl = min(ttl_seconds or DEFAULT_TTL_SECONDS, retention_seconds)
    return int(time.time() if now is None else now) + ttl


async def access(connection: ASGIConnection, backend, job_id: str) -> Access:
    """A valid share link for this job, else the presented key's tenant (401 when auth is on and
    there is neither). Checked before the job is looked up, so nobody without one of the two
    learns whether an id exists."""
    from service.auth import resolve_tenant
    from service.errors import AuthRequired

    params = connection.query_params
    exp, sig = params.get("exp"), params.get("sig")
    presented = exp is not None or sig is not None
    if presented:
        expires = verify(await secret(backend), job_id, exp, sig)
        if expires is not None:
            return Access(owner=None, exp=expires)
    try:
        return Access(owner=await resolve_tenant(connection))
    except AuthRequired:
        if presented:
            raise AuthRequired("this share link is not valid or has expired: ask for a new one, or send an API key") from None
        raise
