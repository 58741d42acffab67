"""PDF bytes → ``RawText`` with a box and a page for every character.

PDFium (pypdfium2) gives each page's characters and boxes at a few ms a page; pdfplumber is used
only on pages with ruling lines, for tables (``pdf_tables``). Reading order, soft-wrap joining and
the removal of running headers/footers come from geometry (``pdf_layout``). Pages whose text layer
is garbage or missing are OCR'd (``ocr``) when Tesseract is installed, else marked
``text_source="none"``.

Raw text conventions (the normalise stage relies on them):
* a line break ``\\n`` is written only where a visual line ends a paragraph, heading or short line;
  a line that runs to the right margin mid-sentence is joined to the next with nothing in between
  (two Latin words get a space), also across a page break;
* there is no page separator beyond that ``\\n``: page extents are in ``RawText.pages``;
* spaces PDFium generates (word gaps it guesses, e.g. between ``2021`` and ``年`` when the exporter
  switched fonts) are dropped; spaces drawn in the PDF are kept; a space is synthesised only
  between two ASCII glyphs with a visible gap, and between the cells of a table row;
* running headers/footers and page-number lines are removed; rotated glyphs that are a small
  minority of a page (diagonal watermarks, stamps) are dropped;
* synthesised characters (line breaks, spaces) have a zero-area box at the end of the glyph before.
Boxes are ``(x0, y0, x1, y1)`` in PDF points, origin bottom-left (PDFium's loose char boxes).
"""

from __future__ import annotations

import ctypes
import math
import re
from array import array
from dataclasses import dataclass
from collections.abc import Callable
from itertools import repeat
from operator import ge as _ge, lt as _lt, ne as _ne

import msgspec
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from workers.errors import EncryptedPdf, MalformedPdf, TooManyPages
from workers.ingest import ocr
from workers.ingest import pdf_native as native
from workers.ingest.pdf_chrome import mark_chrome
from workers.ingest.pdf_join import joiner
from workers.ingest.pdf_layout import Glyph, Line, PageLayout, config, layout_page, synthetic
from workers.ingest.pdf_orient import frame, groups, quadrant
from workers.ingest.pdf_quality import quality
from workers.ingest.pdf_split import map_page_ranges, page_ranges
from workers.ingest.pdf_tables import Plumber, TableGeom, attach, rulings
from workers.pipeline.model import PageRaw, RawText

PageFn = Callable[[int, int], None]
MEDIA_TYPE = "application/pdf"


