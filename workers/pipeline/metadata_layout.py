"""The parts of a report page that carry metadata: header fields, title, 主送机关, signature.

Works on the canonical text line by line and returns spans, so every value can be quoted.
Patterns come from ``workers/data/metadata_patterns.toml`` (domain reference §5).
"""

from __future__ import annotations

import re
from functools import cache

from msgspec import Struct

from workers.data import load_toml
from workers.pipeline import dates


class Line(Struct, frozen=True):
    start: int
    end: int  # stripped of surrounding whitespace
    text: str


class Field(Struct, frozen=True):
    label_kind: str  # issuer | source | signed | published | title | index
    value: str
    start: int
    end: int


class Layout(Struct, kw_only=True):
    lines: list[Line]
    header: list[Field]
    title: str | None = None
    title_span: tuple[int, int] | None = None
    title_line: int = -1  # index of the (last) title line
    recipient: Line | None = None
    body: Line | None = None  # first body paragraph
    signature_org: Line | None = None
    signature_date: dates.DateMatch | None = None


@cache
def patterns() -> dict:
    return load_toml("metadata_patterns.toml")


@cache
def _label_regex() -> tuple[re.Pattern, dict[str, str]]:
    h = patterns()["header"]
    kinds: dict[str, str] = {}
    for kind in ("issuer", "source", "signed", "published", "title", "index", "other"):
        for label in h[kind]:
            kinds.setdefault(label, kind)
    # portals pad labels to one width: "索 引 号：", "标　　题："
    alts = "|".join(r"[ \t\u3000]*".join(map(re.escape, x)) for x in sorted(kinds, key=len, reverse=True))
    return re.compile(rf"(?P<label>{alts})[ \t\u3000]*[:：]\s*"), kinds


def _kind(label: str, kinds: dict[str, str]) -> str | None:
    return kinds.get(re.sub(r"[ \t\u3000]+", "", label))


# A line's text without its surrounding whitespace: from its first non-space character to its
# last (\S is not str.isspace, as str.strip uses; [^\n] stays on the line split at "\n").
_STRIPPED_LINE = re.compile(r"\S(?:[^\n]*\S)?")


def split_lines(text: str) -> list[Line]:
    """Non-blank lines (split at "\n"), stripped, with their offsets."""
    return [Line(m.start(), m.end(), m.group()) for m in _STRIPPED_LINE.finditer(text)]


def is_chrome(line: str) -> bool:
    """Page furniture; long lines are prose even when they mention 首页 or 星期一."""
    c = patterns()["chrome"]
    if len(line) > 80:
        return False
    return any(m in line for m in c["markers"]) or any(w in line for w in c["weekday"])


def header_fields(line: Line, next_line: Line | None) -> list[Field]:
    """Label/value pairs on one line ("来源:区司法局 发布时间:2023-03-22 14:14")."""
    regex, kinds = _label_regex()
    found = list(regex.finditer(line.text))
    out: list[Field] = []
    for i, m in enumerate(found):
        # a label counts only at the line start or after a space/separator, not mid-sentence
        if m.start() > 0 and line.text[m.start() - 1] not in " \t|│丨】]）)":
            continue
        end = found[i + 1].start() if i + 1 < len(found) else len(line.text)
        raw_value = line.text[m.end():end]
        value = raw_value.strip()
        lead = len(raw_value) - len(raw_value.lstrip())
        if not value and next_line is not None and i + 1 == len(found) and not regex.match(next_line.text) \
                and _kind(next_line.text, kinds) is None:
            out.append(Field(_kind(m["label"], kinds), next_line.text, next_line.start, next_line.end))
            continue
        if value:
            s = line.start + m.end() + lead
            out.append(Field(_kind(m["label"], kinds), value, s, s + len(value)))
    alone = _kind(line.text.rstrip(":："), kinds)
    if not out and next_line is not None and alone is not None and not regex.match(next_line.text):
        out.append(Field(alone, next_line.text, next_line.start, next_line.end))
    return [f for f in out if f.label_kind != "other"]


def looks_like_title(text: str) -> bool:
    t = patterns()["title"]
    if len(text) > t["max_chars"] or is_chrome(text) or text.endswith(("。", "：", ":")):
        return False
    if re.match(t["heading_pattern"], text):
        return False  # "二、党政主要负责人履行…职责情况" is a section heading
    if any(m in text for m in t["must_alone"]):
        return True
    return any(m in text for m in t["must"]) and any(m in text for m in t["topic"])


def _is_subtitle(text: str) -> bool:
    return text.startswith(tuple(patterns()["title"]["subtitle_prefix"]))


def _title_at(lines: list[Line], i: int, in_line: list[Field]) -> tuple[str, tuple[int, int], int] | None:
    text = lines[i].text
    label_regex, _ = _label_regex()
    if looks_like_title(text):
        for f in in_line:  # a "标题：…" field: take the value, not the label
            if f.label_kind == "title":
                return f.value, (f.start, f.end), i
        # a title broken over two lines: "…关于2022年度法治政府建设" + "情况的报告"
        if i + 1 < len(lines) and not text.endswith(("报告", "总结")) and len(lines[i + 1].text) <= 20 \
                and lines[i + 1].text.endswith(("报告", "总结", "情况")):
            return text + lines[i + 1].text, (lines[i].start, lines[i + 1].end), i + 1
        # "准格尔旗人民政府" + "关于2020年度…的报告": the body's name on the line above
        if i > 0 and text.startswith("关于") and _is_org_line(lines[i - 1].text):
            return lines[i - 1].text + text, (lines[i - 1].start, lines[i].end), i
        return text, (lines[i].start, lines[i].end), i
    if i + 1 < len(lines) and len(text) <= 40 and not is_chrome(text) and not label_regex.match(text):
        joined = text + lines[i + 1].text
        if looks_like_title(joined) and not looks_like_title(lines[i + 1].text):
            return joined, (lines[i].start, lines[i + 1].end), i + 1
    return None


