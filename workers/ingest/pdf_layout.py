"""Page geometry → visual lines in reading order, and the rules that join them into text.

Input is a page's glyphs in content-stream order, each ``(char, x0, y0, x1, y1)`` in PDF points
(origin bottom-left). Stream order is not reading order (reportlab draws the footer first, some
exporters interleave columns), so lines are rebuilt from geometry:

1. glyphs → fragments, cut where the stream jumps (new baseline, backwards, a wide gap, a
   vertical ruling line);
2. fragments → rows (vertical overlap) → segments (cut at wide gaps and rulings); the segments
   of one row become one line with a synthesised space between them (a table row);
3. a vertical gutter that prose lines on both sides respect makes a two-column page, read left
   column then right column between full-width lines;
4. ``freeze`` fixes each line's characters and boxes and drops the glyph tuples (memory).
Then ``pdf_chrome`` drops running headers, footers and page numbers, and ``pdf_join`` decides
what goes between two lines, from the block margins, line gap and indentation computed here.
All distances scale with glyph height so the rules hold for any font size; thresholds and
patterns live in ``workers/data/pdf_layout.toml``.
"""

from __future__ import annotations

import re
import statistics
from array import array
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate
from operator import sub as _sub
from struct import pack as _pack

from workers.data import load_toml

# char, x0, y0, x1, y1 (+ the page box x0, y0, x1, y1 when laid out in a rotated frame)
Glyph = tuple


@dataclass(slots=True)
class Line:
    glyphs: list[Glyph]  # emptied by freeze() once the page is laid out
    x0: float
    y0: float
    x1: float
    y1: float
    h: float
    block: int = 0  # 0 = full width, 1 = left column, 2 = right column
    chrome: bool = False  # running header/footer/page number: not emitted
    parts: int = 1  # segments joined into this line (>1: a table row or tabbed line)
    # Set by freeze(): the emitted characters (with synthesised spaces) and their boxes.
    text: str = ""
    boxes: array | None = None
    first: Glyph | None = None  # first / last glyph with ink
    last: Glyph | None = None
    n: int = 0
    # Set by fragments() when it can: the glyphs' characters and boxes as freeze() would build
    # them (slices of the page's), so a line that is one fragment is frozen without a pass over
    # its glyphs. None: freeze() builds them.
    chars: str | None = None
    glyph_boxes: array | None = None

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(slots=True)
class PageLayout:
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    # block id → (left edge, right edge) of the prose in that block
    edges: dict[int, tuple[float, float]] = field(default_factory=dict)
    columns: bool = False
    # Typical white space between consecutive lines of a block (points); None when unknown.
    line_gap: float | None = None
    # Paragraphs here start indented (first-line indent), so an unindented line continues one.
    indented: bool = False


class Config:
    """pdf_layout.toml, compiled once."""

    def __init__(self, raw: dict):
        self.segment_gap = float(raw["segment_gap"])
        self.row_overlap = float(raw["row_overlap"])
        self.soft_wrap_slack = float(raw["soft_wrap_slack"])
        self.indent = float(raw["indent"])
        self.paragraph_gap = float(raw["paragraph_gap"])
        self.latin_space_gap = float(raw["latin_space_gap"])
        self.hard_end = frozenset(raw["hard_end"])
        self.closers = frozenset(raw["closers"])
        self.paragraph_start = re.compile("|".join(f"(?:{p})" for p in raw["paragraph_start"]))
        col = raw["columns"]
        self.col_band = tuple(col["band"])
        self.col_min_width = float(col["min_width"])
        self.col_min_lines = int(col["min_lines"])
        self.col_fill = float(col["fill"])
        self.col_min_glyphs = float(col["min_glyphs"])
        self.col_span = float(col["span"])
        ch = raw["chrome"]
        self.top_band = float(ch["top_band"])
        self.bottom_band = float(ch["bottom_band"])
        self.chrome_max_lines = int(ch["max_lines"])
        self.repeat_share = float(ch["repeat_share"])
        self.page_number = re.compile("|".join(f"(?:{p})" for p in ch["page_number"]))