class PdfInfo(msgspec.Struct, frozen=True):
    pages: int
    encrypted: bool  # has a security handler (an owner-password-only file opens and is fine)


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    """Open with PDFium, mapping failures to input errors."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedPdf("the PDF is protected by a password") from None
        raise MalformedPdf(f"the PDF cannot be read: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - any failure to open is the file's fault
        raise MalformedPdf(f"the PDF cannot be read: {type(exc).__name__}") from None


def inspect_pdf_unbounded(data: bytes) -> PdfInfo:
    """Page count and encryption, in this process (use ``inspect_pdf`` from a server)."""
    doc = open_pdf(data)
    try:
        pages = len(doc)
        encrypted = pdfium_c.FPDF_GetSecurityHandlerRevision(doc.raw) != -1
    finally:
        doc.close()
    if pages < 1:
        raise MalformedPdf("the PDF has no pages")
    return PdfInfo(pages=pages, encrypted=encrypted)


def inspect_pdf(data: bytes, *, timeout: float = 5.0, memory_mb: int = 512) -> PdfInfo:
    """Cheap submit-time check in a forked child, so a hostile file cannot hang or crash the caller.

    Raises ``EncryptedPdf`` or ``MalformedPdf`` (also when the check itself breaks its limits).
    """
    from workers.errors import ParseLimitError
    from workers.ingest.pdf_sandbox import run_isolated

    if not data.startswith(b"%PDF") and b"%PDF" not in data[:1024]:
        raise MalformedPdf("the file does not start like a PDF")
    try:
        return run_isolated(inspect_pdf_unbounded, data, timeout=timeout, page_timeout=timeout, memory_mb=memory_mb, decode=PdfInfo)
    except ParseLimitError as exc:
        raise MalformedPdf(f"the PDF could not be inspected ({exc.code})") from None


# ---------------------------------------------------------------------------------------------
# Characters
# ---------------------------------------------------------------------------------------------


_SKIP = frozenset((0x0D, 0x0A, 0x02))  # line ends PDFium generates; 0x02 marks a soft hyphen
# Glyphs of one rotation below this share of a page are dropped (diagonal watermarks, stamps);
# above it they are text, laid out upright.
_ROTATED_SHARE = 0.2


def page_glyphs(textpage, upright: bool = False) -> tuple[list[Glyph], list[int]]:
    """Characters of a text page with their loose boxes, in content-stream order, and each
    one's rotation in quarter turns (``pdf_orient.quadrant``).

    Characters PDFium generated (line ends, guessed word spaces) are dropped: they have no
    extent. Unmapped code points come back as U+FFFD so the quality score sees them.
    ``upright``: the page is known to hold no rotated text (``_upright``), so no angle is read.
    """
    raw = native.handle(textpage.raw)
    count = max(pdfium_c.FPDFText_CountChars(textpage.raw), 0)
    # ctypes calls are the cost here: the page's code points in one call, the boxes in one
    # C-driven loop (``pdf_native``), and no Python work per character beyond building tuples.
    text = _fast_text(textpage.raw, count)
    odd = False
    if text is None:
        codes = _codes(textpage.raw, count)
        text = "".join(map(chr, codes))
        odd = _ODD_CODES.search(text) is not None
    if odd:
        text, indices = _decode_slow(codes)
    else:
        # Line ends PDFium generated: a few a line, so the kept indices are runs between them.
        indices = []
        prev = 0
        for m in _SKIP_CHARS.finditer(text):
            indices += range(prev, m.start())
            prev = m.end()
        if prev:
            indices += range(prev, count)
            text = _SKIP_CHARS.sub("", text)
        else:
            indices = range(count)
    ok, v = native.loose_boxes(raw, indices)
    # FS_RECTF is left, top, right, bottom; a glyph is (char, x0, y0, x1, y1).
    x0s, x1s = v[0::4], v[2::4]
    glyphs = list(zip(text, x0s, v[3::4], x1s, v[1::4]))
    # Dropped: a character without a box, and a space PDFium generated between two runs (no extent).
    drop = [j for j, k in enumerate(ok) if not k] if not all(ok) else []
    drop += [m.start() for m in _SPACE.finditer(text) if x1s[m.start()] <= x0s[m.start()]]
    kept = indices
    if drop:
        gone = set(drop)
        glyphs = [g for j, g in enumerate(glyphs) if j not in gone]
        kept = [i for j, i in enumerate(indices) if j not in gone]
    if upright:
        return glyphs, [0] * len(glyphs)
    lo, hi = 0.05, 2 * math.pi - 0.05
    quads = [0 if a < lo or a > hi else quadrant(a) for a in native.char_angles(raw, kept)]
    return glyphs, quads


# Code units the fast path cannot map one to one: surrogates (pairs become one character) and
# the two that stand for an unmapped character.
_ODD_CODES = re.compile("[\ud800-\udfff\x00\ufffe]")
_SKIP_STR = "".join(map(chr, _SKIP))
_SKIP_CHARS = re.compile(f"[{re.escape(_SKIP_STR)}]+")
_SPACE = re.compile(" ")


def _decode_slow(codes: list[int]) -> tuple[str, list[int]]:
    """Characters and their indices, pairing surrogates and mapping unmapped code units."""
    chars: list[str] = []
    indices: list[int] = []
    pending_high = 0
    for i, cp in enumerate(codes):
        if cp in _SKIP:
            continue
        if 0xD800 <= cp < 0xDC00:
            pending_high = cp
            continue
        if 0xDC00 <= cp < 0xE000 and pending_high:
            cp = 0x10000 + ((pending_high - 0xD800) << 10) + (cp - 0xDC00)
        pending_high = 0
        if cp == 0 or cp == 0xFFFE:
            cp = 0xFFFD
        chars.append(chr(cp))
        indices.append(i)
    return "".join(chars), indices


def _fast_text(raw, count: int) -> str | None:
    """The page's characters in one ``FPDFText_GetText`` call, decoded in C; None when a code
    unit needs ``_codes`` (the path that asks for odd ones one by one) or ``_decode_slow``.

    UTF-16 decoding maps every code unit outside the surrogate range to the same code point, as
    ``chr`` does; a surrogate pair would become one character, so any surrogate (``_ODD_CODES``,
    or a decoded string shorter than ``count``), a 0 or a U+FFFE sends the page down the old path.
    """
    if count <= 0:
        return None
    buf = (ctypes.c_ushort * (count + 1))()
    if pdfium_c.FPDFText_GetText(raw, 0, count, buf) != count + 1:
        return None
    text = memoryview(buf).cast("B")[: 2 * count].tobytes().decode("utf-16-le", "surrogatepass")
    if len(text) != count or _ODD_CODES.search(text):
        return None
    return text


def _codes(raw, count: int) -> list[int]:
    """UTF-16 code units of characters 0..count-1 (what FPDFText_GetUnicode gives one by one)."""
    if count <= 0:
        return []
    buf = (ctypes.c_ushort * (count + 1))()
    if pdfium_c.FPDFText_GetText(raw, 0, count, buf) == count + 1:
        codes = list(buf)[:count]
        # GetText maps a few characters differently from GetUnicode (0 and unmapped ones);
        # those are rare, so they are asked for one by one.
        if 0 not in codes and 0xFFFE not in codes:
            return codes
    get_unicode = pdfium_c.FPDFText_GetUnicode
    return [get_unicode(raw, i) for i in range(count)]


_ROTATED_TEXT_TOLERANCE = 1e-3


def _objects(page) -> tuple[list[native.Handle], list[native.Handle], bool]:
    """One walk over the page's top-level objects: text objects, path objects (as handles for
    ``pdf_native``), any form XObject."""
    objs, kinds = native.page_objects(native.handle(page.raw), pdfium_c.FPDFPage_CountObjects(page.raw))
    text, path = pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_PATH
    texts = [o for o, k in zip(objs, kinds) if k == text]
    paths = [o for o, k in zip(objs, kinds) if k == path]
    return texts, paths, pdfium_c.FPDF_PAGEOBJ_FORM in kinds


def _upright(page, texts: list[native.Handle], form: bool) -> bool:
    """Can no character of the page be rotated? Only when the page has no /Rotate, no form
    XObject (a watermark's text hides in one) and every text object's matrix is unrotated;
    checking the page's text objects costs far less than one angle query per character."""
    if form or page.get_rotation():
        return False
    ok, m = native.matrices(texts)
    if not all(ok):
        return False
    tol = _ROTATED_TEXT_TOLERANCE
    # FS_MATRIX is a, b, c, d, e, f: no shear or rotation (b, c) and no mirroring (a, d), i.e.
    # no |b| or |c| above tol and no a or d at or below 0 (a NaN counts for neither).
    a, b, c, d = m[0::6], m[1::6], m[2::6], m[3::6]
    if not a:
        return True
    # One C pass per column: |b| > tol somewhere is max(b) > tol or min(b) < -tol. max() and
    # min() skip a NaN unless it comes first, when they return it: then the per-value scan.
    ends = (max(b), max(c), min(b), min(c), min(a), min(d))
    if any(map(_ne, ends, ends)):
        return not (
            any(map(_lt, repeat(tol), map(abs, b)))
            or any(map(_lt, repeat(tol), map(abs, c)))
            or any(map(_ge, repeat(0.0), a))
            or any(map(_ge, repeat(0.0), d))
        )
    return not (ends[0] > tol or ends[1] > tol or ends[2] < -tol or ends[3] < -tol or ends[4] <= 0.0 or ends[5] <= 0.0)


def _has_images(page) -> bool:
    """Does the page draw an image (or a form that may hold one)? Cheap: no Python wrappers."""
    raw = page.raw
    kinds = (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM)
    for i in range(pdfium_c.FPDFPage_CountObjects(raw)):
        if pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(raw, i)) in kinds:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _PageRead:
    layout: PageLayout
    text_source: str
    quality: float
    tables: list[TableGeom]


