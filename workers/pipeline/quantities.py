"""Stage 'quantities': every quantitative fact in ``Doc.text`` as a ``Quantity``.

Follows the team's quantity policy: a number (Arabic, full-width, or Chinese numeral) with a
base unit, magnitudes folded (1.3万平方米 → 13000 平方米), a qualifier (exact / at_least /
about / at_most), and no years, dates, 文号, ordinals, norms, plans, slogans or 《》 titles.
A value shared by several names ("办结率、满意率均为100%") yields one quantity per name.

Evidence ``[start, end)`` covers the qualifier word (约/超过) or the rate's name when present,
the number with its magnitude and approximator, the unit and a trailing 以上/左右;
``number_start``/``number_end`` locate the number itself. Data: ``quantities_*.toml``.

RETURNS: the Doc with ``quantities`` assigned, in text order.
"""

from __future__ import annotations

from workers.pipeline import quantities_scan, quantities_subject, quantities_tables
from workers.pipeline.model import Doc, Quantity
from workers.pipeline.quantities_scan import Candidate, scan
from workers.pipeline.quantities_tables import table_candidates
from workers.pipeline.quantities_subject import (
    ends_with_conjunction,
    is_rate_name,
    min_chars,
    only_separators,
    shared_names,
    subject_after,
    subject_before,
)

NAME = "quantities"
REQUIRES = ("text", "sections")
ASSIGNS = ("quantities",)

def warm() -> None:
    quantities_scan.tables()
    quantities_subject.rules()
    quantities_tables.rules()


def run(doc: Doc) -> Doc:
    doc.quantities = find_quantities(doc.text)
    return doc


def find_quantities(text: str) -> list[Quantity]:
    out: list[Quantity] = []
    floor = 0  # end of the previous quantity: a subject never reaches back across it
    owed: list[tuple[int, int]] = []  # names still waiting for a value of a 分别为 list
    for c in scan(text):
        is_rate = c.unit in quantities_scan.tables().rate_units
        if owed and only_separators(text, floor, c.start):
            a, b = owed.pop(0)
            out.append(_quantity(c, text[a:b], c.start, is_rate))
        else:
            owed = shared_names(text, c.start, floor, respective=True)
            if owed:
                a, b = owed.pop(0)
                out.append(_quantity(c, text[a:b], a, is_rate))
            else:
                out.extend(_facts(text, c, floor, is_rate))
        floor = c.end
    return _with_table_cells(text, out)


def _with_table_cells(text: str, found: list[Quantity]) -> list[Quantity]:
    seen = {q.number_start for q in found}
    cells = []
    for c in table_candidates(text):
        if c.number_start in seen:
            continue
        label = quantities_tables.row_label(text[c.start : c.number_start])
        cells.append(_quantity(c, label, c.start, c.unit in quantities_scan.tables().rate_units))
    if not cells:
        return found
    return sorted([*found, *cells], key=lambda q: (q.number_start, q.start))


def _facts(text: str, c: Candidate, floor: int, is_rate: bool) -> list[Quantity]:
    names = shared_names(text, c.start, floor)
    if names:
        return [_quantity(c, text[a:b], a, is_rate) for a, b in names]
    a, b, runs_on = subject_before(text, c.start, floor)
    start = c.start
    if b - a < min_chars() or runs_on or ends_with_conjunction(text, c.start):
        a2, b2 = subject_after(text, c.end)
        if b2 - a2 >= min_chars() or (b2 > a2 and b == a):
            return [_quantity(c, text[a2:b2], start, is_rate)]
    if is_rate and is_rate_name(text[a:b]):
        start = a  # "出庭应诉率达100%": the span starts at the rate's name
    return [_quantity(c, text[a:b], start, is_rate)]


def _quantity(c: Candidate, subject: str, start: int, is_rate: bool) -> Quantity:
    return Quantity(
        value=c.value,
        unit=c.unit,
        qualifier=c.qualifier,
        start=min(start, c.start),
        end=c.end,
        number_start=c.number_start,
        number_end=c.number_end,
        subject=subject,
        is_rate=is_rate,
    )
