"""Maps the heading tree to the five required content items (督察工作规定; domain reference §1.2, §1.4).

* A top-level heading is classified by the keywords of ``sections_kinds.toml``.
* Unclassified top-level headings (2015-纲要 area headings such as "一、依法全面履行政府职能",
  or free-form town headings) are ``measures`` until a shortcomings/plans part has started,
  ``other`` after it. Each one is its own Section: area headings are never dropped.
* When the top level is generic ("一、2022年法治政府建设情况") and its children name the parts,
  the children become the sections.
* A responsibility / other heading nested in a measures part gets its own (nested) Section.
* Without numbered headings, parts open at paragraphs that start with a cue ("存在的问题",
  "下一步"); the same split serves a combined heading ("存在的问题及下一步打算") and parts written
  without a number after the last numbered heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from workers.data import load_toml
from workers.pipeline.model import Heading, Section
from workers.pipeline.outline_headings import lines
from workers.pipeline.outline_systems import fold, fold_head

_YEAR = re.compile(r"(20\d{2})\s*年")
SHORT_HEADING = 20  # characters; an unnumbered heading line ("存在的问题") is at most this long


@dataclass(frozen=True)
class _Tables:
    priority: tuple[str, ...]
    heading: dict[str, tuple[str, ...]]
    cues: dict[str, tuple[str, ...]]
    cue_window: dict[str, int]
    other_prefixes: tuple[str, ...]
    object_verbs: tuple[str, ...]
    objects_apply_to: frozenset[str]
    # one regex per kind for "does any of its words occur": a quick test before the word-by-word
    # checks (most titles and paragraphs name no kind)
    heading_any: dict[str, re.Pattern[str]]
    cues_any: dict[str, re.Pattern[str]]
    head_chars: int  # how much of a paragraph's opening _cue_kind reads


def _any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, words)))


@cache
def tables() -> _Tables:
    d = load_toml("sections_kinds.toml")
    heading = {k: tuple(map(fold, v)) for k, v in d["heading_keywords"].items()}
    cues = {k: tuple(map(fold, v)) for k, v in d["paragraph_cues"].items()}
    return _Tables(
        priority=tuple(d["priority"]),
        heading=heading,
        cues=cues,
        cue_window=d["cue_window"],
        other_prefixes=tuple(d["other_title_prefixes"]),
        object_verbs=tuple(map(fold, d["object_verbs"])),
        objects_apply_to=frozenset(d["objects_apply_to"]),
        heading_any={k: _any_of(v) for k, v in heading.items() if v},
        cues_any={k: _any_of(v) for k, v in cues.items() if v},
        head_chars=max([SHORT_HEADING, *d["cue_window"].values()]) + 1,
    )


_CLAUSE_MARKS = "，,、；;：:"


def _names(folded: str, word: str, t: _Tables, kind: str) -> bool:
    """Whether ``word`` occurs in the title as the name of a part, not as a verb's object."""
    at = folded.find(word)
    while at >= 0:
        if kind not in t.objects_apply_to:
            return True
        clause = folded[max(folded.rfind(m, 0, at) for m in _CLAUSE_MARKS) + 1 : at]
        if not any(v in clause for v in t.object_verbs):
            return True
        at = folded.find(word, at + 1)
    return False


def kinds_of(title: str, report_year: int | None = None) -> list[str]:
    """All kinds whose keywords occur in a heading title, in priority order.

    A title naming no kind but a year after the reported one ("2024年工作重点") is plans.
    """
    t = tables()
    folded = fold(title)
    found = [
        k
        for k in t.priority
        if k in t.heading_any
        and t.heading_any[k].search(folded)
        and any(_names(folded, w, t, k) for w in t.heading[k])
    ]
    if not found and folded.startswith(t.other_prefixes):
        found = ["other"]
    if not found and report_year is not None:
        if any(int(y) > report_year for y in _YEAR.findall(folded)):
            found = ["plans"]
    return found


def classify(title: str, report_year: int | None = None) -> str | None:
    """The kind of a heading, or None when it names no required item.

    A title naming both shortcomings and plans returns "shortcomings+plans".
    """
    found = kinds_of(title, report_year)
    if "shortcomings" in found and "plans" in found:
        return "shortcomings+plans"
    return found[0] if found else None


def guess_report_year(text: str) -> int | None:
    """The reported year: the year in the title line, else the first year in the opening."""
    opening = text[:400]
    for s, e in lines(opening):
        line = opening[s:e]
        m = _YEAR.search(line)
        if m and "报告" in line:
            return int(m.group(1))
    m = _YEAR.search(opening)
    return int(m.group(1)) if m else None


def _children(h: Heading, headings: list[Heading]) -> list[Heading]:
    inside = [c for c in headings if h.start < c.start < h.end and c.level > h.level]
    if not inside:
        return []
    top = min(c.level for c in inside)
    return [c for c in inside if c.level == top]


