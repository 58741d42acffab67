"""`fazhi extract`: the worker's pipeline run in-process over local files, no Redis.

One JSON document per input, in input order. A failing input becomes a JSON error line
``{"file", "error": {"code", "message"}}`` so the output stays machine-readable and lined up
with the inputs; the exit code says whether anything failed.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import msgspec

from fazhi.settings import Settings
from workers.errors import FazhiError

STDIN = "-"


class _Error(msgspec.Struct):
    code: str
    message: str


class _ErrorLine(msgspec.Struct):
    file: str
    error: _Error


def _read(name: str) -> bytes:
    if name == STDIN:
        return sys.stdin.buffer.read()
    with open(name, "rb") as fh:
        return fh.read()


def extract_one(name: str, settings: Settings) -> msgspec.Struct:
    """Result for one file, or an error line; never raises for a bad input."""
    from workers.ingest import read_document  # noqa: PLC0415 - heavy imports only when used
    from workers.ingest.sniff import sniff  # noqa: PLC0415
    from workers.pipeline.runner import extract  # noqa: PLC0415

    try:
        data = _read(name)
    except OSError as exc:
        return _ErrorLine(file=name, error=_Error(code="input.unreadable", message=f"{exc.strerror}: {name}"))
    try:
        raw = read_document(data, sniff(data), settings=settings)
        filename = None if name == STDIN else Path(name).name
        return extract(raw, sha256=hashlib.sha256(data).hexdigest(), filename=filename)
    except FazhiError as exc:
        return _ErrorLine(file=name, error=_Error(code=exc.code, message=exc.message))
    except Exception as exc:  # noqa: BLE001 - one bad input must not stop the others
        return _ErrorLine(file=name, error=_Error(code="internal", message=f"{type(exc).__name__}: {exc}"))


def extract_files(names: Sequence[str], settings: Settings, *, pretty: bool, out: BinaryIO) -> int:
    encoder = msgspec.json.Encoder()
    failed = 0
    for name in names:
        item = extract_one(name, settings)
        failed += isinstance(item, _ErrorLine)
        line = encoder.encode(item)
        out.write(msgspec.json.format(line, indent=2) if pretty else line)
        out.write(b"\n")
        out.flush()
    return 1 if failed else 0
