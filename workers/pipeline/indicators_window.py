"""Where a number sits in its sentence: clause, earlier clauses, paragraph, and the text after it.

The indicators stage weighs a keyword by the region it falls in (see ``[weights]`` in
``indicators_catalogue.toml``). All scans are bounded by ``max_sentence_chars`` /
``max_paragraph_chars``, so the work per quantity is constant and the stage stays linear; the
marks themselves are found once per document (:class:`Marks`) and looked up by bisection.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import cache

from msgspec import Struct

from workers.pipeline.catalogue import Matching


class Window(Struct, kw_only=True, frozen=True):
    paragraph_start: int  # earlier sentences of the paragraph begin here
    sentence_start: int
    statement_start: int  # after the last ； of the sentence before the number
    scope_start: int  # where ruling-out words apply: the statement, not across another number
    clause_start: int  # the number's own clause
    before_start: int  # clause start, or the end of the previous number in the clause
    number_start: int
    after_start: int  # just after the value and unit
    after_end: int  # next number in the clause, or the clause end
    clause_end: int
    sentence_end: int


class Marks:
    """Positions of the window's marks in one document, found once per document.

    ``locate`` then finds the nearest mark before/after a number by bisection instead of
    stepping through the text character by character for every quantity.
    """

    def __init__(self, text: str, m: Matching) -> None:
        self.length = len(text)
        self.sentence = _positions(text, m.sentence_marks)
        self.clause = _positions(text, m.clause_marks)
        self.scope = _subset(text, self.clause, m.clause_marks, m.scope_marks)
        self.line = _subset(text, self.sentence, m.sentence_marks, "\n")
        self.list = _positions(text, m.list_marks)

    def clauses_between(self, start: int, end: int) -> int:
        """How many clause marks lie in ``text[start:end]`` (distance in clauses)."""
        if start >= end:
            return 0
        return bisect_left(self.clause, end) - bisect_left(self.clause, start)


def _positions(text: str, marks: str) -> list[int]:
    return [found.start() for found in _mark_pattern(marks).finditer(text)]


def _subset(text: str, found: list[int], marks: str, subset: str) -> list[int]:
    """Positions of ``subset`` marks, picked from those of ``marks`` when it contains them all
    (a ；is also a clause mark): fewer passes over the text."""
    if not set(subset) <= set(marks):
        return _positions(text, subset)
    if set(subset) == set(marks):
        return found
    return [pos for pos in found if text[pos] in subset]


@cache
def _mark_pattern(marks: str) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(ch) for ch in marks) + "]")


def _scan_back(positions: list[int], pos: int, limit: int) -> int:
    """Index just after the nearest mark before ``pos`` (not before ``limit``)."""
    k = bisect_left(positions, pos)
    if k and positions[k - 1] >= limit:  # positions are >= 0, so a negative limit is 0 here
        return positions[k - 1] + 1
    return limit if limit > 0 else 0


def _scan_forward(positions: list[int], length: int, pos: int, limit: int) -> int:
    """Index of the nearest mark at or after ``pos`` (before ``limit``), else the limit."""
    n = limit if limit < length else length
    k = bisect_left(positions, pos)
    if k < len(positions) and positions[k] < n:
        return positions[k]
    return n


def locate(
    text: str,
    number_start: int,
    after_start: int,
    *,
    prev_number_end: int,
    next_number_start: int,
    m: Matching,
    marks: Marks | None = None,
) -> Window:
    """Regions around one number, using the marks and limits of ``[matching]``.

    ``prev_number_end`` / ``next_number_start`` are the nearest other numbers (or -1 / len(text)):
    a keyword between two numbers of one clause belongs to the nearer one's side. ``marks`` is
    the document's :class:`Marks` (built here when not given).
    """
    if marks is None:
        marks = Marks(text, m)
    limit = m.max_sentence_chars
    length = marks.length
    sentence_start = _scan_back(marks.sentence, number_start, number_start - limit)
    sentence_end = _scan_forward(marks.sentence, length, after_start, after_start + limit)
    clause_start = _scan_back(marks.clause, number_start, sentence_start)
    clause_end = _scan_forward(marks.clause, length, after_start, sentence_end)
    statement_start = _scan_back(marks.scope, number_start, sentence_start)
    scope_start = statement_start
    paragraph_start = _scan_back(marks.line, sentence_start, sentence_start - m.max_paragraph_chars)
    before_start = clause_start
    if clause_start <= prev_number_end <= number_start:
        before_start = prev_number_end
        link = text[prev_number_end:number_start]
        if len(link) <= 8 and link.endswith(tuple(m.range_links)):
            before_start = clause_start  # "由494项减到304项": same subject as the first number
    # Ruling-out words act within the statement (after a ；) and not across another number.
    if scope_start <= prev_number_end <= number_start:
        scope_start = prev_number_end
    # What follows the unit names this number's thing only up to the next list item or number,
    # or a word that starts another figure ("执法人员人均培训65学时").
    after_end = _scan_forward(marks.list, length, after_start, clause_end)
    if after_start <= next_number_start < after_end:
        after_end = next_number_start
    for stop in m.after_stops:
        pos = text.find(stop, after_start, after_end)
        if pos > after_start:
            after_end = pos
    return Window(
        paragraph_start=paragraph_start,
        sentence_start=sentence_start,
        statement_start=statement_start,
        scope_start=scope_start,
        clause_start=clause_start,
        before_start=before_start,
        number_start=number_start,
        after_start=after_start,
        after_end=after_end,
        clause_end=clause_end,
        sentence_end=sentence_end,
    )
