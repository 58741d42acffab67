"""Where a regex's matches can start, as a cheap prefilter for ``finditer``.

A pattern read from a data file is often an alternation whose branches start with different
character classes or optional groups; Python's ``re`` then tries every branch at every position
of the text. From the parsed pattern we derive the one- or two-character heads its non-empty
matches start with (``公文易`` → "公文", ``[【\\[]\\s*…`` → "【" or "["), and compile them into a
pattern of single-character branches with a lookahead (``公(?=文)|【|\\[``), which ``re`` scans for
at C speed: ``StartScan(p).finditer`` tries ``p`` only where a head occurs and yields exactly the
matches of ``p.finditer``.

Derived with ``re._parser`` (CPython 3.11-3.13); anything not understood (case-insensitive parts,
back references, a pattern that can match the empty string, a first character from ``\\s`` or
``.``) gives no prefilter, and ``StartScan`` scans as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

try:  # CPython ≥ 3.11
    from re import _constants as _c
    from re import _parser as _p
except ImportError:  # pragma: no cover - older or other interpreters: no prefilter
    _c = _p = None  # type: ignore[assignment]

_HEAD = 2  # characters per head
_MAX_HEADS = 400  # past this a prefilter is not worth its size
_MAX_CLASS = 64  # a character class with more members counts as "any character"


class StartScan:
    """``pattern.finditer`` that tries ``pattern`` only where one of its heads occurs."""

    __slots__ = ("pattern", "starts")

    def __init__(self, pattern: re.Pattern[str], starts: re.Pattern[str] | None = None) -> None:
        """``starts``: the caller's own head pattern (one character per match, at every place
        a match of ``pattern`` can start), for a pattern whose heads cannot be derived."""
        self.pattern = pattern
        self.starts = starts if starts is not None else head_pattern(pattern)

    def finditer(self, s: str, pos: int = 0, endpos: int | None = None) -> Iterator[re.Match[str]]:
        if endpos is None:
            endpos = len(s)
        if self.starts is None:
            yield from self.pattern.finditer(s, pos, endpos)
            return
        # finditer's own walk: the leftmost match, then on from its end. A match is never empty
        # (no prefilter for such patterns), and lookbehinds still see before ``p``. Each head
        # match is one character long, so every candidate position is visited.
        match = self.pattern.match
        end = pos
        for c in self.starts.finditer(s, pos, endpos):
            p = c.start()
            if p >= end and (m := match(s, p, endpos)):
                end = m.end()
                yield m

    def spans(self, s: str, pos: int, endpos: int) -> list[tuple[int, int]]:
        """``[m.span() for m in self.finditer(s, pos, endpos)]``; a quick test first, since
        most calls find nothing."""
        if self.starts is not None and self.starts.search(s, pos, endpos) is None:
            return []
        return [m.span() for m in self.finditer(s, pos, endpos)]


def head_pattern(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A pattern matching one character at every position where ``pattern`` can match, or None."""
    if _p is None or not isinstance(pattern.pattern, str) or pattern.flags & re.IGNORECASE:
        return None
    try:
        heads = _seq(_p.parse(pattern.pattern, pattern.flags), _HEAD)
    except (_Unknown, re.error, TypeError, ValueError, RecursionError):
        return None
    if not heads or any(not h for h, _full in heads):
        return None  # can match the empty string, or starts with "any character"
    follow: dict[str, set[str] | None] = {}  # first char → possible second chars (None: any)
    for h, _full in heads:
        if len(h) == 1 or follow.get(h[0], set()) is None:
            follow[h[0]] = None
        else:
            follow.setdefault(h[0], set()).add(h[1])
    branches = []
    for first in sorted(follow):
        seconds = follow[first]
        if seconds is None:
            branches.append(re.escape(first))
        else:
            branches.append(re.escape(first) + "(?=[" + "".join(_esc(ch) for ch in sorted(seconds)) + "])")
    return re.compile("|".join(branches))


class _Unknown(Exception):
    pass


# A head is (text, full): full means the item matched exactly ``text`` and what follows may
# extend it; otherwise ``text`` is a cut-off prefix (any continuation).
Heads = set[tuple[str, bool]]


def _seq(items, k: int) -> Heads:
    cur: Heads = {("", True)}
    for op, av in items:
        nxt: Heads = set()
        for text, full in cur:
            if not full or len(text) >= k:
                nxt.add((text, False))
                continue
            for more, more_full in _item(op, av, k - len(text)):
                nxt.add((text + more, more_full))
        if len(nxt) > _MAX_HEADS:
            raise _Unknown
        cur = nxt
        if all(not full or len(text) >= k for text, full in cur):
            break
    return cur


def _item(op, av, k: int) -> Heads:
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return {("", True)}  # zero-width: consumes nothing
    if op is _c.LITERAL:
        return {(chr(av), True)}
    if op is _c.IN:
        chars = []
        for kind, val in av:
            if kind is _c.LITERAL:
                chars.append(chr(val))
            elif kind is _c.RANGE and val[1] - val[0] < _MAX_CLASS:
                chars.extend(map(chr, range(val[0], val[1] + 1)))
            else:  # NEGATE, CATEGORY, a wide range: any character
                return {("", False)}
        if len(chars) > _MAX_CLASS:
            return {("", False)}
        return {(ch, True) for ch in chars}
    if op is _c.BRANCH:
        out: Heads = set()
        for alt in av[1]:
            out |= _seq(alt, k)
        return out
    if op is _c.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        if add_flags & re.IGNORECASE:
            raise _Unknown
        return _seq(sub, k)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        once = _seq(sub, k)
        if hi != 1:  # a further repetition may follow: cut each head off after one
            once = {(text, False) for text, _full in once}
        return once | {("", True)} if lo == 0 else once
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _seq(av, k)
    if op is _c.ANY:
        return {("", False)}
    raise _Unknown


def _esc(ch: str) -> str:
    return "\\" + ch if ch in "-]\\^[" else ch
