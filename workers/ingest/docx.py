"""Read a DOCX report into ``RawText``: body paragraphs and tables in document order.

The ZIP container is checked by ``archive.check_infos`` before python-docx inflates anything
(a DOCX is a ZIP, so it can be a zip bomb). Table rows become one line each with cells joined
by a tab, except rows of the 政府信息公开 header table (索引号/发布机构/成文日期), which the metadata
stage reads as "索引号：…" lines, exactly as the HTML reader writes them. Word's automatic
list numbering ("一、", "（一）") is written into the text (``docx_numbering``).
"""

from __future__ import annotations

import io
import zipfile

from workers.errors import InputError
from workers.ingest.archive import check_infos, is_docx, limits, open_zip
from workers.ingest.docx_numbering import Numbering
from workers.ingest.html import header_pairs
from workers.pipeline.model import RawText

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MALFORMED = "input.malformed_docx"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def check_docx(data: bytes, max_bytes: int) -> None:
    """Cheap submit-time check: a readable ZIP with a Word main part and no bomb."""
    with open_zip(data) as zf:
        if not is_docx(zf):
            raise InputError("the file is a ZIP but not a Word document (no word/document.xml)", code=MALFORMED)
        check_infos(zf.infolist(), max_members=limits().max_docx_members, max_member_bytes=max_bytes, what="DOCX")


def read_docx(data: bytes, *, max_bytes: int) -> RawText:
    import docx  # python-docx; imported here so the service does not load lxml for text jobs
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_docx(data, max_bytes)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"the Word document cannot be read: {exc}", code=MALFORMED) from None
    except Exception as exc:  # noqa: BLE001 - lxml/python-docx raise assorted errors on broken parts
        raise InputError(f"the Word document cannot be read ({type(exc).__name__})", code=MALFORMED) from None
    numbering = Numbering(document)
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        if block.tag == f"{_W}p":
            text = Paragraph(block, document).text
            label = numbering.label(block)  # empty numbered paragraphs still advance Word's counters
            lines.append(label + text.lstrip() if label and text.strip() and not text.lstrip().startswith(label) else text)
        elif block.tag == f"{_W}tbl":
            lines.extend(_table_lines(Table(block, document)))
    text = "\n".join(line.rstrip() for line in lines)
    return RawText(text=text.strip("\n") + "\n", media_type=DOCX)


def _table_lines(table) -> list[str]:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            value = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            if not cells or value != cells[-1]:  # merged cells repeat in python-docx
                cells.append(value)
        cells = [c for c in cells if c]
        pairs = header_pairs(cells)
        lines.extend(pairs if pairs else ["\t".join(cells)])
    return lines
