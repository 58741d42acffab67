"""Settings from environment variables (prefix ``FAZHI_``), validated once at start-up.

Every field is documented here and listed in the README's settings table. A bad value stops
start-up with a message naming the variable, what it got and what it expects.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
from msgspec import Meta, Struct
from typing import Annotated

PREFIX = "FAZHI_"


class SettingsError(ValueError):
    """A FAZHI_* variable has a value the service cannot use."""


class Settings(Struct, kw_only=True, frozen=True):
    redis_url: str | None = None
    """Redis to use (``redis://host:port/db``). Unset: ``fazhi serve`` starts a private one."""

    data_dir: str = ".fazhi"
    """Directory for the embedded Redis's append-only file and other local state."""

    queue_name: str = "fazhi"
    """RQ queue that carries parse jobs."""

    max_body_bytes: Annotated[int, Meta(gt=0)] = 20 * 1024 * 1024
    """Largest accepted request body, in bytes (enforced while reading, not after)."""

    retention_seconds: Annotated[int, Meta(gt=0)] = 7 * 24 * 3600
    """How long job records and results are kept after a job ends, in seconds."""

    job_timeout_seconds: Annotated[int, Meta(gt=0)] = 600
    """Wall-clock limit for one parse job, in seconds."""

    page_timeout_seconds: Annotated[float, Meta(gt=0)] = 30.0
    """Wall-clock limit for reading one PDF page (text layer or OCR), in seconds."""

    max_pages: Annotated[int, Meta(gt=0)] = 500
    """Largest accepted PDF, in pages."""

    parse_memory_mb: Annotated[int, Meta(gt=0)] = 1024
    """Address-space cap for the process that parses one PDF, in MiB."""

    workers: Annotated[int, Meta(ge=0)] = 2
    """Worker processes that ``fazhi serve`` starts beside the API."""

    log_level: str = "INFO"
    """Python log level name for the service and workers."""


def get_settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from ``environ`` (default ``os.environ``) plus explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for field in Settings.__struct_fields__:
        key = PREFIX + field.upper()
        if key in env and env[key] != "":
            values[field] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        # msgspec says "at `$.max_pages`": name the environment variable instead.
        msg = str(exc)
        for field in Settings.__struct_fields__:
            if f"`$.{field}`" in msg:
                got = values.get(field)
                raise SettingsError(f"{PREFIX}{field.upper()}={got!r} is not valid: {msg.split(' - at')[0]}") from None
        raise SettingsError(msg) from None


def data_path(settings: Settings) -> Path:
    path = Path(settings.data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path
