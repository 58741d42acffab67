"""pdf_layout, pdf_chrome and pdf_join on hand-placed glyphs: rows, columns, chrome, soft wraps."""

from __future__ import annotations

import pytest

from workers.ingest.pdf_chrome import mark_chrome
from workers.ingest.pdf_join import joiner
from workers.ingest.pdf_layout import config, layout_page, needs_space

W, H = 595.0, 842.0
SIZE = 10.0


def glyphs(text: str, x: float, y: float, size: float = SIZE) -> list:
    out = []
    for ch in text:
        w = size if ord(ch) > 0x2E80 else size * 0.55
        out.append((ch, x, y, x + w, y + size))
        x += w
    return out


def body(lines: list[tuple[str, float, float]]) -> list:
    out = []
    for text, x, y in lines:
        out += glyphs(text, x, y)
    return out


def text_of(pages) -> str:
    """Emit like pdf._assemble, without boxes."""
    out = []
    prev = None
    for page in pages:
        for ln in page.lines:
            if ln.chrome:
                continue
            if prev is not None:
                out.append(joiner(prev[0], prev[1], ln, page))
            out.append(ln.text)
            prev = (ln, page)
    return "".join(out)


def test_pdf_layout_orders_rows_by_geometry_not_stream():
    # The footer comes first in the stream (reportlab draws page decorations first).
    g = glyphs("— 1 —", 280, 36) + body([("第一行文字。", 72, 760), ("第二行文字。", 72, 740)])
    page = layout_page(g, W, H)
    assert [ln.text for ln in page.lines] == ["第一行文字。", "第二行文字。", "— 1 —"]


def test_pdf_layout_reads_two_columns_left_then_right():
    left = [(f"左栏第{i}行内容" + "内容" * 8, 60, 700 - 16 * i) for i in range(6)]
    right = [(f"右栏第{i}行内容" + "内容" * 8, 315, 700 - 16 * i) for i in range(6)]
    g = glyphs("标题", 287, 760) + body([x for pair in zip(left, right) for x in pair])
    page = layout_page(g, W, H)
    assert page.columns
    texts = [ln.text for ln in page.lines]
    assert texts[0] == "标题"
    assert texts[1:7] == [t for t, _, _ in left] and texts[7:] == [t for t, _, _ in right]


def test_pdf_layout_table_like_rows_stay_one_column():
    rows = [(f"项目{i}", 80, 700 - 20 * i) for i in range(6)] + [(f"{i * 7}", 400, 700 - 20 * i) for i in range(6)]
    page = layout_page(body(rows), W, H)
    assert not page.columns
    assert page.lines[0].text == "项目0 0"


@pytest.mark.parametrize("footer", ["— 3 —", "- 3 -", "第3页 共9页", "3", "3/9", "－3－"])
def test_pdf_layout_page_number_lines_are_chrome(footer):
    g = body([("正文第一行。", 72, 760), ("正文第二行。", 72, 740)]) + glyphs(footer, 280, 36)
    page = layout_page(g, W, H)
    assert mark_chrome([page]) == 1
    assert text_of([page]) == "正文第一行。\n正文第二行。"


def test_pdf_layout_running_header_removed_but_body_title_kept():
    title = "某某县2023年法治政府建设情况报告"
    pages = []
    for n in range(3):
        g = glyphs(title, 200, 805, size=9)  # running header, small, at the very top
        if n == 0:
            g += glyphs(title, 150, 750, size=16)  # the document title, same words
        g += body([(f"第{n + 1}页正文。", 72, 700)])
        pages.append(layout_page(g, W, H))
    mark_chrome(pages)
    out = text_of(pages)
    assert out.count(title) == 1
    assert out.startswith(title)


def test_pdf_layout_number_in_body_is_not_a_page_number():
    g = body([("全年共办理案件", 72, 760)]) + glyphs("128", 72, 400)
    page = layout_page(g, W, H)
    assert mark_chrome([page]) == 0


FULL = "一" * 40  # reaches the right margin (72 + 40 * 10 = 472)


@pytest.mark.parametrize(
    ("first", "second", "x2", "sep"),
    [
        (FULL[:-2] + "案件", "128件，同比增长。", 72, ""),  # soft wrap mid-sentence
        (FULL[:-1] + "。", "二是加强监督。", 72, "\n"),  # sentence end at the margin
        (FULL, "（二）加强监督", 72, "\n"),  # next line is a heading
        (FULL, "全年办理案件。", 92, "\n"),  # next line indented: a new paragraph
        ("短行结束", "全年办理案件。", 72, "\n"),  # short line: paragraph end
    ],
)
def test_pdf_layout_joiner(first, second, x2, sep):
    lines = [(FULL, 72, 780), (first, 72, 760), (second, x2, 740), ("一" * 40, 72, 720)]
    page = layout_page(body(lines), W, H)
    assert joiner(page.lines[1], page, page.lines[2], page) == sep


def test_pdf_layout_joins_across_pages():
    p1 = layout_page(body([(FULL, 72, 700), (FULL[:-2] + "共计", 72, 680)]), W, H)
    p2 = layout_page(body([("56件。", 72, 780), (FULL, 72, 760)]), W, H)
    assert joiner(p1.lines[-1], p1, p2.lines[0], p2) == ""


def test_pdf_layout_latin_gap_gets_a_space_cjk_gap_does_not():
    cfg = config()
    a, b = ("A", 72, 700, 78, 710), ("B", 82, 700, 88, 710)
    assert needs_space(a, b, 10, cfg)
    c, d = ("1", 72, 700, 78, 710), ("年", 80, 700, 90, 710)
    assert not needs_space(c, d, 10, cfg)


def test_pdf_layout_sentence_end_at_margin_joins_only_in_indented_documents():
    ended = FULL[:-1] + "。"
    flush = [(FULL, 72, 780), (ended, 72, 760), ("全年办理案件。" + "一" * 30, 72, 740), (FULL, 72, 720)]
    page = layout_page(body(flush), W, H)
    assert not page.indented
    assert joiner(page.lines[1], page, page.lines[2], page) == "\n"
    # Paragraphs here start two characters in: an unindented line after a full one continues it.
    indented = [("一" * 38, 92, 800), (FULL, 72, 780), (ended, 72, 760), ("全年办理案件。", 72, 740), ("一" * 38, 92, 720), (FULL, 72, 700)]
    page = layout_page(body(indented), W, H)
    assert page.indented
    assert joiner(page.lines[2], page, page.lines[3], page) == ""
    assert joiner(page.lines[3], page, page.lines[4], page) == "\n"


def test_pdf_layout_closing_bracket_is_not_a_sentence_end():
    lines = [(FULL, 72, 780), (FULL[:-3] + "（审查）", 72, 760), ("通过后才能实施。", 72, 740), (FULL, 72, 720)]
    page = layout_page(body(lines), W, H)
    assert joiner(page.lines[1], page, page.lines[2], page) == ""


def test_pdf_layout_wide_line_spacing_still_joins():
    # 16-pt text on a 36-pt pitch: the white space between lines exceeds the glyph height.
    lines = [(FULL[:30], 72, 780 - 36 * i) for i in range(6)]
    g = []
    for text, x, y in lines:
        g += glyphs(text, x, y, size=16)
    page = layout_page(g, W, H)
    assert all(joiner(a, page, b, page) == "" for a, b in zip(page.lines, page.lines[1:]))
