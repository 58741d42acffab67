"""Stage 'checks': findings a supervisor wants flagged (issue 3, "checks").

Codes, severities and bilingual messages are in ``workers/data/checks_codes.toml``; each check
below is a small function returning ``Check`` records, so adding one is adding a function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import cache

from workers.data import load_toml
from workers.pipeline import dates, metadata_framework
from workers.pipeline.metadata import title_and_body_years
from workers.pipeline.metadata_layout import is_chrome, read, split_lines
from workers.pipeline.model import Check, Doc

NAME = "checks"
REQUIRES = ("text", "metadata", "sections", "citations")
ASSIGNS = ("checks",)

_YEARS = re.compile(r"(\d{4})\s*(?:[—－\-–~〜至―一]+\s*)?(\d{4})?\s*年?")


@cache
def _table() -> dict:
    return load_toml("checks_codes.toml")


def warm() -> None:
    _table()


def make(code: str, template: str | None = None, start: int | None = None, end: int | None = None, **values) -> Check:
    spec = _table()["codes"][template or code]
    message = f'{spec["zh"].format(**values)} / {spec["en"].format(**values)}'
    return Check(code=code, severity=spec["severity"], message=message, start=start, end=end)


def missing_sections(doc: Doc) -> list[Check]:
    found = {s.kind for s in doc.sections}
    names = _table()["section_names"]
    year = doc.metadata.report_year
    required = [r["kind"] for r in _table()["required_sections"] if year is None or year >= r["since"]]
    return [
        make(f"section.missing.{kind}", "section.missing", zh_name=names[kind]["zh"], en_name=names[kind]["en"])
        for kind in required
        if kind not in found
    ]


def framework_years(doc: Doc) -> list[Check]:
    expected = metadata_framework.expected_years()
    stems = tuple(load_toml("metadata_framework.toml")["citation_stems"])
    spans: list[tuple[int, int, int, int | None]] = []
    for c in doc.citations:
        if c.title.startswith(stems):
            m = _YEARS.search(c.title)
            if m:
                spans.append((c.start, c.end, int(m[1]), int(m[2]) if m[2] else None))
    for c in metadata_framework.citations(doc.text):
        if not any(s < c.end and c.start < e for s, e, _, _ in spans):
            spans.append((c.start, c.end, c.start_year, c.end_year))
    out = []
    for start, end, a, b in sorted(spans):
        if b is None or (a, b) in expected:
            continue
        right = next((f"{x}—{y}年" for x, y in sorted(expected) if x == a), None) or \
            "、".join(f"{x}—{y}年" for x, y in sorted(expected))
        out.append(make("citation.framework_years", start=start, end=end, cited=f"{a}—{b}年", expected=right))
    return out


def bad_dates(doc: Doc) -> list[Check]:
    out = []
    for d in dates.find_dates(doc.text):
        if d.status != "ok":
            code = f"date.{d.status}"
            out.append(make(code, start=d.start, end=d.end, quote=doc.text[d.start: d.end]))
    return out


def signed_early(doc: Doc) -> list[Check]:
    md = doc.metadata
    if md.signed_date is None or md.report_year is None:
        return []
    signed = date.fromisoformat(md.signed_date)
    if signed > date(md.report_year, 12, 31):
        return []
    span = md.evidence.get("signed_date")
    return [make("date.signed_before_period_end", start=span.start if span else None, end=span.end if span else None,
                 signed=md.signed_date, year=md.report_year)]


def published_late(doc: Doc) -> list[Check]:
    md = doc.metadata
    if md.published_date is None or md.report_year is None:
        return []
    dl = _table()["publication_deadline"]
    deadline = date(md.report_year + 1, dl["month"], dl["day"])
    if date.fromisoformat(md.published_date) <= deadline:
        return []
    span = md.evidence.get("published_date")
    return [make("publication.late", start=span.start if span else None, end=span.end if span else None,
                 published=md.published_date, deadline=deadline.isoformat())]


def year_mismatch(doc: Doc) -> list[Check]:
    title_year, body_year = title_and_body_years(doc.text, read(doc.text))
    if title_year is None or body_year is None or title_year[0] == body_year[0]:
        return []
    return [make("metadata.year_mismatch", start=body_year[1].start, end=body_year[1].end,
                 title_year=title_year[0], body_year=body_year[0])]


def not_annual(doc: Doc) -> list[Check]:
    md = doc.metadata
    where = md.title or next((ln.text for ln in split_lines(doc.text[:1000]) if not is_chrome(ln.text)), "")
    for entry in _table()["not_annual"]:
        if entry["marker"] in where and not any(u in where for u in entry.get("unless", [])):
            span = md.evidence.get("title") if md.title else None
            return [make("report.not_annual_report", start=span.start if span else None,
                         end=span.end if span else None, zh_kind=entry["zh"], en_kind=entry["en"])]
    return []


def unread_pages(doc: Doc) -> list[Check]:
    """PDF pages with no usable text that OCR could not read: say which, never fail silently."""
    pages = doc.raw.pages or []
    unread = [p.number for p in pages if p.text_source == "none"]
    if not unread:
        return []
    from workers.ingest import ocr  # only PDFs have pages; text jobs never import the OCR module

    code = "ocr.failed" if ocr.available() else "ocr.unavailable"
    return [make(code, pages="、".join(map(str, unread)), count=len(unread))]


CHECKS: tuple[Callable[[Doc], list[Check]], ...] = (
    unread_pages,
    framework_years,
    bad_dates,
    signed_early,
    published_late,
    year_mismatch,
)


def run(doc: Doc) -> Doc:
    # another document type (工作要点, 信息公开年报) has no report sections to miss
    found = not_annual(doc) or missing_sections(doc)
    doc.checks = found + [c for check in CHECKS for c in check(doc)]
    return doc
