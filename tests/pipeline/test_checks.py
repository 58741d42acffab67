"""Checks stage: each finding fires on the case it describes and stays quiet otherwise."""

from __future__ import annotations

import pytest

from workers.pipeline import checks, metadata
from workers.pipeline.model import Citation, Doc, RawText, Section

ALL_SECTIONS = [
    Section(kind=k, heading=k, start=0, end=1) for k in ("measures", "shortcomings", "responsibility", "plans")
]

GOOD = """宾川县人民政府关于2022年法治政府建设情况的报告
州人民政府：
2022年，宾川县认真贯彻《法治政府建设实施纲要（2021—2025年）》，扎实推进法治政府建设。现将有关情况报告如下：
一、主要举措和成效
全年办理行政复议案件12件。
宾川县人民政府
2023年2月10日
"""


def run(text: str, sections=ALL_SECTIONS, citations=()) -> list:
    doc = Doc(raw=RawText(text=text, media_type="text/plain"), text=text,
              sections=list(sections), citations=list(citations))
    doc = metadata.run(doc)
    return checks.run(doc).checks


def codes(found) -> list[str]:
    return [c.code for c in found]


def test_checks_clean_report_has_no_findings():
    assert run(GOOD) == []


def test_checks_missing_sections_one_per_kind():
    found = run(GOOD, sections=[s for s in ALL_SECTIONS if s.kind in ("measures", "plans")])
    assert codes(found) == ["section.missing.shortcomings", "section.missing.responsibility"]
    assert all(c.severity == "warning" for c in found)
    assert "存在的不足和原因" in found[0].message and "shortcomings" in found[0].message


def test_checks_items_of_the_2019_rules_are_not_required_of_older_reports():
    old = GOOD.replace("2022年", "2018年").replace("2023年2月10日", "2019年2月10日").replace("（2021—2025年）", "（2015—2020年）")
    assert codes(run(old, sections=[s for s in ALL_SECTIONS if s.kind == "measures"])) == []
    assert codes(run(old, sections=[])) == ["section.missing.measures"]


@pytest.mark.parametrize("cited", ["（2021—2026年）", "(2015-2021年)", "（2021-2024年）"])
def test_checks_framework_cited_with_wrong_years(cited):
    text = GOOD.replace("（2021—2025年）", cited)
    found = [c for c in run(text) if c.code == "citation.framework_years"]
    assert len(found) == 1
    assert text[found[0].start: found[0].end].startswith("法治政府建设实施纲要")


def test_checks_framework_years_from_citations_not_duplicated():
    text = GOOD.replace("（2021—2025年）", "（2021—2026年）")
    start = text.index("《")
    end = text.index("》") + 1
    cite = Citation(title=text[start + 1: end - 1], type="plan", start=start, end=end)
    found = [c for c in run(text, citations=[cite]) if c.code == "citation.framework_years"]
    assert len(found) == 1 and found[0].start == start


def test_checks_other_outlines_are_not_the_framework():
    text = GOOD.replace("《法治政府建设实施纲要（2021—2025年）》", "《法治社会建设实施纲要（2020—2025年）》")
    assert "citation.framework_years" not in codes(run(text))


@pytest.mark.parametrize(
    ("date", "code"),
    [("2022年2月30日", "date.impossible"), ("2022年13月5日", "date.impossible"), ("20222年1月5日", "date.garbled"),
     ("2022年1月 日", "date.garbled")],
)
def test_checks_bad_dates_in_text(date, code):
    text = GOOD.replace("全年办理", f"{date}召开会议，全年办理")
    found = [c for c in run(text) if c.code.startswith("date.")]
    assert codes(found) == [code]
    assert text[found[0].start: found[0].end].replace(" ", "") == date.replace(" ", "")


def test_checks_signed_before_period_end():
    found = run(GOOD.replace("2023年2月10日", "2022年12月1日"))
    assert codes(found) == ["date.signed_before_period_end"]


def test_checks_signed_on_last_day_is_flagged_and_next_day_is_not():
    assert codes(run(GOOD.replace("2023年2月10日", "2022年12月31日"))) == ["date.signed_before_period_end"]
    assert codes(run(GOOD.replace("2023年2月10日", "2023年1月1日"))) == []


