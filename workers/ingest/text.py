"""Decode a plain-text report: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030.

GB18030 is a superset of GBK and GB2312, the encodings Chinese government text files are
usually saved in. The text is returned exactly as decoded (minus the BOM); normalisation is
the pipeline's first stage, so evidence offsets stay tied to one canonical text.
"""

from __future__ import annotations

import codecs
import re

from workers.errors import BadEncoding

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Decoded text with more than this share of C0 controls (besides tab/LF/CR/FF) is mojibake
# from a wrong guess or binary data, not a report.
_MAX_CONTROL_SHARE = 0.01
_OK_CONTROLS = frozenset("\t\n\r\x0c")
# The C0 controls not in _OK_CONTROLS, counted by the regex engine: a Python loop over every
# character cost more than the rest of a submission's checks.
_BAD_CONTROL = re.compile("[" + "".join(re.escape(chr(c)) for c in range(32) if chr(c) not in _OK_CONTROLS) + "]")


def decode_text(data: bytes) -> str:
    """Return the text of ``data``, or raise ``BadEncoding`` naming what was tried."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom) :].decode(encoding))
            except UnicodeDecodeError as exc:
                raise BadEncoding(f"the body starts with a {encoding} byte-order mark but is not valid {encoding}: {exc.reason} at byte {exc.start + len(bom)}") from None
    if b"\x00" in data:
        raise BadEncoding("the body contains NUL bytes; text must be UTF-8 or GB18030/GBK (UTF-16 needs a byte-order mark)")
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError as utf8_error:
        try:
            return _checked(data.decode("gb18030"))
        except UnicodeDecodeError:
            raise BadEncoding(
                f"the body is neither UTF-8 (invalid byte at {utf8_error.start}) nor GB18030/GBK text"
            ) from None


def _checked(text: str) -> str:
    if text:
        controls = sum(1 for _ in _BAD_CONTROL.finditer(text))
        if "\x00" in text or controls / len(text) > _MAX_CONTROL_SHARE:
            raise BadEncoding("the decoded text is full of control characters; it is not a text document")
    return text
