"""Which 纲要 a report follows, and where the 法治政府 纲要 is cited with its years.

Citations are shared with the checks stage (``citation.framework_years``). Domain reference §2;
data in ``framework_systems.toml`` and ``metadata_framework.toml``.
"""

from __future__ import annotations

import re
from functools import cache

from msgspec import Struct

from workers.data import load_toml
from workers.pipeline.model import Framework


class FrameworkCitation(Struct, frozen=True):
    start: int  # the stem through the closing bracket
    end: int
    start_year: int
    end_year: int | None


@cache
def _frameworks() -> list[dict]:
    return load_toml("framework_systems.toml")["framework"]


@cache
def _citation_regex() -> re.Pattern:
    stems = "|".join(re.escape(s) for s in load_toml("metadata_framework.toml")["citation_stems"])
    return re.compile(
        rf"(?:{stems})\s*》?\s*[（(\[]\s*(?P<a>\d{{4}})\s*(?:[—－\-–~〜至―一]+\s*)?(?P<b>\d{{4}})?\s*年?\s*[）)\]]"
    )


def citations(text: str) -> list[FrameworkCitation]:
    out = []
    for m in _citation_regex().finditer(text):
        b = int(m["b"]) if m["b"] else None
        out.append(FrameworkCitation(m.start(), m.end(), int(m["a"]), b))
    return out


def expected_years() -> set[tuple[int, int]]:
    return {(f["start_year"], f["end_year"]) for f in _frameworks()}


def _by_start_year(year: int) -> Framework | None:
    for f in _frameworks():
        if f["start_year"] == year:
            return f["id"]
    return None


def _by_report_year(year: int) -> Framework | None:
    """The framework in force for the whole year; None in a framework's first year."""
    for f in _frameworks():
        if f["start_year"] < year <= f["end_year"]:
            return f["id"]
    return None


def detect(text: str, report_year: int | None) -> tuple[Framework | None, tuple[int, int] | None]:
    """The framework and the span that decided it.

    A 纲要 did not exist before its start year and is replaced after its end year, so a known
    report year settles every year except a framework's first (the 2021 纲要 came mid-year).
    Otherwise the years of a cited 纲要 decide, then its goal phrases, then the year.
    """
    cites = citations(text)
    if report_year is not None:
        fw = _by_report_year(report_year)
        if fw is not None:
            span = next(((c.start, c.end) for c in cites if _by_start_year(c.start_year) == fw), None)
            return fw, span or _goal_phrase(text, fw)
    for c in cites:
        fw = _by_start_year(c.start_year)
        if fw is not None:
            return fw, (c.start, c.end)
    best = _best_goal_phrase(text)
    if best is not None:
        return best[1], best[2]
    if report_year is not None and report_year >= 2021:
        return "2021-2025", None
    return None, None


def _goal_phrase(text: str, fw: Framework) -> tuple[int, int] | None:
    best = _best_goal_phrase(text, fw)
    return best[2] if best else None


def _best_goal_phrase(text: str, only: Framework | None = None) -> tuple[int, Framework, tuple[int, int]] | None:
    """The longest non-weak goal phrase in the text (智能高效 → 2021-2025, 守法诚信 → 2015-2020)."""
    weak = set(load_toml("metadata_framework.toml")["weak_goal_phrases"])
    best: tuple[int, Framework, tuple[int, int]] | None = None
    for f in _frameworks():
        if only is not None and f["id"] != only:
            continue
        for phrase in f["goal_phrases"]:
            if phrase in weak:
                continue
            i = text.find(phrase)
            if i >= 0 and (best is None or len(phrase) > best[0]):
                best = (len(phrase), f["id"], (i, i + len(phrase)))
    return best
