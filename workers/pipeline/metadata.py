"""Stage 'metadata': title, reporting body, level, region, year, dates, recipient, framework.

Reads the canonical text only (the outline is not needed), so it works on any opening of a
report: portal header, stale chrome, title, 主送机关, body, signature. Every value it sets has its
span in ``Metadata.evidence``. Domain reference §1.4, §5, §6.
"""

from __future__ import annotations

import re

import msgspec

from workers.pipeline import dates, gazetteer, metadata_framework, metadata_issuer
from workers.pipeline.metadata_layout import Field, Layout, first_sentence, read
from workers.pipeline.model import Doc, Metadata, Region, Span

NAME = "metadata"
REQUIRES = ("text",)
ASSIGNS = ("metadata",)

_YEAR = re.compile(r"(?<!\d)(\d{4})\s*年(?!\s*\d)(?!\s*[—－\-–~至])")
_CN_YEAR = re.compile(r"([〇零○一二三四五六七八九]{4})\s*年")
_CN_DIGIT = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0"}
_RANGE = re.compile(r"\d{4}\s*[—－\-–~至]\s*\d{4}")
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}(\d{6})[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Z])")
_ADMIN = re.compile(r"^(\d{6})\d{4}(?:\d{2})?(?!\d)")
YEAR_MIN, YEAR_MAX = 2000, 2100


def warm() -> None:
    gazetteer.get()
    read("")  # compiles the header-label regex and loads the layout patterns


def year_in(text: str, offset: int = 0) -> tuple[int, Span] | None:
    """First plausible year in ``text`` that is not part of a range such as 2021-2025年."""
    ranges = [(m.start(), m.end()) for m in _RANGE.finditer(text)]
    for m in _YEAR.finditer(text):
        if any(s <= m.start(1) < e for s, e in ranges):
            continue
        y = int(m[1])
        if YEAR_MIN <= y <= YEAR_MAX:
            return y, Span(offset + m.start(1), offset + m.end(1))
    m = _CN_YEAR.search(text)
    if m:
        y = int("".join(_CN_DIGIT[c] for c in m[1]))
        if YEAR_MIN <= y <= YEAR_MAX:
            return y, Span(offset + m.start(1), offset + m.end(1))
    return None


def title_and_body_years(doc_text: str, layout: Layout) -> tuple[tuple[int, Span] | None, tuple[int, Span] | None]:
    """The year in the title and the year the first body sentence opens with (for checks too)."""
    title_year = None
    if layout.title_span is not None:
        s, e = layout.title_span
        title_year = year_in(doc_text[s:e], s)
    body_year = None
    if layout.body is not None:
        lead = re.match(r"\s*(\d{4})\s*年", layout.body.text)
        if lead and YEAR_MIN <= int(lead[1]) <= YEAR_MAX:
            s = layout.body.start + lead.start(1)
            body_year = int(lead[1]), Span(s, s + 4)
    return title_year, body_year


def _field(layout: Layout, kind: str) -> Field | None:
    return next((f for f in layout.header if f.label_kind == kind), None)


def _date_field(layout: Layout, kind: str):
    f = _field(layout, kind)
    if f is None:
        return None
    found = dates.find_dates(f.value)
    if not found:
        return None
    d = found[0]
    return d.status, d.value, Span(f.start + d.start, f.start + d.end)


def _region_code(layout: Layout) -> str | None:
    f = _field(layout, "index")
    if f is None:
        return None
    value = f.value.replace(" ", "")
    m = _USCC.match(value) or _ADMIN.match(value)
    return m[1] if m else None


def _issuer_candidates(text: str, layout: Layout) -> list[tuple[str, Span, str]]:
    """(name, span, source) in order of trust: title, signature, 发布机构, 信息来源."""
    out = []
    if layout.title_span is not None and layout.title:
        s, e = layout.title_span
        title_text = text[s:e]
        found = metadata_issuer.from_title(title_text)
        if found:
            a, b = found
            out.append((title_text[a:b], Span(s + a, s + b), "title"))
    if layout.signature_org is not None and metadata_issuer.is_name(layout.signature_org.text):
        org = layout.signature_org
        out.append((org.text, Span(org.start, org.end), "signature"))
    for kind in ("issuer", "source"):
        f = _field(layout, kind)
        if f is not None and metadata_issuer.is_name(f.value) and len(f.value) <= 40:
            value = metadata_issuer.publisher_to_government(f.value)
            out.append((value, Span(f.start, f.start + len(value)), kind))
    return out


