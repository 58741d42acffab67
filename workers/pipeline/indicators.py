"""Stage 'indicators': give every quantity a catalogue id, system, section and evidence.

Per ``Quantity`` (in text order):

1. its window: own clause before/after the number, earlier clauses, paragraph
   (``indicators_window``);
2. a change right after a figure ("同比增长12.7%") or a bare rate after figures ("办结率、满意率
   均为100%", "分别为98.7%、99.0%") copies that figure's id (``indicators_inherit``);
3. otherwise the catalogue keywords in the window are scored by region and kind, with the unit
   as a hard filter for counts (a 元 value is never ``penalty_cases``), the enclosing heading's
   纲要 system and context words as tie-breakers (``indicators_match``);
4. the id stays ``None`` unless one entry is clearly best: a wrong id is worse than none.

Keywords and weights: ``workers/data/indicators_catalogue.toml`` (domain reference §4), loaded
once by :func:`warm`. Per document: one pass for the marks of the windows, one Aho-Corasick scan
of the lines/sentences around the numbers; then bounded work per quantity (bisections, the
window's hits, lookups of context and ruling-out words for the few candidates).

RETURNS: the Doc with ``indicators`` set, one per quantity, in text order.
"""

from __future__ import annotations

import bisect
import heapq
from functools import cache
from typing import Generic, TypeVar

from workers.pipeline.catalogue import load_config
from workers.pipeline.indicators_inherit import Done, inherit
from workers.pipeline.indicators_match import Matcher, decide
from workers.pipeline.indicators_window import Marks, Window, locate
from workers.pipeline.model import Doc, Evidence, Heading, Indicator, Quantity, Section, SectionKind

NAME = "indicators"
REQUIRES = ("text", "quantities", "outline", "sections")
ASSIGNS = ("indicators",)

V = TypeVar("V")


@cache
def _matcher() -> Matcher:
    return Matcher(load_config())


def warm() -> None:
    _matcher()


class _Innermost(Generic[V]):
    """The best interval around each position, for positions asked in increasing order.

    Intervals enter a heap when their start is reached and leave it once their end is passed,
    so a document's quantities cost O(log n) each instead of a scan of every heading. ``key``
    orders the intervals (smallest wins) and ends with the list index, so ties go to the first
    one in the list as before.
    """

    def __init__(self, items: list[tuple[int, int, tuple[int, ...], V]]) -> None:
        self._items = sorted(items, key=lambda item: item[0])  # (start, end, key, value)
        self._next = 0
        self._heap: list[tuple[tuple[int, ...], int, V]] = []

    def at(self, pos: int) -> V | None:
        items, heap = self._items, self._heap
        while self._next < len(items) and items[self._next][0] <= pos:
            _, end, key, value = items[self._next]
            heapq.heappush(heap, (key, end, value))
            self._next += 1
        while heap and heap[0][1] <= pos:
            heapq.heappop(heap)  # ended before pos; positions only grow, so it never returns
        return heap[0][2] if heap else None


def _heading_systems(outline: list[Heading]) -> _Innermost[str]:
    """System of the innermost heading around a position that has one: the highest level,
    then the latest start."""
    return _Innermost(
        [(h.start, h.end, (-h.level, -h.start, i), h.system) for i, h in enumerate(outline) if h.system is not None]
    )


def _section_kinds(sections: list[Section]) -> _Innermost[SectionKind]:
    """Kind of the shortest section around a position."""
    return _Innermost([(s.start, s.end, (s.end - s.start, i), s.kind) for i, s in enumerate(sections)])


def _number_span(q: Quantity) -> tuple[int, int]:
    start = q.number_start if q.number_start >= 0 else q.start
    end = q.number_end if q.number_end >= 0 else q.end
    return start, end


def _is_rate(matcher: Matcher, q: Quantity) -> bool:
    return q.is_rate or q.unit in matcher.rate_units


