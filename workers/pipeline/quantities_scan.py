"""Find number+unit candidates in canonical text and drop the ones that are not facts.

One compiled pattern finds NUMBER [余/多] [万/亿] [余/多] UNIT [以上/左右…] (or 百分之N);
each hit is then read (numerals), qualified, and checked against the exclusion contexts of
``workers/data/quantities_exclusions.toml`` (ordinals, years, dates, norms, plans, 《》 titles,
slogans). Everything is a single left-to-right pass plus bounded look-arounds, so the cost is
linear in the text length.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import ahocorasick

from workers.data import load_toml
from workers.pipeline.numerals import CN_DIGITS, CN_NUMERAL_CHARS, arabic, as_number, chinese
from workers.pipeline.regex_starts import StartScan

# Thousands may be grouped with commas ("2,856") or, in typeset copies, with a space ("6 812").
_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# runs of characters that are not clause / sentence ends (matched on reversed text)
_NOT_CLAUSE_END = re.compile(r"[^，,。；;：:！？!?\n]*")
_NOT_SENTENCE_END = re.compile(r"[^。；;！？!?\n]*")


@dataclass(slots=True)
class Candidate:
    value: int | float
    unit: str
    qualifier: str
    number_start: int
    number_end: int  # end of the number incl. magnitude word
    start: int  # evidence start (qualifier word or number)
    end: int  # evidence end (unit or post-qualifier)


@dataclass(frozen=True, slots=True)
class Tables:
    # tried only at 百, digits and Chinese numerals, where every match starts: ``re`` alone
    # tries all its branches at every character of the text
    pattern: StartScan
    magnitudes: dict[str, int]
    aliases: dict[str, str]
    rate_units: frozenset[str]
    infix: dict[str, str]
    prefix: list[tuple[str, str]]  # longest first
    # the same, as (length, {word: qualifier}) longest first: one lookup per length per number
    prefix_by_len: tuple[tuple[int, dict[str, str]], ...]
    prefix_not_after: dict[str, list[str]]
    postfix: dict[str, str]
    blockers: dict[str, tuple[str, ...]]
    ordinal_before: tuple[str, ...]
    vague_before: tuple[str, ...]
    per_before: tuple[str, ...]
    discourse_before: tuple[str, ...]
    code_before: frozenset[str]
    quote_pairs: tuple[str, ...]
    quote_max: int
    norm_before: tuple[str, ...]
    norm_clause: re.Pattern[str]
    plan_start: re.Pattern[str]
    year_lo: int
    year_hi: int
    date_day_after: tuple[str, ...]
    slogans: ahocorasick.Automaton
    context_rules: tuple[tuple[frozenset[str], re.Pattern[str], re.Pattern[str]], ...]


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def tables() -> Tables:
    units = load_toml("quantities_units.toml")
    excl = load_toml("quantities_exclusions.toml")
    q = units["qualifiers"]
    mags = units["magnitudes"]
    cn = f"[{CN_NUMERAL_CHARS}]+(?:点[{CN_DIGITS}]+)?"
    approx = f"(?:{_alt(q['infix'])})"
    pattern = re.compile(
        rf"百分之(?P<pct>{_ARABIC}|{cn})"
        rf"|(?:(?P<ar>{_ARABIC})|(?P<cn>{cn}))"
        rf"(?P<ai1>{approx})?(?P<mag>{_alt(mags)})?(?P<ai2>{approx})?"
        rf"(?P<unit>{_alt([*units['units'], *units['unit_aliases']])})(?P<visits>{_alt(units['visit_suffixes'])})?"
        rf"(?P<post>{_alt(q['postfix'])})?"
    )
    slogans = ahocorasick.Automaton()
    for s in excl["slogans"]:
        slogans.add_word(s, len(s))
    slogans.make_automaton()
    return Tables(
        pattern=StartScan(pattern, starts=re.compile(rf"[百\d{CN_NUMERAL_CHARS}]")),
        magnitudes={k: int(v) for k, v in mags.items()},
        aliases=units["unit_aliases"],
        rate_units=frozenset(units["rate_units"]),
        infix=q["infix"],
        prefix=sorted(q["prefix"].items(), key=lambda kv: len(kv[0]), reverse=True),
        prefix_by_len=tuple(
            (n, {w: qual for w, qual in q["prefix"].items() if len(w) == n}) for n in sorted({len(w) for w in q["prefix"]}, reverse=True)
        ),
        prefix_not_after=q["prefix_not_after"],
        postfix=q["postfix"],
        blockers={k: tuple(v) for k, v in units["unit_blockers"].items()},
        ordinal_before=tuple(excl["ordinal_before"]),
        vague_before=tuple(excl["vague_before"]),
        per_before=tuple(excl["per_before"]),
        discourse_before=tuple(excl["discourse_before"]),
        code_before=frozenset(excl["code_before"]),
        quote_pairs=tuple(excl["quote_pairs"]),
        quote_max=excl["quote_max_chars"],
        norm_before=tuple(excl["norm_before"]),
        norm_clause=re.compile(
            "|".join([_alt(excl["norm_clause"]), _alt(excl["plan_clause_words"]), *excl["norm_clause_patterns"]])
        ),
        plan_start=re.compile(f"(?:{excl['plan_clause_enumerator']})?(?:{_alt(excl['plan_clause_start'])})"),
        year_lo=excl["year_range"][0],
        year_hi=excl["year_range"][1],
        date_day_after=tuple(excl["date_day_after"]),
        slogans=slogans,
        context_rules=tuple(
            (frozenset(r["unit"]), re.compile(r["left"]), re.compile(r["right"])) for r in excl["context_rule"]
        ),
    )


# ------------------------------------------------------------------------------------------


def _paired_spans(text: str, opener: str, closer: str, max_inner: int | None) -> list[tuple[int, int]]:
    """Spans opener…closer on one line. Unclosed titles run to the line end; quotes longer
    than ``max_inner`` are prose, not slogans, and are left out."""
    spans: list[tuple[int, int]] = []
    pos = text.find(opener)
    while pos >= 0:
        close = text.find(closer, pos + 1)
        nl = text.find("\n", pos + 1)
        if close >= 0 and (nl < 0 or close < nl):
            end = close + 1
        elif max_inner is None:
            end = nl if nl >= 0 else len(text)
        else:
            end = -1
        if end < 0:
            pos = text.find(opener, pos + 1)
            continue
        if max_inner is None or end - pos - 2 <= max_inner:
            spans.append((pos, end))
        pos = text.find(opener, end)
    return spans


def _blocked_spans(text: str, t: Tables) -> tuple[list[int], list[int]]:
    """Sorted, merged spans of 《titles》 and short “slogans” where no quantity is counted."""
    spans = _paired_spans(text, "《", "》", None)
    for pair in t.quote_pairs:
        spans.extend(_paired_spans(text, pair[0], pair[1], t.quote_max))
    spans.sort()
    starts: list[int] = []
    ends: list[int] = []
    for a, b in spans:
        if ends and a < ends[-1]:
            ends[-1] = max(ends[-1], b)
        else:
            starts.append(a)
            ends.append(b)
    return starts, ends


def _inside(pos: int, starts: list[int], ends: list[int]) -> bool:
    i = bisect_right(starts, pos) - 1
    return i >= 0 and pos < ends[i]


def _slogan_spans(text: str, t: Tables) -> tuple[list[int], list[int]]:
    spans = sorted((end - n + 1, end + 1) for end, n in t.slogans.iter(text))
    return [a for a, _ in spans], [b for _, b in spans]


def _back_to(text: str, pos: int, lo: int, unmarked: re.Pattern[str]) -> int:
    """Just after the last mark in text[lo:pos], or lo: the run of ``unmarked`` characters
    that ends at pos, matched on the reversed slice (C calls, no Python step per character)."""
    return pos - unmarked.match(text[lo:pos][::-1]).end()


def _clause_start(text: str, pos: int, limit: int = 40) -> int:
    return _back_to(text, pos, max(0, pos - limit), _NOT_CLAUSE_END)


def _sentence_start(text: str, pos: int, limit: int = 160) -> int:
    return _back_to(text, pos, max(0, pos - limit), _NOT_SENTENCE_END)


def _value(m: re.Match[str], t: Tables, approximate: bool) -> Decimal | None:
    if m["pct"] is not None:
        raw = m["pct"]
        if raw[0].isdigit():
            return arabic(raw)
        return chinese("一" + raw if raw[0] in "百千" else raw)  # 百分之百
    if m["ar"] is not None:
        value = arabic(m["ar"])
    else:
        cn = m["cn"]
        if cn == "一":  # a lone 一 is an idiom (一次性, 一件事一次办), never a count
            return None
        if cn[0] in "百千万亿":
            # 千余人 / 近千人 / 逾千起 count; a bare 百家/千家万户 does not
            if not (m["ai1"] or m["ai2"] or approximate):
                return None
            cn = "一" + cn
        value = chinese(cn)
    if value is None:
        return None
    if m["mag"]:
        value *= t.magnitudes[m["mag"]]
    return value


def _prefix(text: str, pos: int, t: Tables) -> tuple[str, int] | None:
    for n, words in t.prefix_by_len:
        a = pos - n
        if a < 0:
            continue
        word = text[a:pos]
        if word in words:
            if a > 0 and text[a - 1] in t.prefix_not_after.get(word, ()):
                continue
            return words[word], a
    return None


def _excluded(text: str, m: re.Match[str], value: Decimal, unit: str, ev_start: int, t: Tables) -> bool:
    ns = m.start()
    # (every test is a pure predicate: the cheap, frequent ones first)
    if unit == "年" and value >= t.year_lo:
        return True  # a calendar year, or a year range whose dash was lost ("20212025年")
    if unit == "日" and text.endswith(t.date_day_after, 0, ns):
        return True
    before = text[max(0, ns - 1) : ns]
    if before and ((before.isascii() and before.isalnum()) or before in t.code_before):
        return True  # part of a code, product or range token (A3, 7×24, 3-5)
    if text.endswith(t.ordinal_before, 0, ns) or text.endswith(t.per_before, 0, ns):
        return True
    if text.endswith(t.discourse_before, 0, ev_start):
        return True
    if m["cn"] is not None and m["cn"][0] in "十百千万亿" and text.endswith(t.vague_before, 0, ns):
        return True  # 数百次, 上千人, 几十家: not a stated amount ("线上三场" is one)
    if m["unit"]:
        after = text[m.end("unit") : m.end("unit") + 4]
        if after.startswith(t.blockers.get(m["unit"], ())):
            return True
    for rule_units, left_re, right_re in t.context_rules:
        if (
            unit in rule_units
            and right_re.match(text, m.end(), m.end() + 8)
            and left_re.search(text, max(0, ns - 20), ns)
        ):
            return True
    left = text[_clause_start(text, ev_start) : ev_start]
    stripped = left
    for filler in ("达到", "为", "达"):
        if stripped.endswith(filler):
            stripped = stripped[: -len(filler)]
            break
    if stripped.endswith(t.norm_before):
        return True
    if t.norm_clause.search(left) or t.plan_start.match(left):
        return True
    # "力争…不少于5万名，推动…缩短至45日以内": a target keeps its sentence a plan
    return bool(t.plan_start.match(text, _sentence_start(text, ev_start), ev_start))


def scan(text: str) -> list[Candidate]:
    """Every number+unit in ``text`` that the policy counts as a quantity."""
    t = tables()
    title_s, title_e = _blocked_spans(text, t)
    slog_s, slog_e = _slogan_spans(text, t)
    out: list[Candidate] = []
    match = t.pattern.pattern.match
    stop = 0
    # pattern.finditer, tried only where a number can start (StartScan.finditer inlined: this
    # loop runs for every digit and numeral character of the document)
    for c in t.pattern.starts.finditer(text):
        if c.start() < stop or (m := match(text, c.start())) is None:
            continue
        stop = m.end()
        if m["pct"] is not None:
            unit, num_end, end = "%", m.end(), m.end()
        else:
            unit = t.aliases.get(m["unit"], m["unit"]) + ("次" if m["visits"] else "")
            num_end = m.end("mag") if m["mag"] else m.end("ar") if m["ar"] else m.end("cn")
            end = m.end()
        ns = m.start()
        qualifier = "exact"
        ev_start = ns
        pre = _prefix(text, ns, t)
        if pre is not None:
            qualifier, ev_start = pre
        value = _value(m, t, pre is not None)
        if value is None:
            continue
        if m["pct"] is None:
            if m["ai1"] or m["ai2"]:
                qualifier = t.infix[m["ai1"] or m["ai2"]]
            if m["post"]:
                qualifier = t.postfix[m["post"]]
        # (the two cheap bisections first)
        if _inside(ns, title_s, title_e) or _overlaps(ns, end, slog_s, slog_e):
            continue
        if _excluded(text, m, value, unit, ev_start, t):
            continue
        out.append(Candidate(as_number(value), unit, qualifier, ns, num_end, ev_start, end))
    return out


def _overlaps(a: int, b: int, starts: list[int], ends: list[int]) -> bool:
    i = bisect_right(starts, b - 1) - 1
    # slogans are short and rarely nested: look at the few spans starting before b
    while i >= 0 and starts[i] > a - 16:
        if ends[i] > a:
            return True
        i -= 1
    return False
