"""Tell a body's media type from its bytes, never from what the client declared.

The signature table is ``workers/data/ingest_magic.toml``; its ``supported`` flags say which
types the pipeline reads (text, PDF, HTML pages, DOCX). ``sniff`` only names the type;
``require_supported`` turns a type the pipeline cannot read into ``UnsupportedType`` with a
message that tells the client what to send instead.
"""

from __future__ import annotations

from functools import cache

from workers.data import load_toml
from workers.errors import UnsupportedType

TEXT = "text/plain"
PDF = "application/pdf"
HTML = "text/html"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ZIP = "application/zip"
BINARY = "application/octet-stream"

# Byte-order marks that make a body text even though UTF-16 is full of NUL bytes.
TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_CONTAINS_WINDOW = 64 * 1024
# Control bytes that real text files do contain.
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c\x1b")
# Counted by deleting them in C (bytes.translate): a Python loop over the sample cost more than
# the rest of a text submission's checks.
_BAD_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in _TEXT_CONTROLS)


class _Table:
    def __init__(self, raw: dict):
        self.signatures = [
            (s["media_type"], s["magic"].encode("latin-1"), s.get("offset"), s.get("within"), s.get("contains", "").encode("latin-1"))
            for s in raw["signature"]
        ]
        self.messages = {s["media_type"]: s["message"] for s in raw["signature"] if "message" in s}
        self.supported = {TEXT} | {s["media_type"] for s in raw["signature"] if s.get("supported")}
        markup = raw["markup"]
        if markup.get("supported"):
            self.supported.add(markup["media_type"])
        self.markup_type = markup["media_type"]
        self.markup_prefixes = tuple(p.encode("ascii") for p in markup["prefixes"])
        if "message" in markup:
            self.messages[self.markup_type] = markup["message"]
        binary = raw["binary"]
        self.sample = int(binary["sample"])
        self.max_control_share = float(binary["max_control_share"])
        self.messages[BINARY] = binary["message"]


@cache
def _table() -> _Table:
    return _Table(load_toml("ingest_magic.toml"))


def warm() -> None:
    _table()


def sniff(data: bytes) -> str:
    """Media type of ``data`` by magic bytes: a signature, else markup, else binary noise, else text."""
    table = _table()
    for media_type, magic, offset, within, contains in table.signatures:
        if within is not None:
            found = magic in data[: int(within) + len(magic)]
        else:
            found = data.startswith(magic, int(offset or 0))
        if found and (not contains or contains in data[:_CONTAINS_WINDOW]):
            return media_type
    if data.startswith(TEXT_BOMS[1:]):
        return TEXT
    head = data[: table.sample]
    if head.startswith(TEXT_BOMS[0]):
        head = head[len(TEXT_BOMS[0]) :]
    if head.lstrip().lower().startswith(table.markup_prefixes):
        return table.markup_type
    if head:
        controls = len(head) - len(head.translate(None, _BAD_CONTROL_BYTES))
        if b"\x00" in head or controls / len(head) > table.max_control_share:
            return BINARY
    return TEXT


def supported() -> frozenset[str]:
    """Media types the pipeline reads (the ``supported`` flags of the signature table)."""
    return frozenset(_table().supported)


def require_supported(media_type: str) -> None:
    """Raise ``UnsupportedType`` unless the pipeline can read ``media_type``."""
    if media_type not in _table().supported:
        message = _table().messages.get(media_type, f"{media_type} is not supported; send the report as DOCX, HTML, PDF or plain text")
        raise UnsupportedType(f"{message} (detected {media_type})")
