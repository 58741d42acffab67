"""Long PDFs read in several processes: same raw text, one error code, no process left behind."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from fazhi.settings import get_settings
from workers.errors import EncryptedPdf, ParseCrashed, ParseMemory
from workers.ingest.pdf import read_pdf
from workers.ingest.pdf_sandbox import read_pdf_isolated, run_isolated
from workers.ingest.pdf_split import map_page_ranges, page_ranges
from tests.pdf.test_pdf_sandbox import no_children_left


@pytest.fixture(scope="session")
def long_pdf(maker, seed_texts) -> bytes:
    if not Path(maker.WQY).is_file():
        pytest.skip("fonts-wqy-zenhei is not installed (reportlab needs a CJK TrueType font)")
    text = "\n".join(seed_texts.values())
    return maker.report_pdf("\n".join([text] * 2), header="某县2023年法治政府建设年度报告")


def test_page_ranges_cover_every_page_once_and_keep_short_pdfs_whole():
    for total in (1, 7, 15, 16, 17, 40, 303):
        for processes in (1, 2, 3, 4):
            ranges = page_ranges(total, processes)
            assert [i for r in ranges for i in r] == list(range(total))
            assert len(ranges) <= processes
            assert len(ranges) == 1 or min(len(r) for r in ranges) >= 8
    assert len(page_ranges(15, 2)) == 1 and len(page_ranges(16, 2)) == 2


def test_split_read_is_identical_to_one_process(long_pdf):
    one = read_pdf(long_pdf, max_pages=500)
    assert len(one.pages) >= 24, "the fixture must be long enough to split three ways"
    for processes in (2, 3):
        split = read_pdf(long_pdf, max_pages=500, processes=processes)
        assert split.text == one.text
        assert split.pages == one.pages
        assert split.boxes == one.boxes and split.char_page == one.char_page
        assert split.tables == one.tables
    assert no_children_left()


def test_sandboxed_split_read_reports_every_page_to_the_worker(long_pdf):
    calls = []
    settings = get_settings(environ={}, pdf_processes=2, max_pages=500)
    raw = read_pdf_isolated(long_pdf, settings=settings, on_page=lambda done, total: calls.append((done, total)))
    total = len(raw.pages)
    assert calls[-1] == (total, total)
    # Both processes' pages arrive as progress (the per-page deadline watches them).
    assert len(calls) >= total and {t for _, t in calls} == {total}
    assert raw.text == read_pdf(long_pdf, max_pages=500).text
    assert no_children_left()


def _pages(pages: range, report, fail_on: int, how: str):
    out = []
    for i in pages:
        if i == fail_on:
            if how == "input":
                raise EncryptedPdf("the PDF is encrypted")
            if how == "memory":
                raise MemoryError
            if how == "segfault":
                os.kill(os.getpid(), signal.SIGSEGV)
            if how == "exit":
                os._exit(0)
        out.append(i)
        report()
    return out


@pytest.mark.parametrize(
    ("how", "error"),
    [("input", EncryptedPdf), ("memory", MemoryError), ("segfault", ParseCrashed), ("exit", ParseCrashed)],
)
def test_a_failing_helper_fails_the_read_with_its_code(how, error):
    ranges = page_ranges(30, 3)
    with pytest.raises(error):
        map_page_ranges(lambda r, report: _pages(r, report, fail_on=25, how=how), ranges, 30, None)
    assert no_children_left()


def test_a_failing_first_range_stops_the_helpers():
    ranges = page_ranges(30, 3)
    with pytest.raises(EncryptedPdf):
        map_page_ranges(lambda r, report: _pages(r, report, fail_on=3, how="input"), ranges, 30, None)
    assert no_children_left()


def test_results_come_back_in_page_order():
    ranges = page_ranges(40, 4)
    parts = map_page_ranges(lambda r, report: _pages(r, report, fail_on=-1, how=""), ranges, 40, None)
    assert [i for part in parts for i in part] == list(range(40))


def _split_then_allocate(on_page=None):
    def hog(pages: range, report):
        if pages.start > 0:
            blocks = []
            while True:
                blocks.append(bytearray(64 * 1024 * 1024))
        return list(pages)

    return map_page_ranges(hog, page_ranges(16, 2), 16, on_page)


def test_a_helper_out_of_memory_is_parse_memory_in_the_sandbox():
    with pytest.raises(ParseMemory):
        run_isolated(_split_then_allocate, timeout=20, page_timeout=20, memory_mb=512)
    assert no_children_left()
