"""Stage 'provenance': give PDF evidence a page and boxes.

An evidence span ``[start, end)`` in the canonical text maps through ``Doc.to_raw`` to a run of
raw characters, each with a page and a box (``RawText.char_page`` / ``boxes``). The run is cut into
visual lines (a new page, or a glyph that does not continue the previous one's baseline to the
right); each line gives one ``Box``; ``page`` is the first page touched and ``bbox`` the union of
the boxes on that page. Synthesised characters (zero-area boxes) are skipped. Text input has no
boxes: the stage leaves evidence as it is.

Numeric cells of ruled tables (``RawText.tables``) whose row or column label names a unit
("复议纠错（件）") become indicators too, with the cell as evidence; their ``id`` is left ``None``
(the catalogue matcher works on prose context).

Coordinates are PDF points, origin bottom-left of the page (PDFium's convention), ``[x0, y0, x1, y1]``.

RETURNS: the Doc with table-cell indicators added and every indicator's ``evidence.page``,
``bbox`` and ``boxes`` filled (PDF only).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from array import array
from functools import cache

from workers.data import load_toml
from workers.pipeline.model import Box, Doc, Evidence, Indicator

NAME = "provenance"
REQUIRES = ("raw", "to_raw", "indicators")
ASSIGNS = ("indicators",)

BBox = tuple[float, float, float, float]


def _raw_range(to_raw: array, start: int, end: int, raw_len: int) -> tuple[int, int]:
    lo = to_raw[start] if start < len(to_raw) else raw_len
    hi = to_raw[end] if end < len(to_raw) else raw_len
    if hi <= lo and end > start:
        hi = to_raw[end - 1] + 1
    return max(lo, 0), min(hi, raw_len)


def _union(a: BBox, b: BBox) -> BBox:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _round(b: BBox) -> BBox:
    return (round(b[0], 2), round(b[1], 2), round(b[2], 2), round(b[3], 2))


def _continues(prev: BBox, cur: BBox) -> bool:
    """Does ``cur`` sit on the same visual line as ``prev``, to its right?"""
    h = min(prev[3] - prev[1], cur[3] - cur[1])
    overlap = min(prev[3], cur[3]) - max(prev[1], cur[1])
    return overlap >= 0.5 * h and cur[0] >= prev[0] - 0.5 * h


def line_boxes(doc: Doc, start: int, end: int) -> list[Box]:
    """One box per visual line that canonical span ``[start, end)`` touches (PDF input only)."""
    raw = doc.raw
    if raw.boxes is None or raw.char_page is None or doc.to_raw is None or end <= start:
        return []
    lo, hi = _raw_range(doc.to_raw, start, end, len(raw.text))
    boxes = raw.boxes
    out: list[Box] = []
    cur: BBox | None = None
    cur_page = -1
    last: BBox | None = None
    for i in range(lo, hi):
        b = (boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3])
        if b[2] <= b[0] or b[3] <= b[1]:
            continue  # synthesised character
        page = raw.char_page[i] + 1
        if cur is not None and page == cur_page and last is not None and _continues(last, b):
            cur = _union(cur, b)
        else:
            if cur is not None:
                out.append(Box(page=cur_page, bbox=_round(cur)))
            cur, cur_page = b, page
        last = b
    if cur is not None:
        out.append(Box(page=cur_page, bbox=_round(cur)))
    return out


def locate(doc: Doc, start: int, end: int) -> tuple[int | None, BBox | None, list[Box]]:
    """(page, union bbox on that page, per-line boxes) of a canonical span; Nones for text input."""
    boxes = line_boxes(doc, start, end)
    if not boxes:
        return None, None, []
    page = boxes[0].page
    bbox = boxes[0].bbox
    for b in boxes[1:]:
        if b.page == page:
            bbox = _union(bbox, b.bbox)
    return page, bbox, boxes


def run(doc: Doc) -> Doc:
    if doc.raw.boxes is None:
        return doc
    if doc.raw.tables and doc.to_raw is not None:
        cells = table_indicators(doc)
        if cells:
            doc.indicators = sorted(doc.indicators + cells, key=lambda i: (i.evidence.start, i.evidence.end))
    for ind in doc.indicators:
        ev = ind.evidence
        ev.page, ev.bbox, ev.boxes = locate(doc, ev.start, ev.end)
    return doc


# ---------------------------------------------------------------------------------------------
# Table cells → indicators
# ---------------------------------------------------------------------------------------------

_UNIT_IN_LABEL = re.compile(r"[（(]\s*(?:单位\s*[:：]\s*)?([^（()）]{1,6})\s*[)）]\s*$")
_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+-]?\d+(?:\.\d+)?")


@cache
def _units() -> tuple[frozenset[str], dict[str, int]]:
    data = load_toml("quantities_units.toml")
    return frozenset(data["units"]), {k: int(v) for k, v in data["magnitudes"].items()}


def _label_unit(label: str) -> tuple[str, str, int] | None:
    """("收到行政复议申请", "件", 1) from "收到行政复议申请（件）"; magnitudes fold into a factor."""
    m = _UNIT_IN_LABEL.search(label)
    if m is None:
        return None
    units, magnitudes = _units()
    unit, factor = m.group(1).strip(), 1
    for word, f in sorted(magnitudes.items(), key=lambda kv: -len(kv[0])):
        if unit.startswith(word) and unit[len(word) :] in units:
            unit, factor = unit[len(word) :], f
            break
    if unit not in units:
        return None
    return label[: m.start()].strip(), unit, factor


def _canonical(doc: Doc, raw_start: int, raw_end: int) -> tuple[int, int]:
    to_raw = doc.to_raw
    return bisect.bisect_left(to_raw, raw_start, 0, len(doc.text)), bisect.bisect_left(to_raw, raw_end, 0, len(doc.text))


def table_indicators(doc: Doc) -> list[Indicator]:
    """One indicator per numeric cell whose row or column label names a unit ("复议纠错（件）")."""
    out: list[Indicator] = []
    for table in doc.raw.tables:
        if not table.rows:
            continue
        header = table.rows[0]
        for row in table.rows[1:]:
            if len(row) < 2:
                continue
            label = row[0].text.strip()
            for col, cell in enumerate(row[1:], start=1):
                value_text = cell.text.strip()
                if cell.raw_start < 0 or not _NUMBER.fullmatch(value_text):
                    continue
                col_label = header[col].text.strip() if col < len(header) else ""
                found = _label_unit(label) or _label_unit(col_label)
                if found is None:
                    continue
                subject, unit, factor = found
                if subject == col_label.split("（")[0].split("(")[0].strip():
                    subject = label
                start, end = _canonical(doc, cell.raw_start, cell.raw_end)
                if unicodedata.normalize("NFKC", doc.text[start:end]).strip() != unicodedata.normalize("NFKC", value_text):
                    continue
                number = float(value_text.replace(",", "")) * factor
                value: int | float = int(number) if number.is_integer() else number
                column = col_label if col_label and _label_unit(col_label) is None else ""
                out.append(
                    Indicator(
                        id=None,
                        name=f"{subject}（{column}）" if column else subject,
                        system=None,
                        value=value,
                        unit=unit,
                        qualifier="exact",
                        subject=subject,
                        section=_section_kind(doc.sections, start),
                        evidence=Evidence(start=start, end=end, quote=doc.text[start:end]),
                    )
                )
    return out


def _section_kind(sections, pos: int):
    best = None
    for s in sections:
        if s.start <= pos < s.end and (best is None or s.end - s.start < best.end - best.start):
            best = s
    return best.kind if best is not None else None
