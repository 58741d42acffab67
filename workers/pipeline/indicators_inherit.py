"""Values that take their id from a neighbouring figure rather than from keywords.

Two shapes recur in reports:

* a change right after a figure: "罚没款3.18亿元，同比增长12.7%" (the change is fines_amount);
* a bare rate after the figures it qualifies: "受理热线工单8615件，办结率、满意率均为100%",
  or, with 分别, one rate per figure in order: "办理人大代表建议158件、政协提案201件，满意率分别为
  98.7%、99.0%".

Both only apply when the value's own clause names nothing itself; otherwise keyword scoring
decides. Returns the indicator to copy the id from, or None.
"""

from __future__ import annotations

import bisect

from workers.pipeline.indicators_hits import Hit
from workers.pipeline.indicators_match import Matcher
from workers.pipeline.indicators_window import Window
from workers.pipeline.model import Indicator

Done = tuple[int, int, Indicator]  # (number_start, clause_start, indicator) of earlier values


def _names_something(hits: list[Hit], hit_starts: list[int], start: int, end: int) -> bool:
    """Whether a keyword or a named rate lies in ``[start, end)``."""
    for k in range(bisect.bisect_left(hit_starts, start), bisect.bisect_left(hit_starts, end)):
        hit = hits[k]
        if hit.end <= end and hit.names():
            return True
    return False


def _between(done: list[Done], done_starts: list[int], start: int, end: int) -> list[Done]:
    """The decided values whose number lies in [start, end); ``done`` is in text order and
    ``done_starts`` holds their number positions, so this is a bisection, not a scan (a sentence
    with thousands of numbers stays linear)."""
    lo = bisect.bisect_left(done_starts, start)
    hi = bisect.bisect_left(done_starts, end, lo=lo)
    return done[lo:hi]


def _has_rate_word(hits: list[Hit], hit_starts: list[int], start: int, end: int) -> bool:
    lo = bisect.bisect_left(hit_starts, start)
    hi = bisect.bisect_left(hit_starts, end, lo=lo)
    return any(h.generic_rate for h in hits[lo:hi])


def inherit(
    matcher: Matcher,
    text: str,
    hits: list[Hit],
    hit_starts: list[int],
    win: Window,
    *,
    is_rate: bool,
    done: list[Done],
    done_starts: list[int],
    rate_numbers: list[int],
    shared: tuple[int, int] = (0, 1),
    change: bool | None = None,
) -> Indicator | None:
    """The earlier indicator this value belongs to, if it is a change or a bare rate.

    ``done`` holds the values already decided, in text order, and ``done_starts`` their number
    positions (``d[0]`` of each); ``rate_numbers`` the number
    positions of the rate values in this value's clause (for 分别); ``shared`` is this value's
    index among the quantities sharing its number, and their count ("办结率和满意率均为100%");
    ``change`` is ``matcher.is_change`` when the caller already has it.
    """
    earlier = _between(done, done_starts, win.statement_start, win.clause_start)
    listed = None if is_rate else _listed_value(matcher, text, win, done, done_starts)
    if listed is not None:
        return listed
    if change is None:
        change = matcher.is_change(text, win)
    if change:
        same = _between(done, done_starts, win.sentence_start, win.number_start)
        if not same or _names_something(hits, hit_starts, win.before_start, win.number_start):
            return None
        return same[-1][2]
    if not is_rate or not earlier:
        return None
    if _names_something(hits, hit_starts, win.clause_start, win.number_start):
        return None
    if not _has_rate_word(hits, hit_starts, win.clause_start, win.number_start):
        return None  # "压缩至法定时限的45%左右" is no rate of the figures before it
    # The figures of the nearest earlier clause that has any.
    last_clause = earlier[-1][1]
    group = [d[2] for d in earlier if d[1] == last_clause and d[2].unit not in matcher.rate_units]
    if not group:
        return None
    ids = [ind.id for ind in group]
    if "分别" in text[win.clause_start : win.clause_end]:
        if len(group) == len(rate_numbers) and win.number_start in rate_numbers:
            return group[rate_numbers.index(win.number_start)]
    if len(set(ids)) == 1 and ids[0] is not None:
        return group[-1]
    if None in ids:
        return None
    # Figures of different things, then one shared value: "建议837件、提案751件，办结率和满意率
    # 均为100%" pairs the rates with the figures in order when they are as many; a single rate
    # ("建议195件、提案286件，满意率98.6%") goes with the nearest figure.
    if shared[1] == len(group):
        return group[shared[0]]
    return group[-1] if shared[1] == 1 else None


def _listed_value(
    matcher: Matcher, text: str, win: Window, done: list[Done], done_starts: list[int]
) -> Indicator | None:
    """"…分别为2.31万件、2.86万件和3.42万件": a count joined to the previous one by a list mark
    alone is another value of the same thing (rates after 分别 pair with figures instead)."""
    if text.find("分别", win.statement_start, win.number_start) < 0:
        return None
    prev = _between(done, done_starts, win.statement_start, win.number_start)
    if not prev:
        return None
    ind = prev[-1][2]
    link = text[ind.evidence.end : win.number_start].strip()
    if ind.id is None or link not in matcher.m.list_joiners:
        return None
    return ind