@cache
def config() -> Config:
    return Config(load_toml("pdf_layout.toml"))


def _h(g: Glyph) -> float:
    return max(g[4] - g[2], 0.1)


def synthetic(ch: str, after: Glyph) -> Glyph:
    """A character ingestion adds: a zero-area box at the end of the glyph it follows (on the page,
    also when that glyph was laid out in a rotated frame)."""
    x, y = (after[7], after[6]) if len(after) > 5 else (after[3], after[2])
    return (ch, x, y, x, y) if len(after) <= 5 else (ch, after[3], after[2], after[3], after[2], x, y, x, y)


def is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _line(glyphs: list[Glyph]) -> Line:
    # Built for every fragment and segment of every page: columns via zip keep the loops in C.
    cols = tuple(zip(*glyphs))
    return _line_cols(glyphs, cols[0], cols[1], cols[2], cols[3], cols[4])


def _line_cols(glyphs: list[Glyph], chars, x0s, y0s, x1s, y1s) -> Line:
    """``_line`` from the glyphs' columns (the caller's slices of the page's columns)."""
    if " " in chars:
        hs = sorted([t - b for c, b, t in zip(chars, y0s, y1s) if c != " "]) or [_h(g) for g in glyphs]
    else:
        hs = sorted(map(_sub, y1s, y0s))
    return Line(glyphs=glyphs, x0=min(x0s), y0=min(y0s), x1=max(x1s), y1=max(y1s), h=max(hs[len(hs) // 2], 0.1))


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


Cuts = list[tuple[float, float, float]]  # vertical ruling lines: x, y0, y1


def _ruled(cuts: Cuts, xa: float, xb: float, y: float) -> bool:
    """Is there a vertical ruling between x positions ``xa`` < ``xb`` at height ``y``?"""
    return any(xa - 0.5 <= x <= xb + 0.5 and y0 <= y <= y1 for x, y0, y1 in cuts)


def fragments(glyphs: list[Glyph], cfg: Config, cuts: Cuts | None = None) -> list[Line]:
    """Cut the glyph stream where it leaves the current baseline, goes backwards, jumps or
    crosses a vertical ruling line (a table cell border)."""
    n = len(glyphs)
    if not n:
        return []
    # The page's columns; with glyphs of one shape, also the page's characters and boxes as
    # freeze() lays them out, so each fragment takes slices of them.
    try:
        cols = tuple(zip(*glyphs, strict=True))
        width = len(cols)
    except ValueError:  # glyphs of different lengths: the first five columns are still right
        cols = tuple(zip(*glyphs))
        width = 0
    chars, x0s, y0s, x1s, y1s = cols[0], cols[1], cols[2], cols[3], cols[4]
    text = boxes = None
    if width == 5 or width >= 9:
        joined = "".join(chars)
        # One character per glyph (no empty ones, so a total of n means one each): slices of
        # the page's text are then exactly the fragments' characters.
        if len(joined) == n and "" not in chars:
            text = joined
            boxes = _float_array(cols[5:9] if width > 5 else cols[1:5], n)
    ghs = [d if d > 0.1 else 0.1 for d in map(_sub, y1s, y0s)]
    share, gap = cfg.row_overlap, cfg.segment_gap
    starts = [
        i
        for i, x0, y0, y1, gh, lx1, ly0, ly1, lh in zip(
            range(1, n), x0s[1:], y0s[1:], y1s[1:], ghs[1:], x1s, y0s, y1s, ghs
        )
        if (y1 if y1 < ly1 else ly1) - (y0 if y0 > ly0 else ly0) < share * (h := gh if gh < lh else lh)
        or x0 < lx1 - 0.5 * h
        or x0 - lx1 > gap * (gh if gh > lh else lh)
        or (cuts and _ruled(cuts, lx1, x0, (y0 + y1) / 2))
    ]
    bounds = [0, *starts, n]
    if text is None:
        return [
            _line_cols(glyphs[a:b], chars[a:b], x0s[a:b], y0s[a:b], x1s[a:b], y1s[a:b])
            for a, b in zip(bounds, bounds[1:])
        ]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        line = _line_cols(glyphs[a:b], (t := text[a:b]), x0s[a:b], y0s[a:b], x1s[a:b], y1s[a:b])
        line.chars = t
        line.glyph_boxes = boxes[4 * a : 4 * b]
        out.append(line)
    return out


def rows(frags: list[Line], cfg: Config) -> list[list[Line]]:
    """Group fragments that share a baseline; each row is sorted left to right."""
    result: list[list[Line]] = []
    band: tuple[float, float, float] | None = None  # y0, y1, h of the row's first fragment
    for f in sorted(frags, key=lambda f: -f.yc):
        if band is not None and _overlap(f.y0, f.y1, band[0], band[1]) >= cfg.row_overlap * min(f.h, band[2]):
            result[-1].append(f)
            continue
        result.append([f])
        band = (f.y0, f.y1, f.h)
    for row in result:
        row.sort(key=lambda f: f.x0)
    return result


def segments(row: list[Line], cfg: Config, cuts: Cuts | None = None) -> list[Line]:
    """Merge a row's fragments unless a wide gap or a ruling line separates them."""
    out: list[list[Line]] = []
    last: Line | None = None
    for f in row:
        if (
            last is not None
            and f.x0 - last.x1 <= cfg.segment_gap * max(f.h, last.h)
            and not (cuts and _ruled(cuts, last.x1, f.x0, f.yc))
        ):
            out[-1].append(f)
        else:
            out.append([f])
        last = f
    # A segment of one fragment is that fragment's line again: reuse its extent.
    return [_line([g for f in fs for g in f.glyphs]) if len(fs) > 1 else _copy(fs[0]) for fs in out]


def _copy(f: Line) -> Line:
    return Line(
        glyphs=list(f.glyphs), x0=f.x0, y0=f.y0, x1=f.x1, y1=f.y1, h=f.h, chars=f.chars, glyph_boxes=f.glyph_boxes
    )


def _gutter(segs: list[Line], width: float, cfg: Config) -> float | None:
    """x of a vertical gutter that two columns of prose respect, or None for one column."""
    if len(segs) < 2 * cfg.col_min_lines:
        return None
    left_edge = min(s.x0 for s in segs)
    right_edge = max(s.x1 for s in segs)
    text_w = right_edge - left_edge
    if text_w <= 0:
        return None
    narrow = [s for s in segs if s.x1 - s.x0 < cfg.col_span * text_w]
    lo, hi = int(width * cfg.col_band[0]), int(width * cfg.col_band[1])
    if hi <= lo:
        return None
    # How many narrow segments cover each point of the middle band; a gutter may be crossed by
    # a stray centred title or two, not by prose.
    # (Counted with a difference array: +1 where a segment's span starts, -1 after it ends.)
    diff = [0] * (hi - lo + 2)
    for s in narrow:
        a, b = max(lo, int(s.x0) + 1), min(hi, int(s.x1))
        if a <= b:
            diff[a - lo] += 1
            diff[b - lo + 1] -= 1
    cover = list(accumulate(diff[:-1]))
    allowed = max(1, len(narrow) // 20)
    runs: list[tuple[int, int]] = []
    run_start = None
    for i, c in enumerate(cover + [allowed + 1]):
        if c <= allowed and run_start is None:
            run_start = i
        elif c > allowed and run_start is not None:
            runs.append((lo + run_start, lo + i - 1))
            run_start = None
    for a, b in sorted(runs, key=lambda ab: ab[0] - ab[1]):
        if b - a < cfg.col_min_width:
            break
        mid = (a + b) / 2
        left = [s for s in narrow if s.x1 <= mid]
        right = [s for s in narrow if s.x0 >= mid]
        if len(left) < cfg.col_min_lines or len(right) < cfg.col_min_lines:
            continue
        if _filled(left, cfg) and _filled(right, cfg):
            return mid
    return None


def _filled(side: list[Line], cfg: Config) -> bool:
    extent = max(s.x1 for s in side) - min(s.x0 for s in side)
    width = statistics.median(s.x1 - s.x0 for s in side)
    h = statistics.median(s.h for s in side)
    return extent > 0 and width >= cfg.col_fill * extent and width >= cfg.col_min_glyphs * h


def _join_row(segs: list[Line]) -> Line:
    """One line from a row's segments, a synthesised space (zero-area box) between them."""
    glyphs: list[Glyph] = []
    for s in segs:
        if glyphs:
            g = glyphs[-1]
            glyphs.append(synthetic(" ", g))
        glyphs.extend(s.glyphs)
    line = _line(glyphs)
    line.parts = len(segs)
    return line


def layout_page(
    glyphs: list[Glyph], width: float, height: float, cfg: Config | None = None, cuts: Cuts | None = None
) -> PageLayout:
    """Visual lines of one page in reading order, with block ids and block edges.

    ``cuts`` are vertical ruling lines; text is never joined across one."""
    cfg = cfg or config()
    page = PageLayout(width=width, height=height)
    glyphs = [g for g in glyphs if g[0] not in "\r\n"]
    if not glyphs:
        return page
    page_rows = [segments(r, cfg, cuts) for r in rows(fragments(glyphs, cfg, cuts), cfg)]
    gutter = _gutter([s for r in page_rows for s in r], width, cfg)
    if gutter is None:
        page.lines = [_join_row(r) if len(r) > 1 else r[0] for r in page_rows]
    else:
        page.columns = True
        page.lines = _column_order(page_rows, gutter)
    for ln in page.lines:
        freeze(ln, cfg)
    _edges(page)
    page.line_gap = _line_gap(page.lines)
    page.indented = _indented(page, cfg)
    return page


def _indented(page: PageLayout, cfg: Config) -> bool:
    """Do several prose lines start one to four characters right of their block's left edge?"""
    count = prose = 0
    for ln in page.lines:
        if ln.first is None or ln.n < 8:
            continue
        prose += 1
        left = page.edges.get(ln.block, (ln.x0, ln.x1))[0]
        if cfg.indent * ln.h < ln.first[1] - left <= 4.2 * ln.h:
            count += 1
    return count >= 2 and count >= 0.05 * prose


def _line_gap(lines: list[Line]) -> float | None:
    gaps = sorted(
        a.y0 - b.y1
        for a, b in zip(lines, lines[1:])
        if a.block == b.block and 0 <= a.y0 - b.y1 <= 3 * a.h
    )
    return gaps[len(gaps) // 2] if gaps else None


_ASCII_RUN = re.compile("[\x00-\x7f]{2,}")


def freeze(ln: Line, cfg: Config) -> None:
    """Fix the line's characters and boxes (synthesising Latin word spaces) and drop the glyphs."""
    glyphs = ln.glyphs
    chars = ln.chars if ln.chars is not None else "".join([g[0] for g in glyphs])
    # Word spaces go only between two ASCII glyphs, rare in these reports: look inside runs of
    # ASCII characters only.
    h = ln.h
    spaces = [
        i
        for m in _ASCII_RUN.finditer(chars)
        for i in range(m.start() + 1, m.end())
        if needs_space(glyphs[i - 1], glyphs[i], h, cfg)
    ]
    text = chars
    if spaces:
        out: list[Glyph] = []
        prev = 0
        for i in spaces:
            out += glyphs[prev:i]
            a = glyphs[i - 1]
            out.append(synthetic(" ", a))
            prev = i
        out += glyphs[prev:]
        glyphs = out
        text = "".join([g[0] for g in glyphs])
    # First / last glyph with ink (str.strip drops exactly the str.isspace() characters).
    left = chars.lstrip()
    if left:
        ln.first = ln.glyphs[len(chars) - len(left)]
        ln.last = ln.glyphs[len(chars.rstrip()) - 1]
    else:
        ln.first = ln.last = None
    ln.n = len(ln.glyphs)
    ln.text = text
    ln.boxes = ln.glyph_boxes if ln.glyph_boxes is not None and not spaces else _boxes(glyphs)
    ln.glyphs = []
    ln.chars = ln.glyph_boxes = None


def _boxes(glyphs: list[Glyph]) -> array:
    """The glyphs' boxes, four floats each. Glyphs laid out in a rotated frame carry their page
    box as elements 5-8."""
    sizes = set(map(len, glyphs))
    if len(sizes) != 1:
        return array("f", [v for g in glyphs for v in (g[5:9] if len(g) > 5 else g[1:5])])
    cols = tuple(zip(*glyphs))
    return _float_array(cols[5:9] if sizes.pop() > 5 else cols[1:5], len(glyphs))


def _float_array(cols, n: int) -> array:
    """``array("f")`` of the four columns interleaved (x0, y0, x1, y1 of each of ``n`` glyphs).

    ``struct`` packs the floats: it rounds each one to float32 with the same C cast as
    ``array("f", values)`` (overflow to inf, NaN and subnormals alike), without the per-item
    argument parsing that makes ``array("f", values)`` several times slower."""
    flat = [0.0] * (4 * n)
    for k in range(4):
        flat[k::4] = cols[k]
    return array("f", _pack(f"{4 * n}f", *flat))


def _column_order(page_rows: list[list[Line]], gutter: float) -> list[Line]:
    """Between full-width lines, the left column top to bottom, then the right one."""
    out: list[Line] = []
    left: list[Line] = []
    right: list[Line] = []
    for row in page_rows:
        spanning = [s for s in row if s.x0 < gutter < s.x1]
        if spanning:
            out += left + right
            left, right = [], []
            line = _join_row(row) if len(row) > 1 else row[0]
            line.block = 0
            out.append(line)
            continue
        lpart = [s for s in row if s.x1 <= gutter]
        rpart = [s for s in row if s.x0 >= gutter]
        if lpart:
            ln = _join_row(lpart) if len(lpart) > 1 else lpart[0]
            ln.block = 1
            left.append(ln)
        if rpart:
            ln = _join_row(rpart) if len(rpart) > 1 else rpart[0]
            ln.block = 2
            right.append(ln)
    return out + left + right


def _edges(page: PageLayout) -> None:
    by_block: dict[int, list[Line]] = {}
    for ln in page.lines:
        by_block.setdefault(ln.block, []).append(ln)
    for block, lines in by_block.items():
        prose = [ln for ln in lines if ln.n >= 4] or lines
        left = min(ln.first[1] if ln.first else ln.x0 for ln in prose)
        # The right margin is where full lines end: the median end of the lines that reach far
        # right (a few lines overshoot with hanging punctuation or stretched Latin text).
        far = max(ln.x1 for ln in prose)
        full = [ln.x1 for ln in prose if ln.x1 >= left + 0.8 * (far - left)]
        page.edges[block] = (left, statistics.median(full))


def needs_space(a: Glyph, b: Glyph, h: float, cfg: Config) -> bool:
    """A space the PDF did not draw but Latin text needs (word gap between ASCII glyphs)."""
    return (
        not a[0].isspace()
        and not b[0].isspace()
        and a[0].isascii()
        and b[0].isascii()
        and b[1] - a[3] > cfg.latin_space_gap * h
    )
