"""Name what each quantity counts (`subject`) and split values shared by several names.

The subject is the clause text before the number, back to the previous punctuation mark or
quantity, trimmed of function words (共/累计/达/为…); when that leaves almost nothing the words
after the unit are used ("开设700余个政务服务代办点" → 政务服务代办点). A value shared by a list of
names ("办结率、满意率均为100%") becomes one quantity per name. Words: quantities_subject.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from workers.data import load_toml

_LEADING = re.compile(r"(?:\d{4}年度?|\d{1,2}月份?|今年以来|以来|截至\d{1,2}月(?:底)?)+")


@dataclass(frozen=True, slots=True)
class SubjectRules:
    marks: frozenset[str]
    marks_no_list: frozenset[str]
    # runs of characters that are not marks (matched on reversed text by _back_to_mark)
    unmarked: re.Pattern[str]
    unmarked_no_list: re.Pattern[str]
    max_chars: int
    trim_start: tuple[tuple[int, frozenset[str]], ...]
    trim_end: tuple[tuple[int, frozenset[str]], ...]
    keep_start: tuple[str, ...]
    keep_end: tuple[str, ...]
    min_chars: int
    after_max: int
    after_stop: re.Pattern[str]
    shared_cues: tuple[str, ...]
    respective_cues: tuple[str, ...]
    value_separators: re.Pattern[str]
    conjunctions: str
    separators: re.Pattern[str]
    rate_names: tuple[str, ...]


@cache
def rules() -> SubjectRules:
    d = load_toml("quantities_subject.toml")

    def by_len(words: list[str]) -> tuple[str, ...]:
        return tuple(sorted(words, key=len, reverse=True))

    # trim() runs for every quantity and list name: one set lookup per word length, longest
    # first, instead of a startswith per word.
    def len_sets(words: list[str]) -> tuple[tuple[int, frozenset[str]], ...]:
        lengths = sorted({len(w) for w in words}, reverse=True)
        return tuple((n, frozenset(w for w in words if len(w) == n)) for n in lengths)

    marks = frozenset(d["clause_marks"])
    return SubjectRules(
        marks=marks,
        marks_no_list=marks - frozenset("、"),
        unmarked=_run_without(marks),
        unmarked_no_list=_run_without(marks - frozenset("、")),
        max_chars=d["max_chars"],
        trim_start=len_sets(d["trim_start"]),
        trim_end=len_sets(d["trim_end"]),
        keep_start=tuple(d["keep_start"]),
        keep_end=tuple(d["keep_end"]),
        min_chars=d["min_chars"],
        after_max=d["after_max_chars"],
        after_stop=re.compile("|".join(map(re.escape, d["after_stops"]))),
        shared_cues=by_len(d["shared_cues"]),
        respective_cues=by_len(d["respective_cues"]),
        value_separators=re.compile(d["value_separators"]),
        conjunctions=d["conjunctions"],
        separators=re.compile(d["shared_separators"].strip()),
        rate_names=tuple(d["rate_names"]),
    )


def _run_without(marks: frozenset[str]) -> re.Pattern[str]:
    return re.compile("[^" + "".join(re.escape(ch) for ch in sorted(marks)) + "]*")


def _back_to_mark(text: str, pos: int, floor: int, unmarked: re.Pattern[str], limit: int) -> int:
    """Just after the last mark in text[max(floor, pos - limit):pos], or that start: the run of
    unmarked characters ending at pos, matched on the reversed slice (no Python step per
    character)."""
    lo = max(floor, pos - limit)
    return pos - unmarked.match(text[lo:pos][::-1]).end()


def trim(text: str, start: int, end: int, r: SubjectRules) -> tuple[int, int]:
    """Shrink [start, end) past function words at both ends."""
    changed = True
    while changed and start < end:
        changed = False
        m = _LEADING.match(text, start, end)
        if m and m.end() > start:
            start, changed = m.end(), True
        if not text.startswith(r.keep_start, start, end):
            for n, words in r.trim_start:
                if start + n <= end and text[start : start + n] in words:
                    start, changed = start + n, True
                    break
        if not text.endswith(r.keep_end, start, end):
            for n, words in r.trim_end:
                if end - n >= start and text[end - n : end] in words:
                    end, changed = end - n, True
                    break
    return start, end


def subject_before(text: str, pos: int, floor: int) -> tuple[int, int, bool]:
    """Span of the subject before ``pos`` (not crossing ``floor``, the previous quantity), and
    whether it runs straight on from the previous quantity (no punctuation between)."""
    r = rules()
    a = _back_to_mark(text, pos, floor, r.unmarked, r.max_chars)
    s, e = trim(text, a, pos, r)
    return s, e, a == floor and floor > 0


def subject_after(text: str, pos: int) -> tuple[int, int]:
    r = rules()
    end = pos
    limit = min(len(text), pos + r.after_max)
    while end < limit and text[end] not in r.marks and not text[end].isdigit():
        if end > pos and r.after_stop.match(text, end):
            break
        end += 1
    start = pos
    if text.startswith("的", start, end):
        start += 1
    return start, end


def shared_names(text: str, pos: int, floor: int, respective: bool = False) -> list[tuple[int, int]]:
    """Names sharing the value at ``pos`` ("办结率、满意率均为"), or [] when it is not shared.
    With ``respective``, names that the values starting at ``pos`` take in order ("分别为")."""
    r = rules()
    cues = r.respective_cues if respective else r.shared_cues
    if not text.endswith(cues, 0, pos):
        return []  # the usual case, in one C call
    cue_end = pos
    for cue in cues:
        if text.startswith(cue, pos - len(cue), pos):
            cue_end = pos - len(cue)
            break
    else:
        return []
    a = _back_to_mark(text, cue_end, floor, r.unmarked_no_list, r.max_chars * 2)
    names: list[tuple[int, int]] = []
    start = a
    for m in r.separators.finditer(text, a, cue_end):
        names.append(trim(text, start, m.start(), r))
        start = m.end()
    names.append(trim(text, start, cue_end, r))
    names = [(s, e) for s, e in names if e - s >= 1]
    return names if len(names) >= 2 else []


def only_separators(text: str, a: int, b: int) -> bool:
    """Whether text[a:b] merely separates two values of a list ("99.8%和96.1%")."""
    return rules().value_separators.fullmatch(text, a, b) is not None


def ends_with_conjunction(text: str, pos: int) -> bool:
    return pos > 0 and text[pos - 1] in rules().conjunctions


def is_rate_name(name: str) -> bool:
    return name.endswith(rules().rate_names)


def min_chars() -> int:
    return rules().min_chars
