"""Keyword dictionary over the indicator catalogue (one Aho-Corasick automaton).

A document is scanned once. Positive keywords (keywords, verbs, rate names, role nouns) are
matched leftmost-longest: a hit inside a longer hit is dropped, which is what lets "不予处罚"
outrank the "处罚" it contains without a special case. Context and ruling-out words are kept
wherever they occur, even inside a longer keyword ("复议" in "行政复议申请"). Words inside
《》 are dropped: they belong to a document's title, not to the fact being counted.
"""

from __future__ import annotations

from collections import defaultdict

import ahocorasick
from msgspec import Struct

from workers.pipeline.catalogue import CatalogueEntry

# Kinds of keyword an entry can carry (field names of CatalogueEntry).
KEYWORD = "keywords"
ACTION = "action_keywords"
RATE = "rate_keywords"
WEAK = "weak_keywords"
CONTEXT = "context_keywords"
NEGATIVE = "negative_keywords"
KINDS = (KEYWORD, ACTION, RATE, WEAK, CONTEXT, NEGATIVE)
_AUX = (CONTEXT, NEGATIVE)


class Hit(Struct, frozen=True):
    start: int
    end: int
    refs: tuple[tuple[int, str], ...]  # (entry index, kind)
    generic_rate: bool  # a rate word shared by many entries (办结率, 满意率)
    aside: bool = False  # inside （…）: an aside such as "（含简易程序）", not the counted thing

    def names(self) -> bool:
        """Whether the hit names an indicator (a keyword or an entry's own rate word)."""
        return any(kind in (KEYWORD, RATE) for _, kind in self.refs)


class KeywordIndex:
    """Every keyword of every entry, plus the shared rate words; built once per process."""

    def __init__(self, entries: list[CatalogueEntry], generic_rate_keywords: list[str]) -> None:
        refs: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for idx, entry in enumerate(entries):
            for kind in KINDS:
                for kw in getattr(entry, kind):
                    if (idx, kind) not in refs[kw]:
                        refs[kw].append((idx, kind))
        generic = set(generic_rate_keywords)
        for kw in generic:
            refs.setdefault(kw, [])
        self.automaton = ahocorasick.Automaton()
        for kw, r in refs.items():
            self.automaton.add_word(kw, (len(kw), tuple(r), kw in generic))
        self.automaton.make_automaton()

    def hits(self, text: str) -> list[Hit]:
        """All hits of ``text`` sorted by start (longer first on ties)."""
        titles = _title_mask(text)
        asides = _paren_mask(text)
        positive = []
        kept: list[Hit] = []
        for end_idx, (length, refs, generic) in self.automaton.iter(text):
            start = end_idx + 1 - length
            if titles is not None and titles[start]:
                continue
            aux = tuple(r for r in refs if r[1] in _AUX)
            pos = tuple(r for r in refs if r[1] not in _AUX)
            aside = asides is not None and bool(asides[start])
            if aux:
                kept.append(Hit(start, end_idx + 1, aux, False, aside))
            if pos or generic:
                positive.append((start, end_idx + 1, pos, generic, aside))
        positive.sort(key=lambda h: (h[0], -h[1]))
        max_end = -1
        for start, end, refs, generic, aside in positive:
            if end <= max_end:
                continue  # inside an earlier, longer keyword
            kept.append(Hit(start, end, refs, generic, aside))
            max_end = end
        kept.sort(key=lambda h: (h.start, -h.end))
        return kept


def _paren_mask(text: str) -> bytearray | None:
    """1 for characters inside （…） or (…), None when the text has none."""
    if "（" not in text and "(" not in text:
        return None
    mask = bytearray(len(text))
    depth = 0
    for i, ch in enumerate(text):
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(depth - 1, 0)
        elif ch in "\n。":
            depth = 0
        elif depth:
            mask[i] = 1
    return mask


def _title_mask(text: str) -> bytearray | None:
    """1 for characters inside 《…》 (nesting allowed), None when the text has no title."""
    if "《" not in text:
        return None
    mask = bytearray(len(text))
    depth = 0
    for i, ch in enumerate(text):
        if ch == "《":
            depth += 1
        elif ch == "》":
            depth = max(depth - 1, 0)
        elif ch in "\n。":
            depth = 0  # an unclosed title never runs past its sentence
        if depth:
            mask[i] = 1
    return mask