def _read_page(page, index: int, *, use_ocr: bool, ocr_timeout: float, plumber: Plumber | None) -> _PageRead:
    width, height = page.get_size()
    texts, paths, form = _objects(page)
    textpage = page.get_textpage()
    try:
        glyphs, quads = page_glyphs(textpage, upright=_upright(page, texts, form))
    finally:
        textpage.close()
    q = quality()
    score, good = q.score("".join([g[0] for g in glyphs]))
    source = "text_layer"
    parts = groups(glyphs, quads, width, height, _ROTATED_SHARE)
    if not q.usable(score, good, has_images=lambda: _has_images(page)):
        parts, source = [], "none"
        if use_ocr and ocr.available():
            try:
                ocr_glyphs, score = ocr.ocr_page(page, timeout=ocr_timeout)
                parts, source = [(0, ocr_glyphs)], "ocr"
            except ocr.OcrFailed:
                pass
    found: list[TableGeom] = []
    cuts = None
    if source == "text_layer" and parts:
        ruled = rulings(page, paths)
        cuts = ruled.vertical or None
        if plumber is not None and ruled.grid:
            try:
                found = plumber.tables(index)
            except Exception:  # noqa: BLE001 - tables are a bonus; the page's text stands without them
                found = []
    layout = _layout(parts, width, height, cuts)
    return _PageRead(layout=layout, text_source=source, quality=round(score, 4), tables=found)