_SPECIFIC = re.compile(r"\d{4}|[〇零○][一二三四五六七八九〇零○]|[二][〇零○]")


def _is_specific(title: str) -> bool:
    """A year, or a body/place name once the topic words (法治政府 …) are taken out."""
    if _SPECIFIC.search(title):
        return True
    rest = title
    for topic in patterns()["title"]["topic"]:
        rest = rest.replace(topic, "")
    return any(ch in rest for ch in "政府局委办省市县区镇乡街旗州盟")


def find_title(lines: list[Line], header: list[Field]) -> tuple[str, tuple[int, int], int] | None:
    """The first title-like line; a generic column name ("法治政府建设年度报告", no year and no
    body) only when nothing more specific follows within the search window."""
    t = patterns()["title"]
    limit = min(len(lines), t["search_lines"])
    label_regex, _ = _label_regex()
    fallback = None
    for i in range(limit):
        in_line = [f for f in header if lines[i].start <= f.start < lines[i].end]
        if label_regex.match(lines[i].text) and not any(f.label_kind == "title" for f in in_line):
            continue
        found = _title_at(lines, i, in_line)
        if found is None:
            continue
        if _is_specific(found[0]):
            return found
        fallback = fallback or found
    return fallback


def _is_org_line(text: str) -> bool:
    o = patterns()["org"]
    return len(text) <= 40 and not is_chrome(text) and text.endswith(tuple(o["government"] + o["department"]))


def find_recipient(lines: list[Line], after: int) -> Line | None:
    r = patterns()["recipient"]
    label_regex, _ = _label_regex()
    for line in lines[after + 1: after + 1 + r["search_lines"]]:
        text = line.text
        if _is_subtitle(text) or is_chrome(text) or label_regex.match(text):
            continue
        if text.endswith(("：", ":")) and len(text) <= r["max_chars"]:
            name = text[:-1].strip()
            if name and not any(w in name for w in r["not_recipient"]) \
                    and any(part.endswith(tuple(r["suffixes"])) for part in re.split(r"[、，,\s]+", name) if part):
                return Line(line.start, line.start + len(name), name)
            continue
        if len(text) > r["max_chars"]:
            return None  # the body has started
    return None


def find_body(lines: list[Line], after: int, recipient: Line | None) -> Line | None:
    label_regex, _ = _label_regex()
    openings = tuple(patterns()["body"]["opening_formulas"])
    for line in lines[after + 1:]:
        text = line.text
        if recipient is not None and line.start == recipient.start:
            continue
        if is_chrome(text) or label_regex.match(text) or _is_subtitle(text):
            continue
        if len(text) >= 30 or text.endswith("。") or any(o in text for o in openings):
            return line
    return None


def first_sentence(body: Line | None) -> Line | None:
    if body is None:
        return None
    ends = patterns()["body"]["first_sentence_end"]
    cut = min((body.text.find(e) for e in ends if e in body.text), default=len(body.text))
    return Line(body.start, body.start + cut, body.text[:cut])


def find_signature(lines: list[Line], body_start: int) -> tuple[Line | None, dates.DateMatch | None]:
    """Issuing body and date in the last lines after the body ("张家窝镇人民政府 2021年12月15日")."""
    skip = tuple(patterns()["org"]["not_names"])
    label_regex, _ = _label_regex()
    tail = [ln for ln in lines[-6:] if ln.start > body_start and not any(s in ln.text for s in skip)
            and not label_regex.match(ln.text) and not _is_subtitle(ln.text)]
    for idx in range(len(tail) - 1, -1, -1):
        line = tail[idx]
        found = dates.find_dates(line.text)
        if not found or is_chrome(line.text):
            continue
        d = found[-1]
        before = line.text[: d.start].strip()
        after_text = line.text[d.end:].strip(" 。.")
        if after_text or len(line.text) > 60:
            continue  # a date inside a sentence, not under a signature
        date_match = dates.DateMatch(line.start + d.start, line.start + d.end, d.status, d.value)
        if before:
            lead = line.text.find(before)
            return Line(line.start + lead, line.start + lead + len(before), before), date_match
        org = tail[idx - 1] if idx > 0 else None
        if org is not None and (len(org.text) > 40 or org.text.endswith(("。", "；", "：", ":"))):
            org = None
        return org, date_match
    return None, None


def read(text: str) -> Layout:
    lines = split_lines(text)
    header_limit = len(lines)
    title = None
    header: list[Field] = []
    for i, line in enumerate(lines[: patterns()["title"]["search_lines"] + 10]):
        if len(line.text) > 120:
            break
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        header.extend(header_fields(line, nxt))
    title = find_title(lines, header)
    layout = Layout(lines=lines, header=[])
    after = -1
    if title is not None:
        layout.title, layout.title_span, layout.title_line = title
        after = title[2]
        header_limit = after + 1 + patterns()["header"]["lines_after_title"]
    layout.header = [f for f in header if title is None or f.start < lines[min(header_limit, len(lines) - 1)].end]
    layout.recipient = find_recipient(lines, after)
    layout.body = find_body(lines, after, layout.recipient)
    if layout.body is not None:
        layout.signature_org, layout.signature_date = find_signature(lines, layout.body.start)
    return layout
