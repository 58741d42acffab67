"""Keyword dictionary over the indicator catalogue (one Aho-Corasick automaton).

A document is scanned once, and only the lines/sentences around its numbers (``hits_near``): the
title and aside masks restart at every line and sentence end and no keyword spans one, so the
hits found there are exactly those of a whole-text scan. Positive keywords (keywords, verbs, rate names, role nouns) are
matched leftmost-longest: a hit inside a longer hit is dropped, which is what lets "不予处罚"
outrank the "处罚" it contains without a special case. Context and ruling-out words are kept
wherever they occur, even inside a longer keyword ("复议" in "行政复议申请"). Words inside
《》 are dropped: they belong to a document's title, not to the fact being counted.
"""

from __future__ import annotations

import bisect
import re
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
    specific: float = 1.0  # longer keywords are more specific (``specificity`` in [weights])
    aux: bool = False  # a context or ruling-out word (its refs are of those kinds only)

    def names(self) -> bool:
        """Whether the hit names an indicator (a keyword or an entry's own rate word)."""
        return any(kind in (KEYWORD, RATE) for _, kind in self.refs)


class KeywordIndex:
    """Every keyword of every entry, plus the shared rate words; built once per process."""

    def __init__(
        self, entries: list[CatalogueEntry], generic_rate_keywords: list[str], specificity: float = 0.0
    ) -> None:
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
            # Everything a hit needs from its word is worked out here, once, not once per hit:
            # (length, context/ruling-out refs, other refs, generic rate word, positive,
            # specificity factor, entries it names).
            aux = tuple(x for x in r if x[1] in _AUX)
            pos = tuple(x for x in r if x[1] not in _AUX)
            specific = 1.0 + specificity * max(len(kw) - 2, 0)
            names = tuple(idx for idx, kind in pos if kind in (KEYWORD, RATE))
            positive = bool(pos) or kw in generic
            self.automaton.add_word(kw, (len(kw), aux, pos, kw in generic, positive, specific, names))
        self.automaton.make_automaton()
        # Title and aside masks restart at every line and sentence end, and no keyword spans
        # one, so the text can be scanned one stretch between such marks at a time.
        self.splittable = not any(mark in kw for kw in refs for mark in _RESET_MARKS)

    def hits(self, text: str) -> list[Hit]:
        """All hits of ``text`` sorted by start (longer first on ties)."""
        return self._scan(text, 0)

    def hits_near(self, text: str, ranges: list[tuple[int, int]]) -> list[Hit]:
        """The hits of ``hits(text)`` that lie in the lines/sentences overlapping the ``(start,
        end)`` ranges (hits starting at ``end`` included), sorted the same way.

        A document's quantities look only at the text around them; the rest is not scanned.
        """
        if not self.splittable:
            return self.hits(text)
        kept: list[Hit] = []
        for start, end in _stretches(text, ranges):
            kept.extend(self._scan(text[start:end], start))
        return kept

    def named(self, text: str) -> set[int]:
        """Entries named by a keyword or their own rate word among ``hits(text)``: the same
        filters, without building the hits (a quantity's subject is a few words)."""
        found = [
            (end_idx + 1 - value[0], -end_idx - 1, value[6])
            for end_idx, value in self.automaton.iter(text)
            if value[4]  # positive words only: context words never hide a keyword
        ]
        found.sort()
        titles = _title_mask(text)
        out: set[int] = set()
        max_end = -1
        for start, neg_end, names in found:
            if titles is not None and titles[start]:
                continue
            if -neg_end <= max_end:
                continue  # inside an earlier, longer keyword
            max_end = -neg_end
            out.update(names)
        return out

    def _scan(self, text: str, offset: int) -> list[Hit]:
        """The hits of ``text``, which starts at ``offset`` of the document just after a line
        or sentence end (or at its start), with positions in the document."""
        titles = _title_mask(text)
        asides = _paren_mask(text)
        # One sort by (start, longer first, context/ruling-out words before positive ones) gives
        # both the order the leftmost-longest filter needs and the order returned; no two
        # entries tie on those three, so the sort never compares the rest.
        found = []
        for end_idx, (length, aux, pos, generic, positive, specific, _) in self.automaton.iter(text):
            start = end_idx + 1 - length
            if titles is not None and titles[start]:
                continue
            aside = asides is not None and asides[start] == 1
            if aux:
                found.append((start, -end_idx - 1, 0, aux, False, aside, specific, True))
            if positive:
                found.append((start, -end_idx - 1, 1, pos, generic, aside, specific, False))
        found.sort()
        kept: list[Hit] = []
        max_end = -1  # end of the last kept positive hit
        for start, neg_end, is_positive, refs, generic, aside, specific, is_aux in found:
            if is_positive:
                if -neg_end <= max_end:
                    continue  # inside an earlier, longer keyword
                max_end = -neg_end
            kept.append(Hit(start + offset, offset - neg_end, refs, generic, aside, specific, is_aux))
        return kept


