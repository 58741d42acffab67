"""read_pdf / inspect_pdf on generated PDFs: same characters as the source, chrome removed,
reading order, soft wraps joined, geometry arrays consistent, errors coded."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest

from workers.errors import EncryptedPdf, MalformedPdf, TooManyPages
from workers.ingest.pdf import inspect_pdf, read_pdf

WS = re.compile(r"\s")
QTY = re.compile(r"\d[\d.]*\s*(?:余|多)?\s*(?:件|次|人|项|场|份|条|万元|元|%|个|家|起)")


def squash(s: str) -> str:
    return WS.sub("", s)


def test_pdf_reads_seed_pdfs_with_the_source_characters_in_order(pdfs, seed_texts):
    for stem, text in seed_texts.items():
        for name in (f"rl_{stem}.pdf", f"lo_{stem}.pdf"):
            raw = read_pdf(pdfs[name], max_pages=500)
            # Headers ("— 3 —" footers and the running title) are gone, body text is complete.
            assert squash(raw.text) == squash(text), name


def test_pdf_numbers_with_units_survive(pdfs, seed_texts):
    for stem, text in seed_texts.items():
        raw = read_pdf(pdfs[f"lo_{stem}.pdf"], max_pages=500)
        want = [squash(m) for m in QTY.findall(text.replace("\n", ""))]
        got = [squash(m) for m in QTY.findall(raw.text.replace("\n", ""))]
        assert got == want


def test_pdf_drops_generated_spaces_between_digits_and_cjk(pdfs, seed_texts):
    stem = next(iter(seed_texts))
    raw = read_pdf(pdfs[f"lo_{stem}.pdf"], max_pages=500)
    # LibreOffice switches font for digits; PDFium reports "2021 年". The source has "2021年是".
    assert "2021年是《法治政府建设实施纲要" in raw.text


def test_pdf_joins_soft_wrapped_lines(pdfs, seed_texts):
    for stem, text in seed_texts.items():
        raw = read_pdf(pdfs[f"lo_{stem}.pdf"], max_pages=500)
        src_lines = [ln for ln in text.splitlines() if ln.strip()]
        raw_lines = [ln for ln in raw.text.splitlines() if ln.strip()]
        # Each long source paragraph wraps over several PDF lines; the raw text has about one line
        # per source line (sentence ends at the margin may add a few).
        assert len(raw_lines) <= len(src_lines) * 1.15 + 2, stem
        assert len(raw_lines) >= len(src_lines) * 0.8, stem


def test_pdf_removes_running_headers_and_page_numbers(pdfs, seed_texts):
    stem, text = next(iter(seed_texts.items()))
    raw = read_pdf(pdfs[f"rl_{stem}.pdf"], max_pages=500)
    assert len(raw.pages) > 2
    assert not re.search(r"—\s*\d+\s*—", raw.text)
    title = text.strip().splitlines()[0][:30]
    assert squash(raw.text).count(squash(title)) == squash(text).count(squash(title))


def test_pdf_reads_two_columns_column_by_column(pdfs, seed_texts):
    raw = read_pdf(pdfs["two_column.pdf"], max_pages=500)
    paras = [ln for ln in list(seed_texts.values())[1].splitlines() if len(ln) > 60][:6]
    text = squash(raw.text)
    positions = [text.find(squash(p)) for p in paras]
    assert all(p >= 0 for p in positions), positions
    assert positions == sorted(positions)


def test_pdf_geometry_arrays_match_text(pdfs):
    raw = read_pdf(pdfs["lo_000_05ee1e95bd58e56e.pdf"], max_pages=500)
    assert len(raw.boxes) == 4 * len(raw.text)
    assert len(raw.char_page) == len(raw.text)
    assert [p.number for p in raw.pages] == list(range(1, len(raw.pages) + 1))
    for p in raw.pages:
        assert 0 <= p.raw_start <= p.raw_end <= len(raw.text)
        assert set(raw.char_page[p.raw_start : p.raw_end]) == {p.number - 1}
        assert p.text_source == "text_layer" and p.quality > 0.99
    # Drawn characters have a real box on their page; synthesised ones a zero-area box.
    for i, ch in enumerate(raw.text):
        x0, y0, x1, y1 = raw.boxes[4 * i : 4 * i + 4]
        if ch == "\n":
            assert x0 == x1 and y0 == y1
        elif not ch.isspace():
            assert 0 <= x0 < x1 <= raw.pages[0].width and 0 <= y0 < y1 <= raw.pages[0].height


def test_pdf_boxes_hold_their_characters(pdfs):
    data = pdfs["lo_001_033957f002b379d8.pdf"]
    raw = read_pdf(data, max_pages=500)
    doc = pdfium.PdfDocument(data)
    try:
        for i in range(0, len(raw.text), 97):
            ch = raw.text[i]
            if ch.isspace():
                continue
            page = doc[raw.char_page[i]]
            tp = page.get_textpage()
            x0, y0, x1, y1 = raw.boxes[4 * i : 4 * i + 4]
            found = tp.get_text_bounded(x0 + 0.5, y0 + 0.5, x1 - 0.5, y1 - 0.5)
            tp.close()
            page.close()
            assert ch in found, (i, ch, found)
    finally:
        doc.close()


def test_pdf_progress_is_reported_per_page(pdfs):
    calls = []
    raw = read_pdf(pdfs["rl_000_05ee1e95bd58e56e.pdf"], max_pages=500, on_page=lambda d, t: calls.append((d, t)))
    n = len(raw.pages)
    assert calls == [(i, n) for i in range(1, n + 1)]


def test_pdf_too_many_pages(pdfs):
    with pytest.raises(TooManyPages) as exc:
        read_pdf(pdfs["rl_000_05ee1e95bd58e56e.pdf"], max_pages=2)
    assert exc.value.code == "input.too_many_pages"


@pytest.mark.parametrize(
    ("name", "error", "code"),
    [
        ("encrypted.pdf", EncryptedPdf, "input.encrypted"),
        ("truncated.pdf", MalformedPdf, "input.malformed_pdf"),
        ("not_a_pdf.pdf", MalformedPdf, "input.malformed_pdf"),
    ],
)
def test_pdf_bad_files_raise_their_code(pdfs, name, error, code):
    with pytest.raises(error) as exc:
        read_pdf(pdfs[name], max_pages=500)
    assert exc.value.code == code
    with pytest.raises(error):
        inspect_pdf(pdfs[name])


def test_pdf_owner_password_only_opens(pdfs):
    info = inspect_pdf(pdfs["owner_only.pdf"])
    assert info.pages == 1 and info.encrypted
    raw = read_pdf(pdfs["owner_only.pdf"], max_pages=500)
    assert "行政复议案件120件" in raw.text


def test_pdf_inspect_counts_pages(pdfs):
    info = inspect_pdf(pdfs["rl_000_05ee1e95bd58e56e.pdf"])
    assert info.pages == len(read_pdf(pdfs["rl_000_05ee1e95bd58e56e.pdf"], max_pages=500).pages)
    assert not info.encrypted
    with pytest.raises(MalformedPdf):
        inspect_pdf(b"hello world")


@pytest.mark.parametrize("name", ["garbage.pdf", "cid_garbage.pdf"])
def test_pdf_garbage_text_layer_is_not_emitted(pdfs, name):
    raw = read_pdf(pdfs[name], max_pages=500, use_ocr=False)
    assert raw.pages[0].text_source == "none"
    assert raw.pages[0].quality < 0.5
    assert raw.text == ""


def test_pdf_quality_of_real_pages_is_high(pdfs, seed_texts):
    for stem in seed_texts:
        raw = read_pdf(pdfs[f"rl_{stem}.pdf"], max_pages=500)
        assert all(p.text_source == "text_layer" and p.quality >= 0.95 for p in raw.pages), stem


def test_pdf_ruled_table_cells_have_text_offsets_and_boxes(pdfs):
    raw = read_pdf(pdfs["table.pdf"], max_pages=10)
    assert len(raw.tables) == 1
    table = raw.tables[0]
    assert table.page == 1
    rows = [[c.text for c in row] for row in table.rows]
    assert rows[0] == ["项目", "2022年", "2023年"]
    assert rows[1] == ["收到行政复议申请（件）", "96", "128"]
    for row in table.rows:
        for cell in row:
            assert raw.text[cell.raw_start : cell.raw_end] == cell.text
            x0, y0, x1, y1 = cell.bbox
            b = raw.boxes[4 * cell.raw_start : 4 * cell.raw_start + 4]
            assert x0 <= b[0] and b[2] <= x1 and y0 <= b[1] and b[3] <= y1
    # Cells of one row are separated, and the row never runs into the next paragraph.
    assert "\n收到行政复议申请（件） 96 128\n" in raw.text
    assert "4087\n以上数据" in raw.text


def test_pdf_pages_without_rulings_skip_pdfplumber(pdfs, monkeypatch):
    from workers.ingest import pdf_tables

    def boom(self, index):
        raise AssertionError("pdfplumber opened for a page without ruling lines")

    monkeypatch.setattr(pdf_tables.Plumber, "tables", boom)
    raw = read_pdf(pdfs["lo_000_05ee1e95bd58e56e.pdf"], max_pages=500)
    assert raw.tables == []


def test_pdf_drops_diagonal_watermark(pdfs, seed_texts):
    raw = read_pdf(pdfs["watermark.pdf"], max_pages=500)
    assert "内部资料" not in raw.text
    assert squash(raw.text) == squash(list(seed_texts.values())[2])


def test_pdf_broken_pdfplumber_does_not_fail_the_read(pdfs, monkeypatch):
    """pdfminer may reject a page tree PDFium accepts (found by fuzzing): tables are dropped, text stays."""
    import pdfplumber

    class Broken:
        @property
        def pages(self):
            raise pdfplumber.utils.exceptions.PdfminerException("Invalid dictionary construct")

        def close(self):
            self.pages  # pdfplumber.PDF.close walks the pages too

    monkeypatch.setattr(pdfplumber, "open", lambda *a, **k: Broken())
    raw = read_pdf(pdfs["table.pdf"], max_pages=10)
    assert raw.tables == []
    assert "主动公开政府信息（条） 3210 4087" in raw.text


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_pdf_reads_rotated_text_upright(pdfs, turn):
    data = pdfs[f"rotated_{turn}.pdf"]
    raw = read_pdf(data, max_pages=5)
    assert raw.text == "附表：2023年行政执法统计\n行政处罚案件共计128件，罚没款56万元。\n行政复议申请96件，纠错11件。"
    # Boxes stay in page space: each character's box holds that character on the page.
    doc = pdfium.PdfDocument(data)
    page = doc[0]
    tp = page.get_textpage()
    try:
        for i in (0, raw.text.index("128"), len(raw.text) - 1):
            x0, y0, x1, y1 = raw.boxes[4 * i : 4 * i + 4]
            assert raw.text[i] in tp.get_text_bounded(x0 + 0.5, y0 + 0.5, x1 - 0.5, y1 - 0.5)
    finally:
        tp.close()
        page.close()
        doc.close()