def _layout(parts: list[tuple[int, list[Glyph]]], width: float, height: float, cuts) -> PageLayout:
    """Lay out each text direction in its upright frame; the largest one is the page."""
    if not parts:
        return layout_page([], width, height)
    q0, main = parts[0]
    w, h = frame(q0, width, height)
    layout = layout_page(main, w, h, cuts=cuts if q0 == 0 else None)
    for k, (q, gs) in enumerate(parts[1:], start=1):
        w, h = frame(q, width, height)
        extra = layout_page(gs, w, h, cuts=cuts if q == 0 else None)
        for ln in extra.lines:
            ln.block += 10 * k
        layout.lines += extra.lines
        layout.edges.update({b + 10 * k: e for b, e in extra.edges.items()})
    return layout


def read_pdf(
    data: bytes,
    *,
    max_pages: int,
    on_page: PageFn | None = None,
    use_ocr: bool = True,
    ocr_timeout: float = 60.0,
    tables: bool = True,
    processes: int = 1,
) -> RawText:
    """Read every page of ``data``; see the module docstring for the raw-text conventions.

    ``processes`` > 1 reads a long PDF's page ranges in forked processes (``pdf_split``); only
    the sandboxed parse child asks for that, since it forks.
    """
    doc = open_pdf(data)
    plumber = Plumber(data) if tables else None
    try:
        total = len(doc)
        if total > max_pages:
            raise TooManyPages(f"the PDF has {total} pages; at most {max_pages} are accepted")
        if total < 1:
            raise MalformedPdf("the PDF has no pages")

        def read_range(pages: range, report: Callable[[], None]) -> list[_PageRead]:
            reads = []
            for i in pages:
                reads.append(_read_index(doc, i, use_ocr=use_ocr, ocr_timeout=ocr_timeout, plumber=plumber))
                report()
            return reads

        parts = map_page_ranges(read_range, page_ranges(total, processes), total, on_page)
        reads = [read for part in parts for read in part]
    finally:
        if plumber is not None:
            plumber.close()
        doc.close()
    return _assemble(reads)


def _read_index(doc, index: int, *, use_ocr: bool, ocr_timeout: float, plumber: Plumber | None) -> _PageRead:
    try:
        page = doc[index]
    except pdfium.PdfiumError:
        # One broken page does not lose the others: it is reported as not read.
        return _PageRead(layout=PageLayout(width=0.0, height=0.0), text_source="none", quality=0.0, tables=[])
    try:
        return _read_page(page, index, use_ocr=use_ocr, ocr_timeout=ocr_timeout, plumber=plumber)
    finally:
        page.close()


def _assemble(reads: list[_PageRead]) -> RawText:
    cfg = config()
    layouts = [r.layout for r in reads]
    mark_chrome(layouts, cfg)
    # The text as pieces (separators and whole lines); n counts what the offsets count: one per
    # separator and per character of a line.
    pieces: list[str] = []
    n = 0
    boxes = array("f")
    char_page = array("I")
    pages: list[PageRaw] = []
    prev: tuple[Line, PageLayout] | None = None

    for index, read in enumerate(reads):
        layout = read.layout
        start = -1
        for line in layout.lines:
            if line.chrome or not line.text:
                continue
            if prev is not None:
                sep = joiner(prev[0], prev[1], line, layout, cfg)
                if sep:
                    g = synthetic(sep, prev[0].last or (" ", prev[0].x1, prev[0].y0, prev[0].x1, prev[0].y1))
                    pieces.append(sep)
                    n += 1
                    boxes.extend(g[5:9] if len(g) > 5 else g[1:5])
                    char_page.append(char_page[-1])
            if start < 0:
                start = n
            pieces.append(line.text)
            n += len(line.text)
            boxes.extend(line.boxes)
            char_page.extend([index] * len(line.text))
            prev = (line, layout)
        if start < 0:
            start = n
        pages.append(
            PageRaw(
                number=index + 1,
                raw_start=start,
                raw_end=n,
                width=round(layout.width, 2),
                height=round(layout.height, 2),
                text_source=read.text_source,
                quality=read.quality,
            )
        )
    text = "".join(pieces)
    tables = attach([t for r in reads for t in r.tables], text, boxes, char_page)
    return RawText(text=text, media_type=MEDIA_TYPE, pages=pages, boxes=boxes, char_page=char_page, tables=tables)
