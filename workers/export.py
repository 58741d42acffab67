"""The comparison table: one row per report, as CSV, XLSX or JSON Lines. Pure functions.

Columns: the job and document, the metadata a portal compares (issuer, level, region, year,
dates), which required sections are present (1/0), the number of checks by severity, and one
column per catalogue indicator, headed ``id (unit)``. Values of one id and unit are summed
over the report, except rate units (%, 个百分点), where a sum means nothing: there the first
mention in the text (the headline figure) is kept. Every catalogue id has a column for its
first unit; further unit columns appear only when some row needs them, so the table stays
readable and its core columns stay stable across batches.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import get_args

import msgspec

from workers.pipeline.catalogue import load_catalogue, load_config
from workers.pipeline.model import Result, SectionKind, Severity

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSONL = "application/jsonl"
FORMATS = {"csv": CSV, "xlsx": XLSX, "jsonl": JSONL}

SECTION_KINDS: tuple[str, ...] = get_args(SectionKind)
SEVERITIES: tuple[str, ...] = get_args(Severity)

BASE_COLUMNS = (
    "job_id", "filename", "status", "error_code", "title", "issuer", "body_type", "level",
    "province", "city", "county", "township", "region_code", "report_year", "signed_date",
    "published_date", "framework",
    *(f"section_{kind}" for kind in SECTION_KINDS),
    *(f"checks_{severity}" for severity in SEVERITIES),
    "indicators",
)

Cell = str | int | float | None

# Columns whose text comes from the document or the client; the rest are ours (ids, codes, dates).
DOCUMENT_TEXT = frozenset({"filename", "title", "issuer", "province", "city", "county", "township"})


@dataclass(frozen=True)
class IndicatorColumn:
    id: str
    unit: str
    name: str

    @property
    def header(self) -> str:
        return f"{self.id} ({self.unit})"


@dataclass
class Row:
    """One report. ``values`` maps (indicator id, unit) to the summed value."""

    base: dict[str, Cell]
    values: dict[tuple[str, str], int | float] = field(default_factory=dict)


def _rate_units() -> frozenset[str]:
    return frozenset(load_config().matching.rate_units)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 6)


def row_for(job: dict[str, Cell], result: Result | None) -> Row:
    """A row from a job's facts (``job_id``, ``filename``, ``status``, ``error_code``) and its result."""
    base: dict[str, Cell] = {name: None for name in BASE_COLUMNS}
    base.update({k: v for k, v in job.items() if k in base})
    if result is None:
        return Row(base)
    meta = result.metadata
    base.update(
        filename=base["filename"] or result.document.filename,
        title=meta.title, issuer=meta.issuer, body_type=meta.body_type, level=meta.level,
        province=meta.region.province, city=meta.region.city, county=meta.region.county,
        township=meta.region.township, region_code=meta.region.code, report_year=meta.report_year,
        signed_date=meta.signed_date, published_date=meta.published_date, framework=meta.framework,
        indicators=len(result.indicators),
    )
    present = {s.kind for s in result.sections}
    for kind in SECTION_KINDS:
        base[f"section_{kind}"] = int(kind in present)
    for severity in SEVERITIES:
        base[f"checks_{severity}"] = sum(1 for c in result.checks if c.severity == severity)
    rates = _rate_units()
    values: dict[tuple[str, str], int | float] = {}
    for indicator in sorted(result.indicators, key=lambda i: i.evidence.start):
        if indicator.id is None:
            continue
        key = (indicator.id, indicator.unit)
        if indicator.unit in rates:
            values.setdefault(key, indicator.value)
        else:
            values[key] = values.get(key, 0) + indicator.value
    return Row(base, {k: _number(v) for k, v in values.items()})


def indicator_columns(rows: Iterable[Row]) -> list[IndicatorColumn]:
    """Catalogue order; each id's first unit always, other units only when a row has them."""
    used = {key for row in rows for key in row.values}
    columns = []
    for entry in load_catalogue():
        for i, unit in enumerate(entry.units):
            if i == 0 or (entry.id, unit) in used:
                columns.append(IndicatorColumn(entry.id, unit, entry.name))
    known = {(c.id, c.unit) for c in columns}
    # A unit the catalogue does not list for the id still gets a column: never drop a number.
    for key in sorted(used - known):
        columns.append(IndicatorColumn(key[0], key[1], key[0]))
    return columns


def headers(columns: Sequence[IndicatorColumn]) -> list[str]:
    return [*BASE_COLUMNS, *(c.header for c in columns)]


def cells(row: Row, columns: Sequence[IndicatorColumn]) -> list[Cell]:
    return [*(row.base[name] for name in BASE_COLUMNS), *(row.values.get((c.id, c.unit)) for c in columns)]


def to_csv(rows: Sequence[Row]) -> bytes:
    """UTF-8 with BOM, so Excel opens the Chinese text correctly."""
    columns = indicator_columns(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers(columns))
    names = headers(columns)
    for row in rows:
        writer.writerow(["" if v is None else _csv_safe(v) if n in DOCUMENT_TEXT else v for n, v in zip(names, cells(row, columns), strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_safe(value: Cell) -> Cell:
    """Text starting with = + - @ would run as a formula in a spreadsheet (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_jsonl(rows: Sequence[Row]) -> bytes:
    columns = indicator_columns(rows)
    names = headers(columns)
    encoder = msgspec.json.Encoder()
    return b"".join(encoder.encode(dict(zip(names, cells(row, columns), strict=True))) + b"\n" for row in rows)


def to_xlsx(rows: Sequence[Row]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    columns = indicator_columns(rows)
    workbook = Workbook(write_only=True)  # streams rows instead of keeping a cell model in memory
    sheet = workbook.create_sheet("reports")
    sheet.freeze_panes = "C2"
    for i in range(1, len(BASE_COLUMNS) + 1):
        sheet.column_dimensions[get_column_letter(i)].width = 14
    sheet.append(headers(columns))
    for row in rows:
        sheet.append([_xlsx_safe(v) for v in cells(row, columns)])
    legend = workbook.create_sheet("columns")
    legend.append(["column", "indicator_id", "name", "unit"])
    for column in columns:
        legend.append([column.header, column.id, column.name, column.unit])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_safe(value: Cell) -> Cell:
    # openpyxl stores a string starting with "=" as a formula; keep document text inert.
    if isinstance(value, str):
        value = "".join(ch for ch in value if ch >= " " or ch in "\t\n")
        if value.startswith("="):
            return "'" + value
    return value


def render(rows: Sequence[Row], fmt: str) -> bytes:
    return {"csv": to_csv, "xlsx": to_xlsx, "jsonl": to_jsonl}[fmt](rows)
