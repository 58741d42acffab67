"""Ingestion: bytes in, ``RawText`` out. Text, HTML pages and DOCX are read here; PDFs go to a
sandboxed child.

``read_document`` is the one entry point used by the worker and by ``fazhi extract``; the
service calls ``sniff`` and the cheap checks at submit so a client hears about bad input at
once instead of in a failed job.
"""

from __future__ import annotations

from collections.abc import Callable

from fazhi.settings import Settings
from workers.errors import EmptyDocument
from workers.ingest.sniff import DOCX, HTML, PDF, TEXT, require_supported
from workers.ingest.text import decode_text
from workers.pipeline.model import RawText

PageFn = Callable[[int, int], None]


def read_document(
    data: bytes,
    media_type: str,
    *,
    settings: Settings,
    on_page: PageFn | None = None,
) -> RawText:
    """Read ``data`` (already sniffed as ``media_type``) into ``RawText``.

    Raises ``EmptyDocument``, ``UnsupportedType``, ``BadEncoding`` or the PDF reader's errors.
    """
    if not data.strip():
        raise EmptyDocument("the document is empty")
    require_supported(media_type)
    if media_type == TEXT:
        raw = RawText(text=decode_text(data), media_type=TEXT)
    elif media_type == HTML:
        from workers.ingest.html import read_html

        raw = read_html(data)
    elif media_type == DOCX:
        from workers.ingest.docx import read_docx

        raw = read_docx(data, max_bytes=settings.max_body_bytes * 4)
    else:
        assert media_type == PDF
        from workers.ingest.pdf_sandbox import read_pdf_isolated

        raw = read_pdf_isolated(data, settings=settings, on_page=on_page)
    if not raw.text.strip():
        raise EmptyDocument("the document contains no text" + (" (no text layer could be read)" if media_type == PDF else ""))
    return raw


def precheck(data: bytes, media_type: str, settings: Settings) -> None:
    """Cheap submit-time checks for the container formats read here (PDFs are checked by the
    service's ``inspect``): a DOCX must be a sound Word ZIP, a page must hold some text."""
    if media_type == DOCX:
        from workers.ingest.docx import check_docx

        check_docx(data, settings.max_body_bytes * 4)
    elif media_type == HTML:
        from workers.ingest.html import read_html

        if not read_html(data).text.strip():
            raise EmptyDocument("the HTML page contains no text")