class DocHits:
    """One document's hits, arranged for the lookups of each quantity.

    Keywords, verbs and rate words (``positive``) are weighed hit by hit; context and
    ruling-out words only matter for the few entries that end up as candidates, so they are
    grouped by entry and looked up by position when a candidate asks.
    """

    def __init__(self, hits: list[Hit]) -> None:
        self.all = hits
        self.starts = [h.start for h in hits]
        self.positive = [h for h in hits if not h.aux]
        self.positive_starts = [h.start for h in self.positive]
        # entry index → (starts, hits) of its context words, and of its ruling-out words
        self.context: dict[int, tuple[list[int], list[Hit]]] = {}
        self.negative: dict[int, tuple[list[int], list[Hit]]] = {}
        for h in hits:
            if h.aux:
                for idx, kind in h.refs:
                    table = self.context if kind == CONTEXT else self.negative
                    starts, found = table.setdefault(idx, ([], []))
                    starts.append(h.start)
                    found.append(h)


def between(table: tuple[list[int], list[Hit]], start: int, end: int) -> list[Hit]:
    """The hits of a ``DocHits.context``/``negative`` entry that start in [start, end)."""
    starts, found = table
    lo = bisect.bisect_left(starts, start)
    return found[lo : bisect.bisect_left(starts, end, lo)]


_RESET_MARKS = "\n。"
_RESETS = re.compile("[\n。]")


def _stretches(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Stretches of ``text`` from just after a line/sentence end to the next one that cover each
    ``(start, end)`` range, ``end`` included; merged and in text order."""
    resets = [found.start() for found in _RESETS.finditer(text)]
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        k = bisect.bisect_left(resets, a)
        start = resets[k - 1] + 1 if k > 0 else 0
        k = bisect.bisect_left(resets, b, k)
        end = resets[k] if k < len(resets) else len(text)
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


# The masks are built from the bracket and sentence marks only (a regex finds them), filling the
# runs between two marks by slice assignment: no Python step per character of the text.
_PAREN_MARKS = re.compile("[（()）\n。]")
_TITLE_MARKS = re.compile("[《》\n。]")


def _paren_mask(text: str) -> bytearray | None:
    """1 for characters inside （…） or (…), None when the text has none.

    The brackets themselves are not inside; a line or sentence end closes every bracket.
    """
    if "（" not in text and "(" not in text:
        return None
    mask = bytearray(len(text))
    depth = 0
    prev = -1  # the last mark seen; the characters after it up to the next mark share its depth
    for m in _PAREN_MARKS.finditer(text):
        pos = m.start()
        if depth and pos > prev + 1:
            mask[prev + 1 : pos] = b"\x01" * (pos - prev - 1)
        ch = text[pos]
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(depth - 1, 0)
        else:
            depth = 0
        prev = pos
    if depth and len(text) > prev + 1:
        mask[prev + 1 :] = b"\x01" * (len(text) - prev - 1)
    return mask


def _title_mask(text: str) -> bytearray | None:
    """1 for characters inside 《…》 (nesting allowed), None when the text has no title.

    The marks count as inside while the depth after them is positive (《 itself, an inner 》).
    """
    if "《" not in text:
        return None
    mask = bytearray(len(text))
    depth = 0
    prev = 0  # start of the run that shares the current depth
    for m in _TITLE_MARKS.finditer(text):
        pos = m.start()
        if depth and pos > prev:
            mask[prev:pos] = b"\x01" * (pos - prev)
        ch = text[pos]
        if ch == "《":
            depth += 1
        elif ch == "》":
            depth = max(depth - 1, 0)
        else:
            depth = 0  # an unclosed title never runs past its sentence
        prev = pos
    if depth and len(text) > prev:
        mask[prev:] = b"\x01" * (len(text) - prev)
    return mask
