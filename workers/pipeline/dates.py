"""Calendar dates as written in reports: 2022年1月10日, 二〇二二年一月十日, 2023-03-22, 2023/3/22.

:func:`find_dates` reports every full date with a status, so the metadata stage can refuse a
garbled signature date and the checks stage can flag it (domain reference §5, signature block).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
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

# Scanning a whole report with each pattern costs more than the rest of the checks stage, so
# each one is tried only where a match can start, found from an anchor that is quick to scan
# for (a literal 年, or a separator): every match of the 年 patterns holds 年 followed by a
# month and 月, and its year is the run of digits (or at most 5 Chinese digits) just before
# that 年 and any spaces; every match of the dashed pattern has its first separator right
# after its 4-digit year. See _matches for why this yields what finditer does.
_YEAR_ANCHOR = re.compile(rf"年(?=\s*(?:\d{{1,3}}|[{_CN_SMALL}〇零]{{1,3}})\s*月)")
_SEP_ANCHOR = re.compile(r"[-/.](?<=\d\d\d\d[-/.])(?=\d)")


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
    arabic, chinese = _year_starts(text)
    dashed = [a.start() - 4 for a in _SEP_ANCHOR.finditer(text)]
    for pattern, starts in zip(_PATTERNS, (arabic, chinese, dashed)):
        for m in _matches(pattern, text, starts):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            status, value = judge(_to_int(m["y"]), _to_int(m["m"]), _to_int(m["d"]))
            out.append(DateMatch(m.start(), m.end(), status, value))
            taken.append((m.start(), m.end()))
    for m in _matches(_YEAR_MONTH, text, arabic):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        month = int(m["m"])
        if not 1 <= month <= 12:
            out.append(DateMatch(m.start(), m.end(), "impossible", None))
    out.sort(key=lambda d: d.start)
    return out


def _year_starts(text: str) -> tuple[list[int], list[int]]:
    """Where a year before an anchoring 年 starts: Arabic digits, Chinese digits (ascending)."""
    arabic: list[int] = []
    chinese: list[int] = []
    for a in _YEAR_ANCHOR.finditer(text):
        end = a.start()
        while end > 0 and text[end - 1].isspace():  # str.isspace is the regex \s
            end -= 1
        if end == 0:
            continue
        start = end - 1
        if text[start].isdecimal():  # str.isdecimal is the regex \d
            while start > 0 and text[start - 1].isdecimal():
                start -= 1
            arabic.append(start)
        elif text[start] in _CN:
            # the year is 2-5 digits; finditer takes the leftmost start that leaves it that long
            while start > max(0, end - 5) and text[start - 1] in _CN:
                start -= 1
            chinese.append(start)
    return arabic, chinese


def _matches(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """What ``pattern.finditer(text)`` yields, given (ascending) every position where
    ``pattern`` can match: finditer takes the leftmost match, then looks on from its end.
    ``match(text, pos)`` reads the same string, so lookbehinds still see what precedes pos."""
    pos = 0
    for start in starts:
        if start < pos:
            continue
        m = pattern.match(text, start)
        if m is not None:
            yield m
            pos = m.end()
