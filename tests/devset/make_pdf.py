"""Renders ``*_pdf.source.txt`` into ``*_pdf.pdf`` the way an office exports a report: A4, CJK
line wrapping, a "— N —" page number under every page. Run it after editing a source:

    uv run python tests/devset/make_pdf.py

The labels of a PDF document are written against its source text; the scorer finds anchors in
the canonical text ignoring whitespace, so line wrapping in the PDF does not matter.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"  # reportlab cannot embed the CFF Noto CJK fonts
HERE = Path(__file__).resolve().parent


def render(source: Path) -> Path:
    pdfmetrics.registerFont(TTFont("WQY", FONT, subfontIndex=0))
    body = ParagraphStyle("body", fontName="WQY", fontSize=15, leading=26, wordWrap="CJK", firstLineIndent=30)
    title = ParagraphStyle("title", parent=body, fontSize=19, leading=30, alignment=1, firstLineIndent=0)
    lines = source.read_text(encoding="utf-8").splitlines()
    story = [Paragraph(lines[0], title)]
    for line in lines[1:]:
        story.append(Paragraph(line, body) if line.strip() else Spacer(1, 8))

    def footer(canvas, doc):
        canvas.setFont("WQY", 12)
        canvas.drawCentredString(A4[0] / 2, 40, f"— {doc.page} —")

    out = source.with_name(source.name.replace(".source.txt", ".pdf"))
    SimpleDocTemplate(str(out), pagesize=A4, title="", author="", creator="", producer="").build(
        story, onFirstPage=footer, onLaterPages=footer
    )
    return out


if __name__ == "__main__":
    for src in sorted(HERE.glob("*_pdf.source.txt")):
        print(render(src))