def run(doc: Doc) -> Doc:
    matcher = _matcher()
    cfg = matcher.config
    w = cfg.weights
    text = doc.text
    quantities = sorted(doc.quantities, key=lambda q: (_number_span(q)[0], q.start))
    marks = Marks(text, cfg.matching)
    spans = [_number_span(q) for q in quantities]
    # Distinct number positions: quantities sharing one value (办结率、满意率均为100%) are one number.
    value_end: dict[int, int] = {}  # number start → end of its value and unit
    sharing: dict[int, int] = {}  # number start → how many quantities share that number
    for q, (n_start, n_end) in zip(quantities, spans):
        value_end[n_start] = max(value_end.get(n_start, n_end), q.end if q.end > n_start else n_end)
        sharing[n_start] = sharing.get(n_start, 0) + 1
    num_starts = sorted(value_end)
    seen_at: dict[int, int] = {}
    rate_flags = [_is_rate(matcher, q) for q in quantities]
    rate_starts = sorted({n_start for (n_start, _), rate in zip(spans, rate_flags) if rate})
    windows: list[Window] = []
    for q, (n_start, n_end) in zip(quantities, spans):
        i = bisect.bisect_left(num_starts, n_start)
        windows.append(
            locate(
                text,
                n_start,
                max(n_end, q.end) if q.end > n_start else n_end,
                prev_number_end=value_end[num_starts[i - 1]] if i > 0 else -1,
                next_number_start=num_starts[i + 1] if i + 1 < len(num_starts) else len(text),
                m=cfg.matching,
                marks=marks,
            )
        )
    # Keywords are read only from the paragraph up to the end of the text after each number
    # (``after_end``; a hit starting there can still follow a container noun), so only the
    # lines and sentences around the numbers are scanned.
    doc_hits = matcher.hits_near(text, [(win.paragraph_start, win.after_end) for win in windows])
    hits, hit_starts = doc_hits.all, doc_hits.starts
    headings = _heading_systems(doc.outline)
    section_kinds = _section_kinds(doc.sections)
    out: list[Indicator] = []
    done: list[Done] = []  # (number_start, clause_start, indicator) in text order
    done_starts: list[int] = []  # number_start of each of ``done``
    for q, (n_start, _), is_rate, win in zip(quantities, spans, rate_flags, windows):
        j = bisect.bisect_right(num_starts, n_start)
        heading_system = headings.at(n_start)
        lo = bisect.bisect_left(rate_starts, win.clause_start)
        hi = bisect.bisect_left(rate_starts, win.clause_end, lo)
        k = seen_at.get(n_start, 0)
        seen_at[n_start] = k + 1
        change = matcher.is_change(text, win)
        source = inherit(
            matcher,
            text,
            hits,
            hit_starts,
            win,
            is_rate=is_rate,
            done=done,
            done_starts=done_starts,
            rate_numbers=rate_starts[lo:hi],
            shared=(k, sharing[n_start]),
            change=change,
        )
        if source is not None:
            ident, name, system = source.id, source.name, source.system
        else:
            query = matcher.query(
                text,
                hits,
                hit_starts,
                win,
                span=(q.start, q.end),
                unit=q.unit,
                is_rate=is_rate,
                followed=j < len(num_starts) and num_starts[j] < win.clause_end,
                change=change,
            )
            candidates = matcher.score(
                text,
                doc_hits,
                win,
                query,
                subject=q.subject,
                heading_system=heading_system,
                marks=marks,
            )
            entry = decide(candidates, w.min_score, w.min_keyword_score, w.margin)
            if entry is not None:
                ident, name, system = entry.id, entry.name, entry.system
            else:
                ident, name, system = None, q.subject, heading_system
        out.append(
            Indicator(
                id=ident,
                name=name if ident is not None else q.subject,
                system=system,
                value=q.value,
                unit=q.unit,
                qualifier=q.qualifier,
                subject=q.subject,
                section=section_kinds.at(n_start),
                evidence=Evidence(start=q.start, end=q.end, quote=text[q.start : q.end]),
            )
        )
        done.append((n_start, win.clause_start, out[-1]))
        done_starts.append(n_start)
    doc.indicators = out
    return doc
