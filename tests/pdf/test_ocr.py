"""OCR fallback: scanned pages are read by Tesseract; without it they are marked, not failed."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from workers.ingest import ocr
from workers.ingest.pdf import read_pdf

QTY = re.compile(r"\d[\d.]*\s*(?:余|多)?\s*(?:件|次|人|项|场|份|条|万元|元|%|个|家|起|名)")

TSV = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    "1\t1\t0\t0\t0\t0\t0\t0\t1654\t2339\t-1\t\n"
    "4\t1\t1\t1\t1\t0\t200\t400\t600\t50\t-1\t\n"
    "5\t1\t1\t1\t1\t1\t200\t405\t200\t40\t96.5\t办理案件\n"
    "5\t1\t1\t1\t1\t2\t420\t402\t100\t45\t91.0\t128\n"
)


def test_ocr_tsv_glyphs_scale_to_pdf_points():
    glyphs, conf = ocr.tsv_glyphs(TSV, left=0.0, top=842.0, scale=72 / 200)
    assert "".join(g[0] for g in glyphs) == "办理案件128"
    ch, x0, y0, x1, y1 = glyphs[0]
    assert x0 == pytest.approx(200 * 0.36) and x1 == pytest.approx(250 * 0.36)
    # Every glyph of the line shares the line's vertical extent, in bottom-left coordinates.
    assert {(round(g[2], 2), round(g[4], 2)) for g in glyphs} == {(round(842 - 450 * 0.36, 2), round(842 - 400 * 0.36, 2))}
    assert conf == pytest.approx((96.5 + 91.0) / 200)


def test_ocr_unavailable_marks_page_none(pdfs, monkeypatch):
    monkeypatch.setattr(ocr, "available", lambda: False)
    raw = read_pdf(pdfs["scanned.pdf"], max_pages=10)
    assert [p.text_source for p in raw.pages] == ["none"]
    assert raw.text == ""


@pytest.mark.skipif(not ocr.available(), reason="tesseract with chi_sim is not installed")
def test_ocr_scanned_page_gives_its_quantities(pdfs):
    raw = read_pdf(pdfs["scanned.pdf"], max_pages=10)
    assert raw.pages[0].text_source == "ocr"
    assert raw.pages[0].quality > 0.7
    truth = read_pdf(pdfs["rl_000_05ee1e95bd58e56e.pdf"], max_pages=10)
    page1 = truth.text[truth.pages[0].raw_start : truth.pages[0].raw_end]
    want = Counter("".join(m.split()) for m in QTY.findall(page1))
    got = Counter("".join(m.split()) for m in QTY.findall(raw.text))
    assert want and sum((want & got).values()) >= 0.9 * sum(want.values())
    assert len(raw.boxes) == 4 * len(raw.text)
