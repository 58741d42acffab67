"""Places a heading in a 纲要 system (domain reference §2) by the phrases its title contains.

Names (2021 and 2015) and keywords come from ``framework_systems.toml``. The longest phrase
found wins, so "依法行政制度体系" (rules_system) beats "行政决策" in
"健全依法行政制度体系，持续推进科学民主决策"; on equal length the earlier phrase wins.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import ahocorasick

from workers.data import load_toml
from workers.pipeline.model import Heading


def fold(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


_IDEOGRAPH = re.compile("[\u4e00-\u9fff]")


def fold_head(s: str, n: int) -> str:
    """``fold(s)[:n]``, normalising only as much of a long paragraph as that needs.

    A CJK unified ideograph is a stable code point for NFKC (combining class 0, quick check
    Yes: it neither decomposes nor composes with what precedes it), so when ``s[k]`` is one,
    ``fold(s[:k])`` is a prefix of ``fold(s)``.
    """
    if len(s) <= n:
        return fold(s)[:n]
    at = n
    while (m := _IDEOGRAPH.search(s, at)) is not None:
        head = fold(s[: m.start()])
        if len(head) >= n:
            return head[:n]
        at = m.start() + 1
    return fold(s)[:n]


@cache
def _automaton() -> ahocorasick.Automaton:
    auto = ahocorasick.Automaton()
    for system in load_toml("framework_systems.toml")["system"]:
        phrases = [system["name"], *system.get("keywords", [])]
        if "name_2015" in system:
            phrases.append(system["name_2015"])
        for phrase in phrases:
            key = fold(phrase)
            # a phrase listed under two systems keeps the first (file order = precedence)
            if key not in auto:
                auto.add_word(key, (len(key), system["id"]))
    auto.make_automaton()
    return auto


def system_of(title: str) -> str | None:
    """The system id whose longest phrase occurs in ``title``, or None."""
    best: tuple[int, int, str] | None = None  # (-length, start, id)
    for end, (length, sid) in _automaton().iter(fold(title)):
        key = (-length, end - length + 1, sid)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def assign(headings: list[Heading]) -> None:
    """Set ``system`` on each heading; a heading without its own inherits its parent's."""
    parents: list[Heading] = []
    for h in headings:
        while parents and (parents[-1].level >= h.level or parents[-1].end <= h.start):
            parents.pop()
        own = system_of(h.title)
        h.system = own if own is not None else (parents[-1].system if parents else None)
        parents.append(h)


def warm() -> None:
    _automaton()
