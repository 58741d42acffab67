"""The enumerated items of a shortcomings or plans section (issue 3 "shortcomings and plans").

Items are read, first match wins, from:

1. the section's sub-headings ("（一）加强队伍建设", run-in or on their own line);
2. inline enumerations "一是…二是…" / "第一，…" / "其一，…" (``headings_enumerators.toml [inline]``),
   each run starting again at 一; a run needs at least two members;
3. numbered paragraphs that were too long to be headings ("1.…。", "（1）…。");
4. otherwise one item per paragraph, skipping lead-in paragraphs that end with "：".

An item's ``text`` is its title: the run-in/sub-heading title, or else the first sentence after
the enumerator, without the enumerator and without the closing 。/；. ``text == doc.text[start:end]``
always holds, so a client can highlight it.
"""

from __future__ import annotations

import re
from functools import cache

from workers.data import load_toml
from workers.pipeline.model import Heading, Item, Section
from workers.pipeline.outline_headings import lines, numeral_value, rules
from workers.pipeline.outline_sections import SHORT_HEADING

_SENTENCE_END = "。；;！？!?\n"
_LEAD_STRIP = " \t\u3000-•·*，,：:、"
_CN = "[一二三四五六七八九十]{1,3}"


@cache
def _inline() -> tuple[list[tuple[re.Pattern[str], str]], str]:
    """(pattern, numeral kind) per inline enumeration, and the boundary characters."""
    d = load_toml("headings_enumerators.toml")["inline"]
    pats = []
    for p in d["patterns"]:
        numeral = "arabic" if "{d}" in p else "cn"
        pats.append((re.compile(p.replace("{n}", f"(?P<n>{_CN})").replace("{d}", r"(?P<n>\d{1,2})")), numeral))
    return pats, d["boundary"]


def items(text: str, section: Section, outline: list[Heading]) -> list[Item]:
    """Items of one section, in text order."""
    own = next((h for h in outline if h.start == section.start), None)
    body = own.title_end if own is not None else _after_bare_heading(text, section)
    return (
        _from_subheadings(text, section, outline, own)
        or _from_inline(text, body, section.end)
        or _from_numbered(text, body, section.end)
        or _from_paragraphs(text, body, section.end)
    )


def _after_bare_heading(text: str, section: Section) -> int:
    """Where the body starts when the section opens with an unnumbered heading line."""
    line_end = text.find("\n", section.start, section.end)
    if line_end == -1:
        return section.start
    first = text[section.start : line_end].strip()
    if len(first) <= SHORT_HEADING and "。" not in first:
        return line_end
    return section.start


def _from_subheadings(text: str, section: Section, outline: list[Heading], own: Heading | None) -> list[Item]:
    level = own.level if own is not None else 0
    inside = [h for h in outline if section.start < h.start < section.end and h.level > level]
    if not inside:
        return []
    top = min(h.level for h in inside)
    out = []
    for h in inside:
        if h.level != top:
            continue
        s = text.find(h.title, h.start + len(h.label))
        if s != -1:
            out.append(Item(text=h.title, start=s, end=s + len(h.title)))
    return out


def _from_inline(text: str, start: int, end: int) -> list[Item]:
    pats, boundary = _inline()
    hits: list[tuple[int, int, int, int]] = []  # (marker start, marker end, n, pattern index)
    for pi, (pat, numeral) in enumerate(pats):
        for m in pat.finditer(text, start, end):
            if m.start() > start and text[m.start() - 1] not in boundary:
                continue
            n = numeral_value(m.group("n"), numeral)
            if n is not None:
                hits.append((m.start(), m.end(), n, pi))
    hits.sort()
    runs: list[list[tuple[int, int, int, int]]] = []
    for hit in hits:
        if hit[2] == 1:
            runs.append([hit])
        elif runs and runs[-1][-1][3] == hit[3] and runs[-1][-1][2] + 1 == hit[2]:
            runs[-1].append(hit)
    marks = sorted(h for run in runs if len(run) >= 2 for h in run)
    out = []
    for i, (_, m_end, _, _) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else end
        item = _first_sentence(text, m_end, min(stop, end))
        if item is not None:
            out.append(item)
    return out


def _from_numbered(text: str, start: int, end: int) -> list[Item]:
    out: list[Item] = []
    expect: dict[str, int] = {}
    for s, e in lines(text):
        if s < start or s >= end:
            continue
        for kind in rules().kinds:
            m = kind.regex.match(text, s, min(e, end))
            if m is None:
                continue
            n = numeral_value(m.group("n"), kind.numeral)
            if n == 1 or n == expect.get(kind.id):
                expect[kind.id] = (n or 0) + 1
                item = _first_sentence(text, m.end(), min(e, end))
                if item is not None:
                    out.append(item)
            break
    return out if len(out) >= 2 else []


def _from_paragraphs(text: str, start: int, end: int) -> list[Item]:
    out = []
    for s, e in lines(text):
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        para = text[s:e].rstrip()
        if not para.strip() or para.endswith(("：", ":")):
            continue
        item = _first_sentence(text, s, e)
        if item is not None:
            out.append(item)
    return out


def _first_sentence(text: str, start: int, end: int) -> Item | None:
    """The first sentence in [start, end), trimmed of leading marks and the closing stop."""
    while start < end and text[start] in _LEAD_STRIP:
        start += 1
    stop = start
    while stop < end and text[stop] not in _SENTENCE_END:
        stop += 1
    while stop > start and (text[stop - 1].isspace() or text[stop - 1] in "，,、"):
        stop -= 1
    if stop <= start:
        return None
    return Item(text=text[start:stop], start=start, end=stop)
