"""Quantities in tables pasted as text: a bare number in a cell takes its unit from the row
label ("罚款金额（万元） 238.5 312.6") or the column header ("类别 件数" over "行政复议 3").

The scan of running text needs the unit right after the number, so it never sees these cells;
this pass reads line by line and is linear in the text length. Data: ``quantities_tables.toml``
(cell shape, count headers) and ``quantities_units.toml`` (units, magnitudes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from workers.data import load_toml
from workers.pipeline.numerals import arabic, as_number
from workers.pipeline.quantities_scan import Candidate

_BRACKET = re.compile(r"[（(]([^（()）]{1,6})[）)]$")


@dataclass(frozen=True, slots=True)
class TableRules:
    cell: re.Pattern[str]
    units: frozenset[str]
    magnitudes: dict[str, int]
    count_suffixes: tuple[str, ...]
    max_label: int


@cache
def rules() -> TableRules:
    t = load_toml("quantities_tables.toml")
    u = load_toml("quantities_units.toml")
    return TableRules(
        cell=re.compile(t["cell"]),
        units=frozenset(u["units"]),
        magnitudes={k: int(v) for k, v in u["magnitudes"].items()},
        count_suffixes=tuple(t["count_header_suffixes"]),
        max_label=t["max_label_chars"],
    )


def _unit(word: str, r: TableRules) -> tuple[str, int] | None:
    """'万元' → ('元', 10000); '件' → ('件', 1); anything else → None."""
    for mag in sorted(r.magnitudes, key=len, reverse=True):
        if word.startswith(mag) and word[len(mag) :] in r.units:
            return word[len(mag) :], r.magnitudes[mag]
    return (word, 1) if word in r.units else None


def _header_unit(cell: str, r: TableRules) -> tuple[str, int] | None:
    m = _BRACKET.search(cell)
    if m:
        return _unit(m.group(1), r)
    for suffix in r.count_suffixes:
        if cell.endswith(suffix) and len(cell) > len(suffix):
            found = _unit(cell[: -len(suffix)], r)
            if found:
                return found
    return None


def _cells(line: str, offset: int) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    pos = 0
    for part in line.split(" "):
        if part:
            out.append((part, offset + pos))
        pos += len(part) + 1
    return out


def table_candidates(text: str) -> list[Candidate]:
    r = rules()
    out: list[Candidate] = []
    header: list[tuple[str, int]] | None = None
    offset = 0
    for line in text.split("\n"):
        cells = _cells(line, offset) if " " in line else []
        numeric = [i for i, (c, _) in enumerate(cells) if i > 0 and r.cell.fullmatch(c)]
        if len(cells) < 2 or not numeric or len(cells[0][0]) > r.max_label or _years(cells, numeric):
            header = cells if len(cells) >= 2 else None
        else:
            out.extend(_row(cells, numeric, header, offset, r))
        offset += len(line) + 1
    return out


def _years(cells, numeric) -> bool:
    """A header row of bare years ("指标 2022 2023")."""
    return all(cells[i][0].isdigit() and 1900 <= int(cells[i][0]) <= 2100 for i in numeric)


def _column(i: int, cells, header) -> int:
    """The header column of cell i; a row with merged leading cells ("合计 206 48.0" under
    "序号 单位 案件数（件） 金额（万元）") aligns on the right, where the numbers are."""
    if len(cells) == len(header):
        return i
    if len(cells) < len(header):
        return i + len(header) - len(cells)
    return -1


def row_label(line: str) -> str:
    """The row's name: its first cell that is not a sequence number."""
    for cell in line.split(" "):
        if cell and not cell.isdigit():
            return _BRACKET.sub("", cell) or cell
    return ""


def _row(cells, numeric, header, line_start, r: TableRules) -> list[Candidate]:
    label = next((c for c, _ in cells if not c.isdigit()), "")  # after any sequence number
    m = _BRACKET.search(label)
    row_unit = _unit(m.group(1), r) if m else None
    out: list[Candidate] = []
    for i in numeric:
        cell, at = cells[i]
        body = cell.lstrip("+-－")
        ns = at + len(cell) - len(body)
        if body.endswith("%"):
            unit, factor, digits = "%", 1, body[:-1]
        elif body.endswith("个百分点"):
            unit, factor, digits = "个百分点", 1, body[: -len("个百分点")]
        else:
            col = _header_unit(header[j][0], r) if header and 0 <= (j := _column(i, cells, header)) else None
            found = row_unit or col
            if found is None:
                continue
            (unit, factor), digits = found, body
            if digits[-1] in r.magnitudes:  # "2.1万" in a cell
                factor *= r.magnitudes[digits[-1]]
                digits = digits[:-1]
        value = arabic(digits)
        if value is None:
            continue
        num_end = ns + len(body) - (len(unit) if body.endswith(unit) else 0)  # keeps 万, drops %
        amount = as_number(value * Decimal(factor))
        out.append(Candidate(amount, unit, "exact", ns, num_end, line_start, at + len(cell)))
    return out
