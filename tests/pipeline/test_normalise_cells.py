"""PDF table rows keep one space between cells; text input and close PDF glyphs do not."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from workers.ingest.pdf import read_pdf
from workers.pipeline.model import RawText
from workers.pipeline.normalise import normalise_text

WQY = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def _pdf(rows: list[list[tuple[float, str]]]) -> bytes:
    if not Path(WQY).is_file():
        pytest.skip("fonts-wqy-zenhei is not installed")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("WQY", WQY))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595.28, 841.89))
    c.setFont("WQY", 12)
    c.drawString(72, 780, "某某县2023年法治政府建设年度报告")
    for k, row in enumerate(rows):
        for x, cell in row:
            c.drawString(x, 740 - 20 * k, cell)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_normalise_keeps_space_between_pdf_table_cells():
    data = _pdf([[(72, "项目"), (200, "2022年"), (320, "2023年")], [(72, "行政复议"), (200, "15件"), (320, "21件")]])
    text, _ = normalise_text(read_pdf(data, max_pages=5, use_ocr=False))
    assert "项目 2022年 2023年" in text
    assert "行政复议 15件 21件" in text
    assert "项目 2022年 2023年\n行政复议" in text  # rows stay apart


def test_normalise_drops_pdf_space_between_close_glyphs():
    # two runs one narrow space apart: the PDF's own spacing, not a cell border
    data = _pdf([[(72, "办理行政复议案件"), (72 + 8 * 12 + 3, "15件")]])
    text, _ = normalise_text(read_pdf(data, max_pages=5, use_ocr=False))
    assert "办理行政复议案件15件" in text


def test_normalise_text_input_glues_cells_as_before():
    text, _ = normalise_text(RawText(text="项目 2022年 2023年\n", media_type="text/plain"))
    assert text == "项目2022年2023年"