@pytest.mark.parametrize(("published", "late"), [("2023-03-31", False), ("2023-04-01", False), ("2023-04-02", True),
                                                  ("2023-05-29", True)])
def test_checks_publication_late(published, late):
    text = GOOD.replace("州人民政府：", f"发布时间：{published} 10:00\n州人民政府：")
    assert ("publication.late" in codes(run(text))) is late


def test_checks_year_mismatch_between_title_and_first_sentence():
    found = run(GOOD.replace("2022年，宾川县", "2021年，宾川县"))
    assert "metadata.year_mismatch" in codes(found)


@pytest.mark.parametrize("title", ["宾川县2022年政府信息公开工作年度报告", "宾川县2023年法治政府建设工作要点"])
def test_checks_not_annual_report_is_info(title):
    text = GOOD.replace("宾川县人民政府关于2022年法治政府建设情况的报告", title)
    found = run(text, sections=[])
    assert [c.code for c in found if c.code.startswith(("report.", "section."))] == ["report.not_annual_report"]
    assert found[0].severity == "info"


def test_checks_report_with_next_years_plan_in_title_is_annual():
    text = GOOD.replace("宾川县人民政府关于2022年法治政府建设情况的报告", "宾川县2022年法治政府建设情况报告及2023年工作要点")
    assert "report.not_annual_report" not in codes(run(text))


def test_checks_codes_in_data_file_have_known_severities():
    table = checks._table()
    for spec in table["codes"].values():
        assert spec["severity"] in ("error", "warning", "info")
        assert spec["zh"] and spec["en"]


@pytest.mark.parametrize("ocr_installed, code", [(False, "ocr.unavailable"), (True, "ocr.failed")])
def test_checks_unread_pdf_pages_are_named(monkeypatch, ocr_installed, code):
    from workers.ingest import ocr
    from workers.pipeline.model import PageRaw

    monkeypatch.setattr(ocr, "available", lambda: ocr_installed)
    pages = [
        PageRaw(number=1, raw_start=0, raw_end=4, width=595, height=842),
        PageRaw(number=2, raw_start=4, raw_end=4, width=595, height=842, text_source="none", quality=0.0),
        PageRaw(number=3, raw_start=4, raw_end=4, width=595, height=842, text_source="none", quality=0.0),
    ]
    doc = Doc(raw=RawText(text="正文内容", media_type="application/pdf", pages=pages), text="正文内容")
    found = [c for c in checks.unread_pages(doc)]
    assert [c.code for c in found] == [code]
    assert found[0].severity == "error" and "2、3" in found[0].message


def test_checks_readable_pdf_has_no_ocr_finding():
    from workers.pipeline.model import PageRaw

    pages = [PageRaw(number=1, raw_start=0, raw_end=4, width=595, height=842)]
    doc = Doc(raw=RawText(text="正文内容", media_type="application/pdf", pages=pages), text="正文内容")
    assert checks.unread_pages(doc) == []


@pytest.mark.parametrize(
    "text",
    [
        "于2022年1月10日和2022 年 13 月 5 日，二〇二二年一月十日、2023-03-22、2023/3/22、2023.03.22",
        "三一二〇二二二年一月一日；12345年1月1日；2022年13月□日；2021年2月30日；1999-01-2023-01-05",
        "2022\n年\n1\n月\n1\n日；2023.03.22.2023.01.05；〇〇〇〇〇〇年一月一日",
    ],
)
def test_dates_found_from_anchors_as_a_full_scan_finds_them(text):
    # find_dates tries each pattern only where an anchor says a match can start; a plain
    # finditer over the whole text (the definition) must give the same dates
    from workers.pipeline import dates

    expected, taken = [], []
    for pattern in dates._PATTERNS:
        for m in pattern.finditer(text):
            if not any(s < m.end() and m.start() < e for s, e in taken):
                expected.append((m.start(), m.end()))
                taken.append((m.start(), m.end()))
    for m in dates._YEAR_MONTH.finditer(text):
        if not any(s < m.end() and m.start() < e for s, e in taken) and not 1 <= int(m["m"]) <= 12:
            expected.append((m.start(), m.end()))
    assert [(d.start, d.end) for d in dates.find_dates(text)] == sorted(expected)
