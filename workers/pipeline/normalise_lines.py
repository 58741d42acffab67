"""Line-level cleaning for the normalise stage: spaces, page chrome, re-joining broken lines.

A ``Line`` carries its text and, per character, the index into the raw text it came from,
so that every deletion keeps the offset map exact. Rules and patterns live in
``workers/data/normalise_text.toml`` and ``normalise_chrome.toml``.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, repeat
from operator import add, and_, itemgetter

from workers.data import load_toml
from workers.pipeline.regex_starts import StartScan

_GAPS = re.compile(r"[ \t]+")
_DIGITS = re.compile(r"\d+")
_LATIN = re.compile(r"[A-Za-z]")
_ALNUM = re.compile(r"[A-Za-z0-9]")
# A line ending in digits glued to CJK text (not a table cell "2020 25 31", not a time "14:14").
_SPLIT_NUMBER = re.compile(r"[\u3400-\u9fff]\d+$")


@dataclass(slots=True)
class Line:
    text: str
    # raw-text index of each character: an array('i'), so that cutting and joining lines
    # slices and concatenates machine ints (memcpy) instead of building lists of Python ints
    idx: array
    brk: int  # raw-text index of the line break that ends the line
    page: int | None = None  # 0-based PDF page
    by_page_mark: bool = False  # first line after a dropped page-number line (a page header)
    table_row: bool = False  # tab- or pipe-separated cells: stands alone, never re-joined


@dataclass(frozen=True, slots=True)
class Rules:
    terminal: frozenset[str]
    closers: str
    enumerator: re.Pattern[str]
    heading_max: int
    # character classes: one C-level search instead of a Python loop over a line's characters
    prose_marks: re.Pattern[str]
    sentence_marks: re.Pattern[str]
    tail_marks: re.Pattern[str]  # either of the two
    wrap_share: float
    wrap_quantile: float
    wrap_max: int
    heading_tail_share: float
    continuation_starts: frozenset[str]
    standalone_end: re.Pattern[str]
    after_digit: frozenset[str]
    keep_space_before: re.Pattern[str]
    # text input: a lone space with no Latin letter beside it and no field label after it (the
    # PDF-copy space between CJK characters: most gaps), cut without a Python test per gap
    lone_space: re.Pattern[str]
    spaced_share: float
    cell_gap_em: float
    bullet: re.Pattern[str]
    md_heading: re.Pattern[str]
    md_inline: StartScan
    md_row: re.Pattern[str]
    md_rule: re.Pattern[str]
    page_number: re.Pattern[str]
    bare_page_number: re.Pattern[str]
    spam_line: re.Pattern[str]
    spam_line_max: int
    # tried only where a match can start (``regex_starts``): trying every alternative of a
    # watermark list at every character of every line was the stage's largest cost
    spam_inline: StartScan
    running_max: int
    running_min_text: int
    running_page_share: float
    running_edge: int


_SENTENCE_MARKS = "。！？；;!?"


def _char_class(chars: str) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(ch) for ch in sorted(set(chars))) + "]")


@cache
def rules() -> Rules:
    text = load_toml("normalise_text.toml")
    chrome = load_toml("normalise_chrome.toml")
    running = chrome["running"]
    spam_inline = re.compile("(?:" + "|".join(chrome["spam_inline"]) + ")")
    md_inline = re.compile(text["markdown_inline"])
    keep_space_before = "(?:" + "|".join(map(re.escape, text["keep_space_before"])) + ")"
    return Rules(
        terminal=frozenset(text["terminal"]),
        closers=text["closers"],
        enumerator=re.compile("(?:" + "|".join(text["enumerator_starts"]) + ")"),
        heading_max=text["heading_max_chars"],
        prose_marks=_char_class(text["prose_marks"]),
        sentence_marks=_char_class(_SENTENCE_MARKS),
        tail_marks=_char_class(_SENTENCE_MARKS + text["prose_marks"]),
        wrap_share=text["wrap_share"],
        wrap_quantile=text["wrap_quantile"],
        wrap_max=text["wrap_max"],
        heading_tail_share=text["heading_tail_share"],
        continuation_starts=frozenset(text["continuation_starts"]),
        standalone_end=re.compile(text["standalone_end"]),
        spaced_share=text["spaced_line_share"],
        cell_gap_em=text["pdf_cell_gap_em"],
        after_digit=frozenset(text["after_digit_continuations"]),
        keep_space_before=re.compile(keep_space_before),
        # (the space first, so that ``re`` skips ahead to spaces; the lookbehind then checks
        # the character before it)
        lone_space=re.compile(r" (?<=[^A-Za-z \t] )(?=[^A-Za-z \t])(?!" + keep_space_before + ")"),
        bullet=re.compile(text["line_bullet"]),
        md_heading=re.compile(text["markdown_heading"]),
        md_inline=StartScan(md_inline),
        md_row=re.compile(text["markdown_table_row"]),
        md_rule=re.compile(text["markdown_table_rule"]),
        page_number=re.compile("(?:" + "|".join(chrome["page_number_lines"]) + ")"),
        bare_page_number=re.compile(chrome["bare_page_number"]),
        spam_line=re.compile("(?:" + "|".join(chrome["spam_lines"]) + ")"),
        spam_line_max=chrome["spam_line_max_chars"],
        spam_inline=StartScan(spam_inline),
        running_max=running["max_chars"],
        running_min_text=running["min_repeats_text"],
        running_page_share=running["min_page_share"],
        running_edge=running["edge_lines"],
    )


# ------------------------------------------------------------------------------------------
# Within a line
# ------------------------------------------------------------------------------------------


def clean_line(
    line: Line,
    r: Rules,
    cell_gap: Callable[[int, int], bool] | None = None,
    spam: bool = True,
    md_marks: bool = True,
) -> Line:
    """Strip the line, cut bullets and inline spam, then drop PDF spaces between CJK/digits.

    ``cell_gap(i, j)`` (PDF input): are raw characters i and j drawn a table cell apart?
    ``spam`` / ``md_marks`` False: the whole text has no place where inline spam / markdown
    marks can start (``inline_marks``), so the line need not be scanned for them.
    """
    s = line.text
    lead = len(s) - len(s.lstrip())
    trail = len(s.rstrip())
    if r.md_row.fullmatch(s, lead, trail):
        if r.md_rule.fullmatch(s, lead, trail):
            return _cut(line, [(0, len(s))])
        # the outer pipes go, the inner ones separate cells as tabs do
        s = s[: lead + 1] + s[lead + 1 : trail - 1].replace("|", "\t") + s[trail - 1 :]
        line = Line(s, line.idx, line.brk, line.page)
        lead, trail = lead + 1, trail - 1
        spam = md_marks = True  # the text changed: no longer covered by inline_marks
    cuts: list[tuple[int, int]] = []
    m = r.md_heading.match(s, lead)
    if m and m.end() < trail:
        lead = m.end()
    m = r.bullet.match(s, lead)
    if m and m.end() < trail and not r.page_number.fullmatch(s, lead, trail):
        lead = m.end()
    cuts.append((0, lead))
    if spam:
        cuts.extend(r.spam_inline.spans(s, lead, trail))
    if md_marks:
        cuts.extend(r.md_inline.spans(s, lead, trail))
    cuts.append((trail, len(s)))
    line = _cut(line, cuts)
    s = line.text
    if s != s.strip():  # spam cut at an edge
        lead = len(s) - len(s.lstrip())
        line = _cut(line, [(0, lead), (len(s.rstrip()), len(s))])
        s = line.text
    n_spaces = s.count(" ")
    tabs = "\t" in s
    if not n_spaces and not tabs:
        return line  # nothing below applies
    cells = False
    spaced_out = n_spaces >= r.spaced_share * len(s)
    if cell_gap is None and not tabs:
        # the usual line: every gap a lone space to cut; split and re-join with no Python step
        # per gap (a lone space between two digits stays unless the line is spaced out). Any
        # other line takes the loop below, gap by gap. (s is stripped: no gap at an edge.)
        pieces = r.lone_space.split(s)
        if len(pieces) == n_spaces + 1 and (spaced_out or not _digit_pair(pieces)):
            return _join_pieces(line, pieces)
    spaces: list[tuple[int, int]] = []
    for m in _GAPS.finditer(s):
        a, b = m.span()
        left, right = s[a - 1], s[b]
        if tabs and "\t" in s[a:b]:
            # a tab separates table cells ("执法检查（次）⇥1862⇥2140"): one space stays
            tab = s.index("\t", a)
            spaces.extend(((a, tab), (tab + 1, b)))
            continue
        if (left.isascii() and left.isalpha()) or (right.isascii() and right.isalpha()):
            continue  # Latin words keep their spaces
        # between words and numbers only: after a bracket the quantities stage already reads
        # "复议纠错（件）11" as a row of the table it parses from the PDF's cells
        if cell_gap is not None and left.isalnum() and right.isalnum() and cell_gap(line.idx[a - 1], line.idx[b]):
            spaces.append((a + 1, b))
            cells = True
            continue
        if left.isdigit() and right.isdigit() and not spaced_out:
            continue  # "2023-03-22 14:14"
        if r.keep_space_before.match(s, b) or (b - a > 1 and not (left.isdigit() or right.isdigit())):
            # a field label follows, or a wide gap separates fields ("副县长  李明华"): one space
            spaces.append((a + 1, b))
            continue
        spaces.append((a, b))
    line = _cut(line, spaces)
    if "\t" in line.text:
        line.text = line.text.replace("\t", " ")
        line.table_row = True
    elif cells:
        line.table_row = True
    return line


def _digit_pair(pieces: list[str]) -> bool:
    """Does a digit end one piece and another start the next (all pieces non-empty)?"""
    ends = map(str.isdigit, map(itemgetter(-1), pieces[:-1]))
    starts = map(str.isdigit, map(itemgetter(0), pieces[1:]))
    return any(map(and_, ends, starts))


def _join_pieces(line: Line, pieces: list[str]) -> Line:
    """The line as ``pieces`` split from it at single characters: text and index map joined by
    C-level map/accumulate, with no Python step per piece."""
    if len(pieces) == 1:
        return line
    lens = list(map(len, pieces))
    starts = list(accumulate(map(add, lens[:-1], repeat(1)), initial=0))
    slices = map(slice, starts, map(add, starts, lens))
    return Line("".join(pieces), concat(map(line.idx.__getitem__, slices)), line.brk, line.page)


def _cut(line: Line, cuts: list[tuple[int, int]]) -> Line:
    """The line without the (sorted, possibly overlapping or empty) spans in ``cuts``."""
    s = line.text
    kept: list[tuple[int, int]] = []
    pos = 0
    cut = False
    for a, b in sorted(cuts):
        if b <= a:
            continue
        cut = True
        if a > pos:
            kept.append((pos, a))
        if b > pos:
            pos = b
    if not cut:
        return line
    if pos < len(s):
        kept.append((pos, len(s)))
    idx = line.idx
    if len(kept) == 1:  # an edge trimmed
        a, b = kept[0]
        return Line(s[a:b], idx[a:b], line.brk, line.page)
    return Line("".join([s[a:b] for a, b in kept]), concat([idx[a:b] for a, b in kept]), line.brk, line.page)


def concat(parts: Iterable[array]) -> array:
    """The int arrays ``parts`` end to end, copied as bytes."""
    out = array("i")
    out.frombytes(b"".join(map(array.tobytes, parts)))
    return out


# ------------------------------------------------------------------------------------------
# Page chrome
# ------------------------------------------------------------------------------------------


def is_chrome(text: str, r: Rules) -> bool:
    if r.page_number.fullmatch(text):
        return True
    return (
        len(text) <= r.spam_line_max
        and ".gov.cn" not in text
        and r.spam_line.fullmatch(text) is not None
        and r.keep_space_before.search(text) is None
    )


def drop_chrome(lines: list[Line | None], r: Rules, pdf: bool) -> list[Line]:
    """Content lines of ``lines`` (None marks a blank line) without page chrome."""
    out: list[Line] = []
    last = len(lines) - 1
    after_mark = False  # a page-number line came since the last content line
    for i, line in enumerate(lines):
        if line is None:
            continue
        if is_chrome(line.text, r):
            # only the line after a page number (a page's header): the line before one may be
            # the signature, which repeats the title's body name
            after_mark = after_mark or r.page_number.fullmatch(line.text) is not None
            continue
        if after_mark:
            line.by_page_mark = True
            after_mark = False
        if r.bare_page_number.fullmatch(line.text):
            before = lines[i - 1] if i > 0 else None
            after = lines[i + 1] if i < last else None
            if pdf:
                at_edge = (before is None or before.page != line.page) or (after is None or after.page != line.page)
            else:
                at_edge = before is None and after is None
            if at_edge:
                continue
        out.append(line)
    return out


def _running_key(text: str, r: Rules) -> str | None:
    if len(text) > r.running_max or r.enumerator.match(text) or _ends_sentence(text, r):
        return None
    return _DIGITS.sub("#", text)


def drop_running(lines: list[Line], r: Rules, n_pages: int | None) -> list[Line]:
    """Drop repeated header/footer lines, keeping each one's first occurrence."""
    keys = [_running_key(line.text, r) for line in lines]
    drop: set[str] = set()
    if n_pages is None:
        counts = Counter(k for k in keys if k is not None)
        drop = {k for k, c in counts.items() if c >= r.running_min_text}
        # a short document has few pages: a repeat that opens a page (right after a page
        # number) is a running header even when it occurs only twice
        drop |= {k for k, line in zip(keys, lines) if k is not None and line.by_page_mark and counts[k] >= 2}
    elif n_pages >= 2:
        by_page: dict[int, list[int]] = defaultdict(list)
        for i, line in enumerate(lines):
            if line.page is not None:
                by_page[line.page].append(i)
        pages_with: dict[str, set[int]] = defaultdict(set)
        for page, members in by_page.items():
            edge = members[: r.running_edge] + members[-r.running_edge :]
            for i in edge:
                if keys[i] is not None:
                    pages_with[keys[i]].add(page)
        need = max(2, math.ceil(r.running_page_share * n_pages))
        drop = {k for k, pages in pages_with.items() if len(pages) >= need}
    if not drop:
        return lines
    seen: set[str] = set()
    out: list[Line] = []
    for line, key in zip(lines, keys):
        if key in drop:
            if key in seen:
                continue
            seen.add(key)
        out.append(line)
    return out


