"""Ruled tables: find ruling lines cheaply with PDFium, hand only ruled pages to pdfplumber.

pdfplumber costs 30-80 ms a page and holds ~3 MiB a page until closed, so it never sees a page
without a grid of ruling lines. PDFium's path objects give the rulings for free; they also let the
layout cut table rows into cells (``vertical`` positions), so "2022年" and "2023年" in adjacent
cells do not run together. Cell geometry from pdfplumber is converted to PDF points (origin
bottom-left) and tied to raw-text offsets after the text is assembled (``attach``).
"""

from __future__ import annotations

import io
from array import array
from dataclasses import dataclass, field

import pypdfium2.raw as pdfium_c

from workers.ingest import pdf_native as native

from workers.pipeline.model import RawCell, RawTable

BBox = tuple[float, float, float, float]
# A path this thin (points) in one direction and at least this long in the other is a ruling.
_THIN = 2.5
_LONG = 8.0


@dataclass(slots=True)
class Rulings:
    vertical: list[tuple[float, float, float]] = field(default_factory=list)  # x, y0, y1
    horizontal: list[tuple[float, float, float]] = field(default_factory=list)  # y, x0, x1

    @property
    def grid(self) -> bool:
        """Enough lines both ways to enclose at least one cell."""
        return len(self.vertical) >= 2 and len(self.horizontal) >= 2


def rulings(page, paths: list[native.Handle] | None = None) -> Rulings:
    """Ruling lines of a pypdfium2 page from its top-level path objects' bounds (``paths``:
    those objects' handles, when the caller already walked the page's objects)."""
    out = Rulings()
    if paths is None:
        objs, kinds = native.page_objects(native.handle(page.raw), pdfium_c.FPDFPage_CountObjects(page.raw))
        paths = [o for o, k in zip(objs, kinds) if k == pdfium_c.FPDF_PAGEOBJ_PATH]
    ok, v = native.bounds(paths)
    for k, obj, x0, y0, x1, y1 in zip(ok, paths, v[0::4], v[1::4], v[2::4], v[3::4]):
        if not k:
            continue
        w, h = x1 - x0, y1 - y0
        if w <= _THIN and h >= _LONG:
            out.vertical.append(((x0 + x1) / 2, y0, y1))
        elif h <= _THIN and w >= _LONG:
            out.horizontal.append(((y0 + y1) / 2, x0, x1))
        elif w >= _LONG and h >= _LONG and native.count_segments(obj) <= 5:
            # A rectangle (a cell or table border): its four sides are rulings.
            out.vertical += [(x0, y0, y1), (x1, y0, y1)]
            out.horizontal += [(y0, x0, x1), (y1, x0, x1)]
    return out


@dataclass(slots=True)
class TableGeom:
    page: int  # 0-based
    bbox: BBox
    rows: list[list[BBox | None]]


def find_tables(plumber_doc, index: int) -> list[TableGeom]:
    """Tables pdfplumber finds from the lines of page ``index``, in PDF points."""
    page = plumber_doc.pages[index]
    try:
        height = float(page.height)
        y_off = float(page.bbox[1])

        def conv(b) -> BBox:
            x0, top, x1, bottom = b
            return (float(x0), height - float(bottom) + y_off, float(x1), height - float(top) + y_off)

        out = []
        for table in page.find_tables({"vertical_strategy": "lines", "horizontal_strategy": "lines"}):
            rows = [[conv(c) if c is not None else None for c in row.cells] for row in table.rows]
            if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
                out.append(TableGeom(page=index, bbox=conv(table.bbox), rows=rows))
        return out
    finally:
        page.close()


class Plumber:
    """A pdfplumber document opened on first use, closed by ``close``."""

    def __init__(self, data: bytes):
        self._data = data
        self._doc = None

    def tables(self, index: int) -> list[TableGeom]:
        if self._doc is None:
            import pdfplumber

            self._doc = pdfplumber.open(io.BytesIO(self._data))
        return find_tables(self._doc, index)

    def close(self) -> None:
        doc, self._doc = self._doc, None
        if doc is None:
            return
        try:
            doc.close()
        except Exception:  # noqa: BLE001 - pdfplumber re-parses the page tree on close; a broken one must not fail the read
            pass


def attach(tables: list[TableGeom], text: str, boxes: array, char_page: array) -> list[RawTable]:
    """Tie each cell to the raw characters whose centres fall inside it."""
    if not tables:
        return []
    by_page: dict[int, list[int]] = {}
    for i, p in enumerate(char_page):
        by_page.setdefault(p, []).append(i)
    out = []
    for t in tables:
        idx = by_page.get(t.page, [])
        inside_table = [i for i in idx if _inside(boxes, i, t.bbox)]
        rows = []
        for row in t.rows:
            cells = []
            for bbox in row:
                if bbox is None:
                    continue
                hits = [i for i in inside_table if _inside(boxes, i, bbox)]
                cells.append(_cell(hits, text, bbox))
            rows.append(cells)
        out.append(RawTable(page=t.page + 1, bbox=_round(t.bbox), rows=rows))
    return out


def _inside(boxes: array, i: int, b: BBox) -> bool:
    x0, y0, x1, y1 = boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]
    if x1 <= x0:
        return False
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return b[0] <= cx <= b[2] and b[1] <= cy <= b[3]


def _cell(hits: list[int], text: str, bbox: BBox) -> RawCell:
    if not hits:
        return RawCell(text="", raw_start=-1, raw_end=-1, bbox=_round(bbox))
    lo, hi = hits[0], hits[-1] + 1
    # Contiguous in the raw text apart from synthesised separators: the span is the cell.
    if hi - lo - len(hits) <= text.count("\n", lo, hi) + text.count(" ", lo, hi):
        return RawCell(text=text[lo:hi], raw_start=lo, raw_end=hi, bbox=_round(bbox))
    return RawCell(text="".join(text[i] for i in hits), raw_start=-1, raw_end=-1, bbox=_round(bbox))


def _round(b: BBox) -> BBox:
    return (round(b[0], 2), round(b[1], 2), round(b[2], 2), round(b[3], 2))
