"""Text direction: lay out rotated text (a landscape table on a portrait page) upright.

PDFium reports each character's rotation (clockwise). Glyphs are grouped by quarter turn; each
group that holds enough of the page is mapped into a frame where its text runs left to right,
top to bottom, so the layout rules apply unchanged. The glyph keeps its original box (elements
5-8 of the tuple) for the raw text. Glyphs at other angles, or groups below ``min_share`` of the
page, are diagonal watermarks and stamps and are dropped.
"""

from __future__ import annotations

import math

from workers.ingest.pdf_layout import Glyph

_QUARTER = math.pi / 2
_TOLERANCE = 0.05  # radians


def quadrant(angle: float) -> int:
    """0-3 quarter turns clockwise, or -1 for any other angle."""
    q = round(angle / _QUARTER)
    return q % 4 if abs(angle - q * _QUARTER) < _TOLERANCE else -1


def _upright(g: Glyph, q: int, w: float, h: float) -> Glyph:
    ch, x0, y0, x1, y1 = g[:5]
    if q == 3:  # runs upwards
        box = (y0, w - x1, y1, w - x0)
    elif q == 2:  # upside down
        box = (w - x1, h - y1, w - x0, h - y0)
    else:  # q == 1, runs downwards
        box = (h - y1, x0, h - y0, x1)
    return (ch, *box, x0, y0, x1, y1)


def frame(q: int, w: float, h: float) -> tuple[float, float]:
    """Width and height of the page seen with text of quadrant ``q`` upright."""
    return (h, w) if q in (1, 3) else (w, h)


def groups(glyphs: list[Glyph], quads: list[int], w: float, h: float, min_share: float) -> list[tuple[int, list[Glyph]]]:
    """(quadrant, glyphs in that quadrant's upright frame), largest group first."""
    if not any(quads):
        # All upright (the usual page): one group, nothing to map.
        return [(0, list(glyphs))] if glyphs else []
    by_q: dict[int, list[Glyph]] = {}
    for g, q in zip(glyphs, quads):
        by_q.setdefault(q, []).append(g)
    total = len(glyphs)
    out = []
    for q, gs in sorted(by_q.items(), key=lambda kv: -len(kv[1])):
        if q < 0 or len(gs) < min_share * total:
            continue
        out.append((q, gs if q == 0 else [_upright(g, q, w, h) for g in gs]))
    return out
