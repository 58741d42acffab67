"""The benchmark's documents: the shared seed reports and PDFs generated from them.

Seeds live beside the checkout (``../shared/seeds``); ``FAZHI_BENCH_SEEDS`` points elsewhere.
PDFs are made with reportlab and WenQuanYi Zen Hei (a TrueType CJK font reportlab can embed),
one Paragraph per source line like a real export, with a running header and page numbers so
the layout stage has chrome to strip.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEEDS = ROOT.parent / "shared" / "seeds"
FONT_FILE = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FONT_NAME = "BenchWQY"
A4 = (595.28, 841.89)


class CorpusError(RuntimeError):
    """The seeds or the CJK font are missing."""


@dataclass(frozen=True)
class Pdf:
    name: str
    data: bytes
    pages: int


def seeds_dir() -> Path:
    path = Path(os.environ.get("FAZHI_BENCH_SEEDS") or DEFAULT_SEEDS)
    if not path.is_dir() or not any(path.glob("*.txt")):
        raise CorpusError(
            f"no seed reports (*.txt) in {path}: the benchmark needs the shared seeds at ../shared/seeds "
            "beside the checkout, or FAZHI_BENCH_SEEDS=<dir with .txt reports>"
        )
    return path


def seed_texts() -> list[tuple[str, str]]:
    """``(name, text)`` of every seed, sorted by name."""
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(seeds_dir().glob("*.txt"))]


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        if not os.path.exists(FONT_FILE):
            raise CorpusError(f"the CJK font {FONT_FILE} is missing (apt-get install fonts-wqy-zenhei)")
        pdfmetrics.registerFont(TTFont(FONT_NAME, FONT_FILE, subfontIndex=0))
    return FONT_NAME


def report_pdf(text: str, header: str = "") -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    font = _font()
    style = ParagraphStyle("body", fontName=font, fontSize=12, leading=20, wordWrap="CJK", firstLineIndent=24)

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 9)
        if header:
            canvas.drawCentredString(A4[0] / 2, A4[1] - 40, header)
        canvas.drawCentredString(A4[0] / 2, 36, f"— {doc.page} —")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=72, rightMargin=72, topMargin=72, bottomMargin=72)
    doc.build([Paragraph(escape(line), style) for line in text.splitlines() if line.strip()],
              onFirstPage=decorate, onLaterPages=decorate)  # fmt: skip
    return buf.getvalue()


def page_count(data: bytes) -> int:
    import pypdfium2

    doc = pypdfium2.PdfDocument(data)
    try:
        return len(doc)
    finally:
        doc.close()


def _header(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:30]


def seed_pdfs(seeds: list[tuple[str, str]]) -> list[Pdf]:
    out = []
    for name, text in seeds:
        data = report_pdf(text, _header(text))
        out.append(Pdf(name=name.rsplit(".", 1)[0] + ".pdf", data=data, pages=page_count(data)))
    return out


def big_pdf(seeds: list[tuple[str, str]], min_pages: int, seed_pdf_pages: int) -> Pdf:
    """The seeds concatenated until the PDF has at least ``min_pages`` pages."""
    corpus = "\n\n".join(text for _, text in seeds)
    copies = max(1, -(-min_pages // max(1, seed_pdf_pages)))
    while True:
        text = "\n\n".join([corpus] * copies)
        data = report_pdf(text, _header(corpus))
        pages = page_count(data)
        if pages >= min_pages:
            return Pdf(name=f"big_{pages}p.pdf", data=data, pages=pages)
        copies = max(copies + 1, -(-copies * min_pages // max(1, pages)))