def build(text: str, headings: list[Heading], body_end: int) -> list[Section]:
    """Sections of the document, ordered by start (nested ones follow their parent)."""
    year = guess_report_year(text)
    if not headings:
        return by_cues(text, _body_start(text), body_end, year=year)
    top_level = min(h.level for h in headings)
    sections: list[Section] = []
    later_part = False  # a shortcomings/plans part has been seen
    for h in (h for h in headings if h.level == top_level):
        kind = classify(h.title, year)
        kids = _children(h, headings)
        kid_kinds = [(c, classify(c.title, year)) for c in kids]
        strong = {k for _, k in kid_kinds if k not in (None, "measures")}
        if (kind in (None, "shortcomings+plans") and strong) or (kind == "measures" and _names_parts(strong)):
            out = _from_children(kid_kinds, later_part, text, year)
        elif kind == "shortcomings+plans":
            out = by_cues(text, h.start, h.end, first="shortcomings", heading=h.title, year=year)
        else:
            if kind is None:
                kind = "other" if later_part else "measures"
            out = [Section(kind=kind, heading=h.title, start=h.start, end=h.end)]
            if kind == "measures":
                out += [
                    Section(kind=k, heading=c.title, start=c.start, end=c.end)
                    for c, k in kid_kinds
                    if k in ("responsibility", "other")
                ]
        sections += out
        later_part = later_part or any(s.kind in ("shortcomings", "plans") for s in out)
    return _unnumbered_tail(text, headings, sections, body_end, year)


def _unnumbered_tail(
    text: str, headings: list[Heading], sections: list[Section], body_end: int, year: int | None
) -> list[Section]:
    """Parts written without a number after the last numbered heading ("存在的问题" on its own
    line, "下一步，…" paragraphs) are split off the section that would otherwise hold them."""
    tail = max(h.title_end for h in headings)
    skip = {s.kind for s in sections}
    if sections and sections[-1].kind in ("shortcomings", "plans"):
        # inside the last parts only a following part can open: plans after shortcomings,
        # never a responsibility part from "压实第一责任人职责" in a plan
        skip |= {"responsibility", "shortcomings"}
    parts = [p for p in by_cues(text, tail, body_end, year=year, skip=skip) if p.start > tail]
    if not parts:
        return sections
    cut = parts[0].start
    for sec in sections:
        if sec.end > cut:
            sec.end = _rstrip(text, sec.start, cut)
    for h in headings:
        if h.end > cut:
            h.end = max(_rstrip(text, h.start, cut), h.title_end)
    return sections + parts


def _names_parts(kinds: set[str | None]) -> bool:
    """Children of a measures heading name the report's parts (not just a nested
    responsibility or 短板 subsection) when they include plans, or shortcomings plus another."""
    return "plans" in kinds or ("shortcomings" in kinds and len(kinds) >= 2)


def _from_children(
    kid_kinds: list[tuple[Heading, str | None]], later_part: bool, text: str, year: int | None
) -> list[Section]:
    out: list[Section] = []
    for c, k in kid_kinds:
        if k == "shortcomings+plans":
            out += by_cues(text, c.start, c.end, first="shortcomings", heading=c.title, year=year)
            later_part = True
            continue
        if k is None:
            k = "other" if later_part else "measures"
        later_part = later_part or k in ("shortcomings", "plans")
        out.append(Section(kind=k, heading=c.title, start=c.start, end=c.end))
    return out


def _body_start(text: str) -> int:
    """Start of the first real paragraph (skips the title and portal header lines)."""
    for s, e in lines(text):
        line = text[s:e].strip()
        if len(line) >= 40 or "。" in line:
            return s + (len(text[s:e]) - len(text[s:e].lstrip()))
    return 0


def _cue_kind(paragraph: str, report_year: int | None = None) -> str | None:
    """The part a paragraph opens: a cue phrase at its start, or a short unnumbered heading line."""
    t = tables()
    para = paragraph.strip().lstrip("-•·*")
    # only the opening is read: the cue windows, a short heading, a leading year; a cut inside
    # the spaces of "2023   年" would hide the year, so then the whole paragraph is folded
    head = fold_head(para, t.head_chars)
    if len(head) == t.head_chars and head[-1].isspace():
        head = fold(para)
    for kind in t.priority:
        cues = t.cues_any.get(kind)
        if cues is not None and cues.search(head[: t.cue_window.get(kind, 0)]):
            return kind
    m = _YEAR.match(head)
    if m and report_year is not None and int(m.group(1)) > report_year:
        return "plans"
    if len(head) <= SHORT_HEADING and "。" not in head.rstrip("。"):
        kind = classify(head, report_year)
        return "shortcomings" if kind == "shortcomings+plans" else kind
    return None


def by_cues(
    text: str,
    start: int,
    end: int,
    first: str = "measures",
    heading: str = "",
    year: int | None = None,
    skip: set[str] | None = None,
) -> list[Section]:
    """Split [start, end) into parts at paragraphs that open with a cue phrase.

    Each kind opens once (kinds in ``skip`` never); the part before the first cue has kind
    ``first``.
    """
    if start >= end:
        return []
    cuts: list[tuple[int, str, str]] = [(start, first, heading)]
    seen = {first, "measures", *(skip or ())}
    for s, e in lines(text):
        if s <= start or s >= end:
            continue
        para = text[s:e]
        kind = _cue_kind(para, year)
        if kind is None or kind in seen:
            continue
        seen.add(kind)
        lead = len(para) - len(para.lstrip())
        cuts.append((s + lead, kind, _lead_phrase(para.strip())))
    sections = []
    for i, (s, kind, head) in enumerate(cuts):
        e = cuts[i + 1][0] if i + 1 < len(cuts) else end
        e = _rstrip(text, s, e)
        if e > s:
            sections.append(Section(kind=kind, heading=head, start=s, end=e))
    return sections


def _lead_phrase(para: str) -> str:
    m = re.match(r"[^。，,；;：:！？]{1,30}", para)
    return m.group(0) if m else para[:30]


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end
