"""structlog on top of the standard library: every ``logging`` call in fazhi, RQ and uvicorn goes
through one formatter, so the ids bound here appear on their lines too.

JSON lines when stderr is not a terminal (containers, systemd, CI) or ``FAZHI_LOG_FORMAT=json``;
coloured key=value lines in a terminal or with ``FAZHI_LOG_FORMAT=console``. The request id and
job id are bound with ``structlog.contextvars``; ``merge_contextvars`` puts them on each line.
"""

from __future__ import annotations

import logging
import sys
from typing import IO

import structlog

FORMATS = ("auto", "json", "console")


def use_json(fmt: str, stream: IO[str]) -> bool:
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "auto":
        isatty = getattr(stream, "isatty", None)
        return not (isatty and isatty())
    return fmt == "json"


def _add_trace_ids(_logger, _name: str, event: dict) -> dict:
    from fazhi.observability import tracing

    ids = tracing.current_ids()
    if ids:
        event.setdefault("trace_id", ids[0])
        event.setdefault("span_id", ids[1])
    return event


_SHARED = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _add_trace_ids,
]


def _route_structlog_to_stdlib() -> None:
    # structlog's own default prints to stdout; ours always goes through ``logging``, so a
    # process that never called ``configure`` (a library user, a test) gets plain logging rules.
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure(level: int | str = logging.INFO, fmt: str = "auto", stream: IO[str] | None = None) -> None:
    """Route the root logger through structlog. Safe to call again (handlers are replaced)."""
    stream = stream or sys.stderr
    as_json = use_json(fmt, stream)
    renderer = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=bool(getattr(stream, "isatty", lambda: False)()))
    )
    final = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if as_json:
        final.append(structlog.processors.format_exc_info)
    formatter = structlog.stdlib.ProcessorFormatter(foreign_pre_chain=_SHARED, processors=[*final, renderer])
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    _route_structlog_to_stdlib()


if not structlog.is_configured():
    _route_structlog_to_stdlib()


def bound(**ids: str | None):
    """Bind non-empty ids for the ``with`` block (request_id, job_id)."""
    return structlog.contextvars.bound_contextvars(**{k: v for k, v in ids.items() if v})


def current(name: str) -> str | None:
    return structlog.contextvars.get_contextvars().get(name)


def litestar_config():
    """Litestar's logging left to the root logger (its default replaces the root handler with its
    own text format). Its exception logging stays off: ``service.errors`` logs the unexpected
    ones itself, and expected problems (404, 422, 503 back-pressure) are answers, not errors."""
    from litestar.logging.config import LoggingConfig

    return LoggingConfig(
        configure_root_logger=False,
        loggers={"litestar": {"level": "INFO", "handlers": [], "propagate": True}},
        log_exceptions="never",
    )
