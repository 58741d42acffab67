"""Documents cited in 《…》 and their type (issue 3 "citations"; rules in ``citations_types.toml``).

A title may hold nested marks (《关于印发〈XX方案〉的通知》, or 《…<…>…》 in web copies) and may
be broken by one line break or by spaces from PDF extraction. The citation span covers the
outer 《…》 as written; ``title`` drops the whitespace and writes nested marks as 《》. Each
nested title is also cited on its own, with the span of its own marks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from workers.data import load_toml
from workers.pipeline.model import Citation

_OPEN = {"《": "》", "〈": "〉", "<": ">"}
_CLOSE = {v: k for k, v in _OPEN.items()}
MAX_TITLE = 80  # characters; an unclosed 《 must not swallow a paragraph
# the characters _match reacts to: it jumps from one to the next instead of stepping through
# every character of the title
_MARKS = re.compile("[\n。；" + re.escape("".join(_OPEN) + "".join(_CLOSE)) + "]")
_LEADING_YEAR = re.compile(r"^\d{4}年度?")
_TRAILING_PAREN = re.compile(r"[（(][^（()）]{1,16}[）)]$")


@dataclass(frozen=True)
class _Types:
    law_prefixes: tuple[str, ...]
    law_suffixes: tuple[str, ...]
    not_law_suffixes: tuple[str, ...]
    place: re.Pattern[str]
    not_place_words: tuple[str, ...]
    not_in_place: tuple[str, ...]
    local_prefixes: tuple[str, ...]
    issuer_cues: tuple[str, ...]
    regulation_suffixes: tuple[str, ...]
    plan_suffixes: tuple[str, ...]
    issuer_plan_suffixes: tuple[str, ...]


@cache
def types() -> _Types:
    d = load_toml("citations_types.toml")
    suffixes = "|".join(sorted(map(re.escape, d["place_suffixes"]), key=len, reverse=True))
    return _Types(
        law_prefixes=tuple(d["law_prefixes"]),
        law_suffixes=tuple(d["law_suffixes"]),
        not_law_suffixes=tuple(d["not_law_suffixes"]),
        place=re.compile(rf"^[\u4e00-\u9fff]{{1,8}}?(?:{suffixes})"),
        not_place_words=tuple(d["not_place_words"]),
        not_in_place=tuple(d["not_in_place"]),
        local_prefixes=tuple(d["local_prefixes"]),
        issuer_cues=tuple(d["issuer_cues"]),
        regulation_suffixes=tuple(d["regulation_suffixes"]),
        plan_suffixes=tuple(d["plan_suffixes"]),
        issuer_plan_suffixes=tuple(d["issuer_plan_suffixes"]),
    )


def _starts_with_place(title: str, t: _Types) -> bool:
    title = _LEADING_YEAR.sub("", title)  # "2022年宝坻区政务公开工作要点"
    if title.startswith(t.local_prefixes):
        return True
    m = t.place.match(title)
    if m is None:
        return False
    place = m.group(0)
    if any(w in place for w in t.not_in_place):
        return False
    # the suffix must not sit inside a common word (社区, 城市, 乡镇…)
    last = m.end() - 1
    return not any(
        title[i : i + n] in words for n, words in _by_length(t.not_place_words) for i in range(max(0, last - n + 1), last + 1)
    )


@cache
def _by_length(words: tuple[str, ...]) -> tuple[tuple[int, frozenset[str]], ...]:
    """Words grouped by length: one set lookup per length and position, not one per word."""
    return tuple((n, frozenset(w for w in words if len(w) == n)) for n in sorted({len(w) for w in words}))


def classify(title: str) -> str:
    """Citation type of a title (see ``citations_types.toml`` for the rule order)."""
    t = types()
    core = _TRAILING_PAREN.sub("", title)
    if title.startswith(t.law_prefixes) and "法" in title and not core.endswith(t.regulation_suffixes):
        return "national_law"
    if core.endswith(t.law_suffixes) and not core.endswith(t.not_law_suffixes):
        return "national_law"
    if _starts_with_place(title, t):
        return "local_document"
    if title.startswith(t.issuer_cues) and not core.endswith(t.issuer_plan_suffixes):
        return "regulation"
    if core.endswith(t.regulation_suffixes):
        return "regulation"
    if core.endswith(t.plan_suffixes):
        return "plan"
    return "other"


def find(text: str) -> list[Citation]:
    """Every 《…》 citation in text order (outer first, then the nested ones it holds)."""
    out: list[Citation] = []
    i = 0
    while True:
        i = text.find("《", i)
        if i == -1:
            return out
        spans = _match(text, i)
        if spans is None:
            i += 1
            continue
        for s, e in spans:
            title = _clean(text[s + 1 : e - 1])
            if title:
                out.append(Citation(title=title, type=classify(title), start=s, end=e))
        i = spans[0][1]


def _match(text: str, start: int) -> list[tuple[int, int]] | None:
    """Spans of the 《…》 opening at ``start`` and of the titles nested in it, or None."""
    stack: list[tuple[str, int]] = [("《", start)]
    nested: list[tuple[int, int]] = []
    breaks = 0
    limit = min(len(text), start + MAX_TITLE + 1)
    j = start + 1
    while (m := _MARKS.search(text, j, limit)) is not None:
        j = m.start()
        ch = text[j]
        if ch == "\n":
            breaks += 1
            if breaks > 1:
                return None
        elif ch in _OPEN:
            stack.append((ch, j))
        elif ch in _CLOSE:
            opener, at = stack[-1]
            if _OPEN[opener] != ch:
                return None
            stack.pop()
            if not stack:
                return [(start, j + 1), *nested]
            nested.append((at, j + 1))
        elif ch in "。；":
            return None
        j += 1
    return None


def _clean(inner: str) -> str:
    s = "".join(inner.split())
    return s.replace("〈", "《").replace("〉", "》").replace("<", "《").replace(">", "》")