# ------------------------------------------------------------------------------------------
# Re-joining lines
# ------------------------------------------------------------------------------------------


def _ends_sentence(text: str, r: Rules) -> bool:
    t = text.rstrip(r.closers)
    return bool(t) and t[-1] in r.terminal


def is_heading(text: str, r: Rules) -> bool:
    return (
        len(text) <= r.heading_max
        and r.enumerator.match(text) is not None
        and r.sentence_marks.search(text) is None
    )


def wrap_length(lines: list[Line], r: Rules) -> int | None:
    """Typical full line length of a hard-wrapped document, or None for one-line paragraphs."""
    lengths = sorted(len(line.text) for line in lines if not line.table_row)
    if len(lengths) < 5:
        return None
    q = lengths[min(len(lengths) - 1, int(r.wrap_quantile * len(lengths)))]
    return q if q <= r.wrap_max else None


def should_join(prev: str, nxt: str, wrap: int | None, r: Rules) -> bool:
    """Whether ``nxt`` continues the sentence that ``prev`` broke off."""
    if nxt[0] in r.continuation_starts:
        return True  # "…向社会公布⏎。": a line cannot start with closing punctuation
    if _ends_sentence(prev, r) or r.enumerator.match(nxt):
        return False
    if is_heading(prev, r):
        # a long heading wrapped onto a short tail line ("…规范化程序化⏎法治化")
        return (
            wrap is not None
            and len(prev) >= r.wrap_share * wrap
            and len(nxt) < r.heading_tail_share * wrap
            and r.tail_marks.search(nxt) is None
        )
    # (a line ending in a digit is rare: test that before searching the whole line)
    if nxt[0].isdigit() and prev[-1].isdigit() and _SPLIT_NUMBER.search(prev):
        return True  # "受理审批服务事项23⏎856件": one number broken over two lines
    if prev[-1].isdigit() and nxt[0] in r.after_digit:
        return True  # "2021年9月4⏎日", "受理23⏎件"
    if r.prose_marks.search(prev):
        return True
    return wrap is not None and len(prev) >= r.wrap_share * wrap and not r.standalone_end.search(prev)


def glue(prev: str, nxt: str) -> str:
    """What replaces the line break when two lines are joined."""
    a, b = prev[-1], nxt[0]
    if _ALNUM.match(a) and _ALNUM.match(b) and (_LATIN.match(a) or _LATIN.match(b)):
        return " "
    return ""
