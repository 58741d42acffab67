"""Plain data that flows through the extraction pipeline, and the result contract.

Two families of Structs live here:

* ``RawText`` / ``Doc``: working state. ``RawText`` is what ingestion read from the bytes
  (text plus, for PDFs, per-character page and box). ``Doc`` is passed from stage to stage;
  each stage fills the fields it ``ASSIGNS`` (see ``workers/pipeline/stages.py``).
* ``Result`` and its parts: the JSON contract (``schema_version`` "1") that clients rely on.
  New fields get defaults; existing fields never change type (msgspec schema-evolution rule).

Offsets are half-open ``[start, end)`` character offsets into the canonical ``Doc.text``
(= ``Result.text``), so ``text[start:end] == quote`` holds for every evidence span.
"""

from __future__ import annotations

from array import array
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

SCHEMA_VERSION = "1"

BodyType = Literal["government", "department", "party_government_joint", "other"]
Level = Literal["province", "city", "county", "township"]
Framework = Literal["2021-2025", "2015-2020"]
SectionKind = Literal["measures", "shortcomings", "responsibility", "plans", "other"]
Qualifier = Literal["exact", "at_least", "about", "at_most"]
Severity = Literal["error", "warning", "info"]
TextSource = Literal["text_layer", "ocr", "none"]
CitationType = Literal["national_law", "regulation", "plan", "local_document", "other"]


# --------------------------------------------------------------------------------------------
# Working state
# --------------------------------------------------------------------------------------------


class PageRaw(Struct, kw_only=True):
    """One PDF page as ingestion saw it."""

    number: int  # 1-based
    raw_start: int  # offset of the page's first character in RawText.text
    raw_end: int
    width: float
    height: float
    text_source: TextSource = "text_layer"
    quality: float = 1.0  # 0..1, share of usable characters in the text layer


class RawText(Struct, kw_only=True):
    """Text as read from the input, before any normalisation.

    For PDFs ``boxes`` holds four floats per raw character (x0, y0, x1, y1 in PDF points,
    origin bottom-left, as PDFium reports them) and ``char_page`` the 0-based page index of
    each raw character; characters that ingestion synthesised (line breaks, page breaks) have
    a zero-area box. Both are ``None`` for text input.
    """

    text: str
    media_type: str  # "text/plain" | "application/pdf" | ...
    pages: list[PageRaw] | None = None
    boxes: array | None = None  # array('f'), len == 4 * len(text)
    char_page: array | None = None  # array('H') or array('I'), len == len(text)
    tables: list["RawTable"] = []


class RawTable(Struct, kw_only=True):
    """A table found on a PDF page; cell text is also present in RawText.text."""

    page: int  # 1-based
    bbox: tuple[float, float, float, float]
    rows: list[list["RawCell"]]


class RawCell(Struct, kw_only=True):
    text: str
    raw_start: int  # where the cell text sits in RawText.text, -1 when not found
    raw_end: int
    bbox: tuple[float, float, float, float]


class Span(Struct, frozen=True):
    start: int
    end: int


class Quantity(Struct, kw_only=True):
    """A number with a unit found in the canonical text, before an indicator id is assigned."""

    value: int | float
    unit: str  # base unit: 万元 → 元, 万人次 → 人次
    qualifier: Qualifier
    start: int  # evidence span in Doc.text
    end: int
    number_start: int = -1  # where the number itself sits (inside [start, end))
    number_end: int = -1
    subject: str = ""  # a few words naming what is counted
    is_rate: bool = False


# --------------------------------------------------------------------------------------------
# Result contract
# --------------------------------------------------------------------------------------------


PdfBox = Annotated[
    tuple[float, float, float, float],
    Meta(
        description=(
            "[x0, y0, x1, y1] in PDF points (1/72 inch) in the page's unrotated user space, "
            "origin at the bottom-left corner of the page, y growing upwards (as PDFium reports)."
        )
    ),
]
PageNumber = Annotated[int, Meta(ge=1, description="1-based page number")]


class Box(Struct, frozen=True):
    page: PageNumber
    bbox: PdfBox


class Evidence(Struct, kw_only=True):
    start: int
    end: int
    quote: str
    page: PageNumber | None = None  # null for text input
    bbox: PdfBox | None = None  # union of the quote's character boxes on `page`
    boxes: list[Box] = []  # one box per line the quote touches


class Indicator(Struct, kw_only=True):
    id: str | None
    name: str
    system: str | None
    value: int | float
    unit: str
    qualifier: Qualifier
    subject: str
    section: SectionKind | None
    evidence: Evidence


class Region(Struct, kw_only=True):
    province: str | None = None
    city: str | None = None
    county: str | None = None
    township: str | None = None
    code: str | None = None  # most specific administrative division code known


class Metadata(Struct, kw_only=True):
    title: str | None = None
    issuer: str | None = None
    body_type: BodyType | None = None
    level: Level | None = None
    region: Region = msgspec.field(default_factory=Region)
    report_year: int | None = None
    signed_date: str | None = None  # ISO date
    published_date: str | None = None  # ISO date
    recipient: str | None = None
    framework: Framework | None = None
    evidence: dict[str, Span] = {}  # field name → where in the text it was read


class Heading(Struct, kw_only=True):
    level: int  # 1 = 一、 ; 2 = （一）; 3 = 1. ; 4 = （1）
    label: str  # the enumerator as written, e.g. "（一）"
    title: str
    start: int  # heading start; the heading's section runs to `end`
    end: int
    title_end: int  # end of the heading line / run-in heading
    system: str | None = None


class Section(Struct, kw_only=True):
    kind: SectionKind
    heading: str
    start: int
    end: int


class Item(Struct, kw_only=True):
    text: str
    start: int
    end: int


class Citation(Struct, kw_only=True):
    title: str  # without the 《》
    type: CitationType
    start: int  # span of 《…》 in the text
    end: int


class Check(Struct, kw_only=True):
    code: str
    severity: Severity
    message: str
    start: int | None = None
    end: int | None = None


class PageInfo(Struct, kw_only=True):
    page: int  # 1-based
    text_source: TextSource
    quality: float
    start: int  # canonical text offsets of the page
    end: int


class DocumentInfo(Struct, kw_only=True):
    sha256: str
    media_type: str
    chars: int
    pages: int | None = None
    filename: str | None = None


class Result(Struct, kw_only=True):
    schema_version: str
    pipeline_version: str
    document: DocumentInfo
    text: str
    metadata: Metadata
    outline: list[Heading]
    sections: list[Section]
    indicators: list[Indicator]
    citations: list[Citation]
    shortcomings: list[Item]
    plans: list[Item]
    checks: list[Check]
    pages: list[PageInfo] | None = None


class Doc(Struct, kw_only=True):
    """Pipeline state. Each stage reads some fields and assigns others."""

    raw: RawText
    sha256: str = ""
    filename: str | None = None
    # normalise
    text: str = ""
    to_raw: array | None = None  # array('i'), len == len(text) + 1: canonical index → raw index
    pages: list[PageInfo] | None = None
    # outline
    outline: list[Heading] = []
    sections: list[Section] = []
    # metadata
    metadata: Metadata = msgspec.field(default_factory=Metadata)
    # quantities
    quantities: list[Quantity] = []
    # indicators
    indicators: list[Indicator] = []
    # citations and item lists
    citations: list[Citation] = []
    shortcomings: list[Item] = []
    plans: list[Item] = []
    # checks
    checks: list[Check] = []
