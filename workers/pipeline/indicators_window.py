"""Where a number sits in its sentence: clause, earlier clauses, paragraph, and the text after it.

The indicators stage weighs a keyword by the region it falls in (see ``[weights]`` in
``indicators_catalogue.toml``). All scans are bounded by ``max_sentence_chars`` /
``max_paragraph_chars``, so the work per quantity is constant and the stage stays linear.
"""

from __future__ import annotations

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


def _scan_back(text: str, pos: int, marks: str, limit: int) -> int:
    """Index just after the nearest mark before ``pos`` (not before ``limit``)."""
    limit = max(limit, 0)
    i = pos - 1
    while i >= limit:
        if text[i] in marks:
            return i + 1
        i -= 1
    return limit


def _scan_forward(text: str, pos: int, marks: str, limit: int) -> int:
    i = pos
    n = min(limit, len(text))
    while i < n:
        if text[i] in marks:
            return i
        i += 1
    return n


def locate(
    text: str,
    number_start: int,
    after_start: int,
    *,
    prev_number_end: int,
    next_number_start: int,
    m: Matching,
) -> Window:
    """Regions around one number, using the marks and limits of ``[matching]``.

    ``prev_number_end`` / ``next_number_start`` are the nearest other numbers (or -1 / len(text)):
    a keyword between two numbers of one clause belongs to the nearer one's side.
    """
    limit = m.max_sentence_chars
    sentence_start = _scan_back(text, number_start, m.sentence_marks, number_start - limit)
    sentence_end = _scan_forward(text, after_start, m.sentence_marks, after_start + limit)
    clause_start = _scan_back(text, number_start, m.clause_marks, sentence_start)
    clause_end = _scan_forward(text, after_start, m.clause_marks, sentence_end)
    statement_start = _scan_back(text, number_start, m.scope_marks, sentence_start)
    scope_start = statement_start
    paragraph_start = _scan_back(text, sentence_start, "\n", sentence_start - m.max_paragraph_chars)
    before_start = clause_start
    if clause_start <= prev_number_end <= number_start:
        before_start = prev_number_end
        link = text[prev_number_end:number_start]
        if len(link) <= 8 and any(link.endswith(w) for w in m.range_links):
            before_start = clause_start  # "由494项减到304项": same subject as the first number
    # Ruling-out words act within the statement (after a ；) and not across another number.
    if scope_start <= prev_number_end <= number_start:
        scope_start = prev_number_end
    # What follows the unit names this number's thing only up to the next list item or number,
    # or a word that starts another figure ("执法人员人均培训65学时").
    after_end = _scan_forward(text, after_start, m.list_marks, clause_end)
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


def clauses_between(text: str, start: int, end: int, clause_marks: str) -> int:
    """How many clause marks lie in ``text[start:end]`` (distance in clauses)."""
    return sum(1 for ch in text[start:end] if ch in clause_marks)
