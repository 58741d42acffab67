"""Stage 'provenance': evidence page and boxes hold the quoted characters."""

from __future__ import annotations

import unicodedata
from array import array
from collections import Counter

import pypdfium2 as pdfium
import pytest

from workers.ingest.pdf import read_pdf
from workers.pipeline import provenance
from workers.pipeline.model import Doc, Evidence, Indicator, PageRaw, RawText
from workers.pipeline.runner import extract


def _indicator(start: int, end: int, text: str) -> Indicator:
    return Indicator(
        id=None, name="", system=None, value=1, unit="件", qualifier="exact", subject="", section=None,
        evidence=Evidence(start=start, end=end, quote=text[start:end]),
    )


def _raw(lines: list[tuple[str, float, int]]) -> RawText:
    """Raw text from (text, baseline y, page) lines, 10-pt glyphs, no separators (soft wraps)."""
    text, boxes, pages = [], array("f"), array("I")
    for s, y, page in lines:
        for i, ch in enumerate(s):
            text.append(ch)
            boxes.extend((72 + 10 * i, y, 82 + 10 * i, y + 10))
            pages.append(page)
    return RawText(
        text="".join(text), media_type="application/pdf", boxes=boxes, char_page=pages,
        pages=[PageRaw(number=1, raw_start=0, raw_end=len(text), width=595, height=842)],
    )


def test_provenance_one_box_per_visual_line():
    raw = _raw([("全年办理行政复议案件1", 700, 0), ("28件，同比增长", 680, 0)])
    doc = Doc(raw=raw, text=raw.text, to_raw=array("i", range(len(raw.text) + 1)))
    start = raw.text.index("128件")
    doc.indicators = [_indicator(start, start + 4, raw.text)]
    ev = provenance.run(doc).indicators[0].evidence
    assert ev.page == 1
    assert [b.bbox for b in ev.boxes] == [(172.0, 700.0, 182.0, 710.0), (72.0, 680.0, 102.0, 690.0)]
    assert ev.bbox == (72.0, 680.0, 182.0, 710.0)


def test_provenance_first_page_wins_and_bbox_stays_on_it():
    raw = _raw([("复议案件1", 60, 0), ("28件", 780, 1)])
    doc = Doc(raw=raw, text=raw.text, to_raw=array("i", range(len(raw.text) + 1)))
    doc.indicators = [_indicator(4, 8, raw.text)]
    ev = provenance.run(doc).indicators[0].evidence
    assert ev.page == 1 and ev.bbox == (112.0, 60.0, 122.0, 70.0)
    assert [b.page for b in ev.boxes] == [1, 2]


def test_provenance_maps_through_to_raw_and_skips_synthesised_chars():
    raw = _raw([("共 128 件", 700, 0)])
    boxes = raw.boxes
    boxes[4 * 1 : 4 * 2] = array("f", (0, 0, 0, 0))  # the first space is synthesised
    # canonical text drops the spaces: "共128件"
    keep = [i for i, ch in enumerate(raw.text) if ch != " "]
    doc = Doc(raw=raw, text="".join(raw.text[i] for i in keep), to_raw=array("i", keep + [len(raw.text)]))
    doc.indicators = [_indicator(0, 5, doc.text), _indicator(1, 5, doc.text)]
    whole, number = (i.evidence for i in provenance.run(doc).indicators)
    assert whole.bbox == (72.0, 700.0, 142.0, 710.0)  # the zero-area space does not pull in (0, 0)
    assert number.bbox == (92.0, 700.0, 142.0, 710.0)
    ev = whole
    assert len(ev.boxes) == 1


def test_provenance_noop_for_text_input():
    raw = RawText(text="共办理128件。", media_type="text/plain")
    doc = Doc(raw=raw, text=raw.text, to_raw=array("i", range(len(raw.text) + 1)))
    doc.indicators = [_indicator(3, 7, raw.text)]
    ev = provenance.run(doc).indicators[0].evidence
    assert ev.page is None and ev.bbox is None and ev.boxes == []


def _squash(s: str) -> str:
    return "".join(unicodedata.normalize("NFKC", s).split())


@pytest.mark.parametrize("kind", ["lo", "rl"])
def test_provenance_boxes_hold_the_quote_on_the_pdf_page(pdfs, seed_texts, kind):
    for stem in seed_texts:
        data = pdfs[f"{kind}_{stem}.pdf"]
        result = extract(read_pdf(data, max_pages=500))
        assert result.indicators, stem
        doc = pdfium.PdfDocument(data)
        try:
            for ind in result.indicators:
                ev = ind.evidence
                assert ev.page is not None and ev.bbox is not None and ev.boxes
                assert ev.boxes[0].page == ev.page
                found = []
                for box in ev.boxes:
                    page = doc[box.page - 1]
                    tp = page.get_textpage()
                    x0, y0, x1, y1 = box.bbox
                    found.append(tp.get_text_bounded(x0 + 0.3, y0 + 0.3, x1 - 0.3, y1 - 0.3))
                    tp.close()
                    page.close()
                    bx0, by0, bx1, by1 = ev.bbox
                    if box.page == ev.page:
                        assert bx0 <= x0 and by0 <= y0 and x1 <= bx1 and y1 <= by1
                assert _squash(ev.quote) == _squash("".join(found)), (stem, ev.quote, found)
        finally:
            doc.close()


def test_provenance_pdf_results_equal_text_results(pdfs, maker):
    """A LibreOffice PDF of a report gives the indicators, metadata and sections of its text."""
    if not any(name.startswith("lo_") for name in pdfs):
        pytest.skip("LibreOffice (soffice) is not installed")
    for path in maker.seed_paths() + maker.devset_paths():
        name = f"lo_{path.stem}.pdf"
        if name not in pdfs:
            continue
        as_text = extract(RawText(text=path.read_text(encoding="utf-8"), media_type="text/plain"))
        as_pdf = extract(read_pdf(pdfs[name], max_pages=500))

        def key(r):
            return Counter((i.id, i.value, i.unit, i.qualifier, i.section) for i in r.indicators)

        assert key(as_pdf) == key(as_text), path.stem
        for field in ("title", "issuer", "body_type", "level", "report_year", "signed_date", "framework"):
            assert getattr(as_pdf.metadata, field) == getattr(as_text.metadata, field), (path.stem, field)
        assert [(s.kind, s.heading) for s in as_pdf.sections] == [(s.kind, s.heading) for s in as_text.sections], path.stem


def test_provenance_numeric_table_cells_become_indicators(pdfs):
    result = extract(read_pdf(pdfs["table.pdf"], max_pages=10))
    cells = [i for i in result.indicators if i.subject == "复议纠错"]
    assert [(i.value, i.unit, i.name) for i in cells] == [(11, "件", "复议纠错（2022年）"), (17, "件", "复议纠错（2023年）")]
    for ind in cells:
        ev = ind.evidence
        assert result.text[ev.start : ev.end] == ev.quote == str(ind.value)
        assert ev.page == 1 and len(ev.boxes) == 1
    # Year headers and labels are not quantities.
    assert not any(i.value in (2022, 2023) and i.unit == "件" for i in result.indicators)
    assert {i.value for i in result.indicators if i.unit == "条"} == {3210, 4087}


@pytest.mark.parametrize(
    ("label", "want"),
    [("复议纠错（件）", ("复议纠错", "件", 1)), ("涉案金额(万元)", ("涉案金额", "元", 10000)), ("项目", None), ("2023年", None)],
)
def test_provenance_label_unit(label, want):
    assert provenance._label_unit(label) == want
