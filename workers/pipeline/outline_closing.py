"""Finds the closing block of a report: signature, 成文日期, "特此报告。", "（此件公开发布）".

The last section of a report would otherwise swallow the signature, and the lists stage
would read "XX镇人民政府 2021年12月15日" as a plan item. Patterns: ``sections_kinds.toml [closing]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from workers.data import load_toml


@dataclass(frozen=True)
class _Closing:
    max_chars: int
    date: re.Pattern[str]
    org: re.Pattern[str]
    notes: re.Pattern[str]


@cache
def _rules() -> _Closing:
    c = load_toml("sections_kinds.toml")["closing"]
    date = c["date"]
    orgs = "|".join(sorted(map(re.escape, c["org_suffixes"]), key=len, reverse=True))
    return _Closing(
        max_chars=c["max_line_chars"],
        date=re.compile(rf"\s*{date}\s*"),
        # an organisation name, optionally followed by the date on the same line
        org=re.compile(rf"\s*[^\s。，,；;：:]{{2,30}}(?:{orgs})(?:\s+[^\s。，,；;：:]{{2,30}}(?:{orgs}))*\s*(?:{date})?\s*"),
        notes=re.compile(r"\s*(?:" + "|".join(c["notes"]) + r")\s*"),
    )


def warm() -> None:
    _rules()


def _is_closing_line(line: str) -> bool:
    r = _rules()
    if len(line.strip()) > r.max_chars:
        return False
    return any(p.fullmatch(line) for p in (r.date, r.org, r.notes))


def closing_start(text: str) -> int:
    """Offset where the closing block starts (``len(text)`` when there is none)."""
    start = len(text)
    # walk the lines back from the end (the closing block is a few lines; don't split them all)
    e = len(text)
    while True:
        s = text.rfind("\n", 0, e) + 1
        line = text[s:e]
        if line.strip():
            if not _is_closing_line(line):
                break
            start = s + (len(line) - len(line.lstrip()))
        if s == 0:
            break
        e = s - 1
    return start
