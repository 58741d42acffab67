"""PDF page images for the review page, rendered with pypdfium2.

Only PDFs whose job already succeeded are rendered (the sandboxed worker has read them once),
one page per call, at a scale capped so a huge page cannot exhaust memory. PDFium is not
thread-safe, so calls are serialised; a small cache serves the page a reviewer flips back to.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict

MAX_PIXELS = 2400 * 2400  # per rendered page
DEFAULT_SCALE = 1.5  # 108 dpi: readable on screen, ~150 KB per page
_CACHE_PAGES = 32

_lock = threading.Lock()
_cache: OrderedDict[tuple[str, int, float], bytes] = OrderedDict()


class PageOutOfRange(ValueError):
    pass


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    """(width, height) in PDF points of every page, 1-based order."""
    import pypdfium2 as pdfium

    with _lock:
        pdf = pdfium.PdfDocument(data)
        try:
            return [tuple(pdf[i].get_size()) for i in range(len(pdf))]
        finally:
            pdf.close()


def render_png(data: bytes, page: int, *, key: str, scale: float = DEFAULT_SCALE) -> bytes:
    """PNG of 1-based ``page``; ``key`` (the document's sha256) names it in the cache."""
    cache_key = (key, page, scale)
    with _lock:
        if cache_key in _cache:
            _cache.move_to_end(cache_key)
            return _cache[cache_key]
        png = _render(data, page, scale)
        _cache[cache_key] = png
        while len(_cache) > _CACHE_PAGES:
            _cache.popitem(last=False)
        return png


def _render(data: bytes, page: int, scale: float) -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        if not 1 <= page <= len(pdf):
            raise PageOutOfRange(f"page {page} is outside 1-{len(pdf)}")
        pdf_page = pdf[page - 1]
        width, height = pdf_page.get_size()
        if width * height * scale * scale > MAX_PIXELS:
            scale = (MAX_PIXELS / max(width * height, 1.0)) ** 0.5
        image = pdf_page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
        return out.getvalue()
    finally:
        pdf.close()
