"""Comparison-table rows and their CSV / XLSX / JSON Lines renderings (pure functions)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from workers import export
from workers.pipeline.catalogue import load_catalogue
from workers.pipeline.model import (
    Check, DocumentInfo, Evidence, Indicator, Metadata, Region, Result, Section,
)


def ind(id_, value, unit, start, name="x"):
    return Indicator(id=id_, name=name, system=None, value=value, unit=unit, qualifier="exact", subject="",
                     section=None, evidence=Evidence(start=start, end=start + 1, quote="x"))


def result(indicators, *, issuer="某某县人民政府", sections=("measures", "plans"), checks=()):
    return Result(
        schema_version="1", pipeline_version="t", document=DocumentInfo(sha256="0", media_type="text/plain", chars=10, filename="r.txt"),
        text="x" * 100, metadata=Metadata(title="=HYPERLINK(\"http://evil\")", issuer=issuer, level="county", report_year=2023,
                                          region=Region(province="浙江省", county="某某县"), published_date="2024-03-01"),
        outline=[], sections=[Section(kind=k, heading=k, start=0, end=1) for k in sections], indicators=indicators,
        citations=[], shortcomings=[], plans=[], checks=[Check(code=c, severity=s, message="m") for c, s in checks],
    )


def test_export_row_sums_per_id_and_unit_and_keeps_first_rate():
    row = export.row_for({"job_id": "j1", "status": "succeeded"}, result([
        ind("penalty_cases", 120, "件", 50), ind("penalty_cases", 5, "件", 10), ind("penalty_cases", 3, "起", 70),
        ind("head_appearance", 95.5, "%", 80), ind("head_appearance", 100, "%", 20), ind(None, 7, "个", 5),
        ind("fines_amount", 865000.0, "元", 30),
    ], checks=[("a", "warning"), ("b", "warning"), ("c", "info")]))
    assert row.values == {("penalty_cases", "件"): 125, ("penalty_cases", "起"): 3, ("head_appearance", "%"): 100,
                          ("fines_amount", "元"): 865000}
    assert isinstance(row.values[("fines_amount", "元")], int)
    assert row.base["section_measures"] == 1 and row.base["section_shortcomings"] == 0
    assert (row.base["checks_error"], row.base["checks_warning"], row.base["checks_info"]) == (0, 2, 1)
    assert row.base["indicators"] == 7 and row.base["filename"] == "r.txt" and row.base["county"] == "某某县"


def test_export_columns_keep_every_first_unit_and_add_used_ones():
    rows = [export.row_for({}, result([ind("penalty_cases", 3, "起", 1), ind("penalty_cases", 1, "奇怪单位", 2)]))]
    headers = [c.header for c in export.indicator_columns(rows)]
    firsts = [f"{e.id} ({e.units[0]})" for e in load_catalogue()]
    assert [h for h in headers if h in firsts] == firsts
    assert "penalty_cases (起)" in headers and "penalty_cases (奇怪单位)" in headers
    assert "penalty_cases (宗)" not in headers


def test_export_csv_has_bom_and_matches_rows_and_is_formula_safe():
    rows = [export.row_for({"job_id": "-abc", "status": "succeeded"}, result([ind("penalty_cases", 125, "件", 1)])),
            export.row_for({"job_id": "j2", "status": "failed", "error_code": "parse.timeout"}, None)]
    data = export.to_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0]["job_id"] == "-abc"  # our ids are never altered
    assert parsed[0]["title"].startswith("'=")  # document text never becomes a formula
    assert parsed[0]["penalty_cases (件)"] == "125"
    assert parsed[1]["status"] == "failed" and parsed[1]["penalty_cases (件)"] == "" and parsed[1]["error_code"] == "parse.timeout"


def test_export_xlsx_and_jsonl_agree_with_csv():
    from openpyxl import load_workbook

    rows = [export.row_for({"job_id": f"j{i}", "status": "succeeded"}, result([ind("penalty_cases", i * 10, "件", 1),
                                                                               ind("info_proactive", 3562, "条", 2)]))
            for i in range(1, 4)]
    sheet = load_workbook(io.BytesIO(export.to_xlsx(rows)))
    values = list(sheet["reports"].iter_rows(values_only=True))
    jsonl = [json.loads(line) for line in export.to_jsonl(rows).splitlines()]
    assert list(values[0]) == list(jsonl[0]) == export.headers(export.indicator_columns(rows))
    for i, (xrow, jrow) in enumerate(zip(values[1:], jsonl, strict=True), start=1):
        assert dict(zip(values[0], xrow, strict=True))["penalty_cases (件)"] == jrow["penalty_cases (件)"] == i * 10
        assert jrow["info_proactive (条)"] == 3562
    assert isinstance(values[1][values[0].index("title")], str)  # stored as text, not a formula
    legend = list(sheet["columns"].iter_rows(values_only=True))
    assert ("penalty_cases (件)", "penalty_cases") == legend[1 + [c.header for c in export.indicator_columns(rows)].index("penalty_cases (件)")][:2]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_export_render_empty_result_row(fmt):
    assert export.render([export.row_for({"job_id": "j", "status": "queued"}, None)], fmt)