def _choose_issuer(cands: list[tuple[str, Span, str]]) -> tuple[str, Span] | None:
    """Title or signature first (信息来源 may be a drafting 司法局); then any candidate that is
    the same body named more fully: 宾川县 → 宾川县人民政府, 金东区人民政府 → 金华市金东区人民政府."""
    primary = [c for c in cands if c[2] in ("title", "signature")]
    pool = primary or [c for c in cands if c[2] == "issuer"] or cands
    if not pool:
        return None
    best = pool[0]
    for c in cands:
        if c[2] == "source":
            continue
        if metadata_issuer.names_same_body(best[0], c[0]):
            best = c
    return best[0], best[1]


def _region(
    text: str, layout: Layout, cands: list[tuple[str, Span, str]], everywhere: list[gazetteer.Mention]
) -> tuple[Region, Span | None]:
    gz = gazetteer.get()
    strong = []
    spans = [c[1] for c in cands]
    if layout.title_span is not None:
        spans.append(Span(*layout.title_span))
    for f in layout.header:
        if f.label_kind in ("issuer", "source") and len(f.value) <= 40:
            spans.append(Span(f.start, f.end))
    if layout.signature_org is not None:
        spans.append(Span(layout.signature_org.start, layout.signature_org.end))
    sentence = first_sentence(layout.body)
    # short forms (宝坻) only in name-like lines; prose is full of them (共和国 → 共和县)
    sources = [(sp, True) for sp in spans]
    if sentence is not None:
        sources.append((Span(sentence.start, sentence.end), False))
    seen: set[tuple[int, int]] = set()
    for sp, shorts in sorted(set(sources), key=lambda s: (s[0].start, -s[0].end)):
        for m in gz.find(text[sp.start: sp.end], shorts=shorts, offset=sp.start):
            if (m.start, m.end) not in seen:
                seen.add((m.start, m.end))
                strong.append(m if shorts else msgspec.structs.replace(m, prose=True))
    hints = [m for m in everywhere if (m.start, m.end) not in seen]
    region = gazetteer.resolve(strong, hints, _region_code(layout))
    deepest = region.township or region.county or region.city or region.province
    where = next((Span(m.start, m.end) for m in strong if m.name == deepest), None)
    return region, where


def extract(text: str) -> Metadata:
    layout = read(text)
    md = Metadata()
    ev: dict[str, Span] = {}
    if layout.title is not None and layout.title_span is not None:
        md.title = layout.title
        ev["title"] = Span(*layout.title_span)

    title_year, body_year = title_and_body_years(text, layout)
    year = title_year or body_year
    if year is not None:
        md.report_year, ev["report_year"] = year

    cands = _issuer_candidates(text, layout)
    everywhere = gazetteer.get().find(text)
    region, region_span = _region(text, layout, cands, everywhere)
    chosen = _choose_issuer(cands)
    if chosen is not None:
        name, span = chosen
        name = metadata_issuer.complete_place(name, text)
        kind = metadata_issuer.body_type(name)
        lvl = metadata_issuer.level(name, kind, region)
        if lvl is not None:
            region = _cut(region, lvl)
        named = {m.name for m in everywhere}
        md.issuer = metadata_issuer.fullest(name, kind, lvl, region, named)
        md.body_type, md.level = kind, lvl
        ev["issuer"] = span
        if lvl == "township" and region.township is None:
            town = metadata_issuer.township_of(name, kind)
            if town is not None:
                region = msgspec.structs.replace(region, township=town)
    md.region = region
    if region_span is not None and region != Region():
        ev["region"] = region_span

    signed = _date_field(layout, "signed")
    if signed is None and layout.signature_date is not None:
        d = layout.signature_date
        signed = d.status, d.value, Span(d.start, d.end)
    if signed is not None and signed[0] == "ok":
        md.signed_date, ev["signed_date"] = signed[1].isoformat(), signed[2]

    published = _date_field(layout, "published")
    if published is not None and published[0] == "ok":
        md.published_date, ev["published_date"] = published[1].isoformat(), published[2]

    if layout.recipient is not None:
        md.recipient = layout.recipient.text
        ev["recipient"] = Span(layout.recipient.start, layout.recipient.end)

    fw, fw_span = metadata_framework.detect(text, md.report_year)
    md.framework = fw
    if fw_span is not None:
        ev["framework"] = Span(*fw_span)
    md.evidence = ev
    return md


def _cut(region: Region, lvl) -> Region:
    """Drop region parts below the body's level; keep the region when it is shallower."""
    have = [f for f in gazetteer.LEVELS if getattr(region, f)]
    if have and gazetteer.DEPTH[have[-1]] > gazetteer.DEPTH[lvl]:
        return gazetteer.truncate(region, lvl)
    return region


def run(doc: Doc) -> Doc:
    doc.metadata = extract(doc.text)
    return doc
