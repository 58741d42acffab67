"""Running headers, footers and page numbers: lines that must never reach the text.

A line is page chrome when it sits among the first/last lines of its page inside the top or
bottom band and either reads like a page number ("— 3 —", "- 3 -", "第3页 共9页") or repeats
(digits masked) at the same height and size on at least half the pages. Height and size matter:
a running header often repeats the title, which page 1 also shows as its (larger) heading.
"""

from __future__ import annotations

import re

from workers.ingest.pdf_layout import Config, Line, PageLayout, config

_DIGITS = re.compile(r"\d+")


def _key(text: str) -> str:
    return _DIGITS.sub("#", "".join(text.split()))


def _band_candidates(page: PageLayout, cfg: Config) -> list[tuple[str, Line]]:
    """Lines among the first/last few of a page (by height) that sit in the top/bottom band."""
    if not page.lines:
        return []
    by_y = sorted(page.lines, key=lambda ln: -ln.yc)
    n = cfg.chrome_max_lines
    out = []
    for ln in by_y[:n]:
        if ln.yc >= page.height * (1 - cfg.top_band):
            out.append(("top", ln))
    for ln in by_y[-n:]:
        if ln.yc <= page.height * cfg.bottom_band and not any(ln is c for _, c in out):
            out.append(("bottom", ln))
    return out


def mark_chrome(pages: list[PageLayout], cfg: Config | None = None) -> int:
    """Flag running headers/footers and page-number lines; returns how many lines were flagged."""
    cfg = cfg or config()
    cands = [_band_candidates(p, cfg) for p in pages]
    # Where each (band, text) candidate sits on each page: a running header repeats at the
    # same height and size, unlike a body title that happens to read the same.
    seen: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
    keys = [[(band, _key(ln.text)) for band, ln in page_cands] for page_cands in cands]
    for index, (page_cands, page_keys) in enumerate(zip(cands, keys)):
        for (_, ln), key in zip(page_cands, page_keys):
            seen.setdefault(key, []).append((index, ln.yc, ln.h))
    need = max(2, cfg.repeat_share * len(pages))
    # A running footer is the same candidate on every page: count its pages once per
    # (key, position, size), not once per page (that is quadratic in the page count).
    repeats: dict[tuple[tuple[str, str], float, float], int] = {}
    flagged = 0
    for page_cands, page_keys in zip(cands, keys):
        for (_, ln), key in zip(page_cands, page_keys):
            compact = "".join(ln.text.split())
            if not compact:
                continue
            if not cfg.page_number.match(compact):
                yc0, h0 = ln.yc, ln.h
                where = (key, yc0, h0)
                count = repeats.get(where)
                if count is None:
                    count = repeats[where] = len(
                        {i for i, yc, h in seen[key] if abs(yc - yc0) <= 0.5 * h0 and abs(h - h0) <= 0.2 * h0}
                    )
                if count < need:
                    continue
            ln.chrome = True
            flagged += 1
    return flagged
