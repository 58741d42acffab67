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
once by :func:`warm`. One Aho-Corasick scan per document, bounded work per quantity.

RETURNS: the Doc with ``indicators`` set, one per quantity, in text order.
"""

from __future__ import annotations

import bisect
from functools import cache

from workers.pipeline.catalogue import load_config
from workers.pipeline.indicators_inherit import Done, inherit
from workers.pipeline.indicators_match import Matcher, decide
from workers.pipeline.indicators_window import locate
from workers.pipeline.model import Doc, Evidence, Heading, Indicator, Quantity, Section, SectionKind

NAME = "indicators"
REQUIRES = ("text", "quantities", "outline", "sections")
ASSIGNS = ("indicators",)


@cache
def _matcher() -> Matcher:
    return Matcher(load_config())


def warm() -> None:
    _matcher()


def _heading_system(outline: list[Heading], pos: int) -> str | None:
    """System of the innermost heading around ``pos`` that has one."""
    best: Heading | None = None
    for h in outline:
        if h.system is not None and h.start <= pos < h.end:
            if best is None or h.level > best.level or (h.level == best.level and h.start > best.start):
                best = h
    return best.system if best is not None else None


def _section_kind(sections: list[Section], pos: int) -> SectionKind | None:
    best: Section | None = None
    for s in sections:
        if s.start <= pos < s.end and (best is None or s.end - s.start < best.end - best.start):
            best = s
    return best.kind if best is not None else None


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
    hits = matcher.hits(text)
    hit_starts = [h.start for h in hits]
    # Distinct number positions: quantities sharing one value (办结率、满意率均为100%) are one number.
    value_end: dict[int, int] = {}  # number start → end of its value and unit
    for q in quantities:
        n_start, n_end = _number_span(q)
        value_end[n_start] = max(value_end.get(n_start, n_end), q.end if q.end > n_start else n_end)
    num_starts = sorted(value_end)
    sharing: dict[int, int] = {}  # number start → how many quantities share that number
    for q in quantities:
        sharing[_number_span(q)[0]] = sharing.get(_number_span(q)[0], 0) + 1
    seen_at: dict[int, int] = {}
    rate_starts = sorted({_number_span(q)[0] for q in quantities if _is_rate(matcher, q)})
    out: list[Indicator] = []
    done: list[Done] = []  # (number_start, clause_start, indicator) in text order
    for q in quantities:
        n_start, n_end = _number_span(q)
        i = bisect.bisect_left(num_starts, n_start)
        j = bisect.bisect_right(num_starts, n_start)
        win = locate(
            text,
            n_start,
            max(n_end, q.end) if q.end > n_start else n_end,
            prev_number_end=value_end[num_starts[i - 1]] if i > 0 else -1,
            next_number_start=num_starts[j] if j < len(num_starts) else len(text),
            m=cfg.matching,
        )
        heading_system = _heading_system(doc.outline, n_start)
        is_rate = _is_rate(matcher, q)
        lo = bisect.bisect_left(rate_starts, win.clause_start)
        hi = bisect.bisect_left(rate_starts, win.clause_end)
        k = seen_at.get(n_start, 0)
        seen_at[n_start] = k + 1
        source = inherit(
            matcher,
            text,
            hits,
            hit_starts,
            win,
            is_rate=is_rate,
            done=done,
            rate_numbers=rate_starts[lo:hi],
            shared=(k, sharing[n_start]),
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
            )
            candidates = matcher.score(
                text,
                hits,
                hit_starts,
                win,
                query,
                subject_hits=matcher.hits(q.subject) if q.subject else [],
                heading_system=heading_system,
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
                section=_section_kind(doc.sections, n_start),
                evidence=Evidence(start=q.start, end=q.end, quote=text[q.start : q.end]),
            )
        )
        done.append((n_start, win.clause_start, out[-1]))
    doc.indicators = out
    return doc
