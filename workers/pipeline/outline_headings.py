"""Finds the numbered heading tree of a report (domain reference §5 "Headings").

A heading is a line that starts with an enumerator (一、 / （一） / 1. / （1） / ① …, patterns in
``headings_enumerators.toml``) followed by a short title, either alone on its line or run in
before the body ("（一）依法全面履行政府职能方面。本年度…"). Two rules reject false headings:

* length: a numbered line whose first sentence is long is a list sentence, not a title;
* sequence: numbers run 1, 2, 3 within a parent; a kind may restart at 1 under a new parent
  or run on across parents (…（二）→ 二、 →（三）), anything else ("2021年…", a stray "5.") is body.

Levels are ranked by each kind's first appearance in the document, not by a fixed table,
because reports skip levels (一、 directly followed by 1.).

``"一是…二是…"`` enumerations are never headings; ``lists_items`` reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import cn2an

from workers.data import load_toml
from workers.pipeline.model import Heading

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


@dataclass(frozen=True)
class _Kind:
    id: str
    regex: re.Pattern[str]
    numeral: str


@dataclass(frozen=True)
class _Rules:
    kinds: tuple[_Kind, ...]
    any_kind: re.Pattern[str]  # matches where some kind's regex does (most lines open with none)
    max_title: int
    max_runin: int
    terminators: str
    strip: str


@dataclass
class Candidate:
    kind: str
    n: int
    label: str
    title: str
    start: int  # where the label starts
    title_end: int


@cache
def rules() -> _Rules:
    data = load_toml("headings_enumerators.toml")
    prefix = data["line_prefix"]
    kinds = tuple(
        _Kind(k["id"], re.compile(prefix + "(?P<label>" + k["pattern"] + ")"), k["numeral"])
        for k in data["kind"]
    )
    # the same alternatives with their groups unnamed, so that they can share one regex
    unnamed = (re.sub(r"\(\?P<\w+>", "(?:", k["pattern"]) for k in data["kind"])
    return _Rules(
        kinds=kinds,
        any_kind=re.compile(prefix + "(?:" + "|".join(unnamed) + ")"),
        max_title=data["max_title_chars"],
        max_runin=data["max_runin_chars"],
        terminators=data["runin_terminators"],
        strip=data["title_strip"],
    )


def numeral_value(s: str, numeral: str) -> int | None:
    if numeral == "arabic":
        return int(s)
    if numeral == "circled":
        return _CIRCLED.index(s) + 1
    return _cn_value(s)


@lru_cache(maxsize=2048)
def _cn_value(s: str) -> int | None:
    """cn2an is slow (~20 µs a call). Enumerators (here and in lists_items) are 1-3 of
    一…十, so at most 1,110 strings: the cache holds them all."""
    try:
        return int(cn2an.cn2an(s, "strict"))
    except ValueError:
        return None


def lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end excluding the line break."""
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def match_candidate(text: str, start: int, end: int) -> Candidate | None:
    """The heading a line opens, or None when it does not look like one."""
    r = rules()
    if r.any_kind.match(text, start, end) is None:  # same as matching text[start:end]: no lookbehind
        return None
    line = text[start:end]
    for kind in r.kinds:
        m = kind.regex.match(line)
        if m is None:
            continue
        n = numeral_value(m.group("n"), kind.numeral)
        if n is None:
            continue
        rest_at = m.end()
        rest = line[rest_at:]
        if not rest.strip() or rest[0] in r.terminators:
            return None  # a bare number or "1、，" is not a heading
        cut = _first_terminator(rest, r.terminators)
        if cut is None:
            title_raw = rest.rstrip()
            limit = r.max_title
        elif not rest[cut + 1 :].strip():
            # one sentence alone on its line: a heading only when short, else a list sentence
            title_raw = rest.rstrip()
            limit = r.max_runin
        else:
            title_raw = rest[: cut + 1]
            limit = r.max_runin
            nxt = kind.regex.match(rest, cut + 1)
            if nxt is not None and numeral_value(nxt.group("n"), kind.numeral) == n + 1:
                return None  # "1.甲。2.乙。" on one line is an inline list, not a heading
        title = title_raw.strip().rstrip(r.strip)
        if not title or len(title) > limit:
            return None
        return Candidate(
            kind=kind.id,
            n=n,
            label=m.group("label"),
            title=title,
            start=start + m.start("label"),
            title_end=start + rest_at + len(title_raw.rstrip()),
        )
    return None


def _first_terminator(s: str, terminators: str) -> int | None:
    for i, ch in enumerate(s):
        if ch in terminators:
            return i
    return None


def find_headings(text: str, body_end: int | None = None) -> list[Heading]:
    """The accepted headings in text order, with levels and section ends.

    Args:
        text: canonical text.
        body_end: where the closing block (signature, date) starts; sections end there.
    RETURNS: list of Heading (system unset).
    """
    if body_end is None:
        body_end = len(text)
    rank: dict[str, int] = {}
    last_n: dict[str, int] = {}
    stack: list[tuple[str, int]] = []
    accepted: list[Candidate] = []
    for start, end in lines(text):
        if start >= body_end:
            break
        cand = match_candidate(text, start, end)
        if cand is None:
            continue
        kinds_open = [k for k, _ in stack]
        if cand.kind in kinds_open:
            i = kinds_open.index(cand.kind)
            if cand.n != stack[i][1] + 1:
                continue
            del stack[i:]
        else:
            run_on = cand.kind in rank and cand.n == last_n.get(cand.kind, -1) + 1
            if cand.n != 1 and not run_on:
                continue
            rank.setdefault(cand.kind, len(rank) + 1)
            while stack and rank[stack[-1][0]] >= rank[cand.kind]:
                stack.pop()
        stack.append((cand.kind, cand.n))
        last_n[cand.kind] = cand.n
        accepted.append(cand)

    headings: list[Heading] = []
    for i, c in enumerate(accepted):
        level = rank[c.kind]
        end = body_end
        for later in accepted[i + 1 :]:
            if rank[later.kind] <= level:
                end = later.start
                break
        end = max(_trim_end(text, end), c.title_end)
        headings.append(
            Heading(level=level, label=c.label, title=c.title, start=c.start, end=end, title_end=c.title_end)
        )
    return headings


def _trim_end(text: str, end: int) -> int:
    """Section ends exclude the whitespace and line breaks before the next heading."""
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end
