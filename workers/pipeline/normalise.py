"""Stage 'normalise': raw text → canonical ``Doc.text`` with an exact map back to raw offsets.

Steps, each linear in the text length:

1. fold characters (width, spaces, line ends, invisibles; ``normalise_fold``);
2. split into lines, strip them, cut inline spam, drop PDF spaces inside CJK/digit runs;
3. drop page chrome: page numbers, watermark lines, repeated running headers/footers;
4. re-join lines broken mid-sentence or mid-number, never onto a heading or enumerator;
5. join paragraphs with a single ``\\n``.

``Doc.to_raw[i]`` is the raw index of canonical character i (a joining line break maps to the
raw line break it replaces); ``to_raw[len(text)] == len(raw.text)``. It is non-decreasing.
For PDF input ``Doc.pages`` gives each page's canonical span. Policy: ``normalise_text.toml``.

RETURNS: the Doc with ``text``, ``to_raw`` and ``pages`` assigned.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left

from workers.pipeline.model import Doc, PageInfo, RawText
from workers.pipeline.normalise_fold import fold
from workers.pipeline.normalise_lines import (
    Line,
    Rules,
    clean_line,
    drop_chrome,
    drop_running,
    glue,
    rules,
    should_join,
    wrap_length,
)

NAME = "normalise"
REQUIRES = ("raw",)
ASSIGNS = ("text", "to_raw", "pages")


def warm() -> None:
    rules()


def run(doc: Doc) -> Doc:
    text, to_raw = normalise_text(doc.raw)
    doc.text, doc.to_raw = text, to_raw
    doc.pages = _pages(doc.raw, to_raw) if doc.raw.pages is not None else None
    return doc


def normalise_text(raw: RawText) -> tuple[str, array]:
    """Return (canonical text, to_raw map) for ``raw``."""
    r = rules()
    folded, fold_map = fold(raw.text)
    n = len(folded)
    # raw index of each folded character, as machine ints: lines carry slices of it
    to_raw_all = _iota(n) if isinstance(fold_map, range) else array("i", fold_map)
    page_of = _page_lookup(raw)
    cell_gap = _cell_gap(raw, r.cell_gap_em)
    # one scan of the whole text for where inline spam / markdown marks could start: most
    # documents have none, and then no line needs scanning for them
    spam, md_marks = (
        scan.starts is None or scan.starts.search(folded) is not None for scan in (r.spam_inline, r.md_inline)
    )
    cleaned: list[Line | None] = []  # None: a blank line
    pos = 0
    while pos <= n:
        brk = folded.find("\n", pos)
        if brk < 0:
            brk = n
        if brk > pos:
            raw_brk = to_raw_all[brk] if brk < n else len(raw.text)
            line = clean_line(Line(folded[pos:brk], to_raw_all[pos:brk], raw_brk), r, cell_gap, spam, md_marks)
        else:
            line = None
        if line is not None and line.text:
            if page_of is not None:
                line.page = page_of(line.idx[0])
            cleaned.append(line)
        else:
            cleaned.append(None)
        pos = brk + 1
    lines = drop_chrome(cleaned, r, pdf=page_of is not None)
    lines = drop_running(lines, r, len(raw.pages) if raw.pages is not None else None)
    out_text, to_raw = _join(lines, r)
    to_raw.append(len(raw.text))
    return out_text, to_raw


_IOTA_CACHE_MAX = 1 << 22
_iota_cache = array("i")


def _iota(n: int) -> array:
    """``array("i", range(n))``, sliced from a cached one (a function of n only)."""
    global _iota_cache
    if n > _IOTA_CACHE_MAX:
        return array("i", range(n))
    if len(_iota_cache) < n:
        _iota_cache = array("i", range(max(n, 2 * len(_iota_cache), 1 << 16)))
    return _iota_cache[:n]


def _join(lines: list[Line], r: Rules) -> tuple[str, array]:
    """(canonical text, raw index of each of its characters)."""
    wrap = wrap_length(lines, r)
    parts: list[str] = []
    idx = array("i")
    prev: Line | None = None
    for line in lines:
        if prev is not None:
            joins = not (prev.table_row or line.table_row) and should_join(prev.text, line.text, wrap, r)
            sep = glue(prev.text, line.text) if joins else "\n"
            if sep:
                parts.append(sep)
                idx.append(prev.brk)  # the separator stands where the raw line break was
        parts.append(line.text)
        idx.extend(line.idx)
        prev = line
    return "".join(parts), idx


def _cell_gap(raw: RawText, ems: float):
    """Predicate (raw i, raw j) → are the two glyphs further apart than ``ems`` glyph
    heights on one line (table cells)? None for text input, which has no geometry."""
    boxes = raw.boxes
    if boxes is None or len(boxes) != 4 * len(raw.text):
        return None

    def apart(i: int, j: int) -> bool:
        a, b = 4 * i, 4 * j
        ax0, ay0, ax1, ay1 = boxes[a : a + 4]
        bx0, by0, bx1, by1 = boxes[b : b + 4]
        if ax1 <= ax0 or bx1 <= bx0:
            return False  # a synthesised character: no geometry
        em = max(ay1 - ay0, by1 - by0)
        return bx0 - ax1 > ems * em

    return apart


def _page_lookup(raw: RawText):
    """Function raw index → 0-based page, or None for text input."""
    if raw.pages is None:
        return None
    if raw.char_page is not None and len(raw.char_page) == len(raw.text):
        cp = raw.char_page
        return lambda i: int(cp[i])
    starts = [p.raw_start for p in raw.pages]
    return lambda i: max(0, bisect_left(starts, i + 1) - 1)


def _pages(raw: RawText, to_raw: array) -> list[PageInfo]:
    out: list[PageInfo] = []
    for p in raw.pages or ():
        out.append(
            PageInfo(
                page=p.number,
                text_source=p.text_source,
                quality=p.quality,
                start=bisect_left(to_raw, p.raw_start),
                end=bisect_left(to_raw, p.raw_end),
            )
        )
    return out
