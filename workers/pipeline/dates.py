"""Calendar dates as written in reports: 2022年1月10日, 二〇二二年一月十日, 2023-03-22, 2023/3/22.

:func:`find_dates` reports every full date with a status, so the metadata stage can refuse a
garbled signature date and the checks stage can flag it (domain reference §5, signature block).
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Literal

import cn2an
from msgspec import Struct

Status = Literal["ok", "impossible", "garbled"]

# Year digits written one by one (二〇二二); a closed set, kept here like spaCy's numerals.
CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "O": 0, "Ｏ": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "〇零○OＯ一二三四五六七八九"
_CN_SMALL = "一二三四五六七八九十"
YEAR_MIN, YEAR_MAX = 1949, 2100

_PATTERNS = (
    # 2022年1月10日 (spaces from PDF copies allowed); a blank or placeholder day is garbled
    re.compile(r"(?<!\d)(?P<y>\d{3,5})\s*年\s*(?P<m>\d{1,3})\s*月\s*(?P<d>\d{1,3}|[□XxＸ×*＊?？]{0,2})\s*[日号]"),
    # 二〇二二年一月十日
    re.compile(rf"(?P<y>[{_CN}]{{2,5}})\s*年\s*(?P<m>[{_CN_SMALL}〇零]{{1,3}})\s*月\s*(?P<d>[{_CN_SMALL}〇零]{{1,4}})\s*[日号]"),
    # 2023-03-22, 2023/3/22, 2023.03.22
    re.compile(r"(?<![\d.])(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\d.])"),
)
# A year-month with an impossible month (2022年13月) is also flagged.
_YEAR_MONTH = re.compile(r"(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,3})\s*月(?!\s*\d)")


class DateMatch(Struct, frozen=True):
    start: int
    end: int
    status: Status
    value: date | None  # None unless status == "ok"


def _cn_number(s: str) -> int | None:
    if all(ch in CN_DIGITS for ch in s):
        return int("".join(str(CN_DIGITS[ch]) for ch in s))
    try:
        return int(cn2an.cn2an(s, "strict"))
    except (ValueError, KeyError, TypeError):
        return None


def _to_int(s: str) -> int | None:
    s = s.strip()
    if s.isdigit():
        return int(s)
    return _cn_number(s) if s else None


def judge(y: int | None, m: int | None, d: int | None) -> tuple[Status, date | None]:
    if y is None or m is None or d is None or not YEAR_MIN <= y <= YEAR_MAX:
        return "garbled", None
    if not 1 <= m <= 12 or not 1 <= d <= calendar.monthrange(y, m)[1]:
        return "impossible", None
    return "ok", date(y, m, d)


def parse(s: str) -> DateMatch | None:
    """The first date in ``s``, or None when ``s`` holds none."""
    found = find_dates(s)
    return found[0] if found else None


def find_dates(text: str) -> list[DateMatch]:
    """Every full date in ``text`` with its status, in text order."""
    out: list[DateMatch] = []
    taken: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            status, value = judge(_to_int(m["y"]), _to_int(m["m"]), _to_int(m["d"]))
            out.append(DateMatch(m.start(), m.end(), status, value))
            taken.append((m.start(), m.end()))
    for m in _YEAR_MONTH.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        month = int(m["m"])
        if not 1 <= month <= 12:
            out.append(DateMatch(m.start(), m.end(), "impossible", None))
    out.sort(key=lambda d: d.start)
    return out
