"""Stage 'outline': the heading tree and the required sections of a report.

Reads ``Doc.text`` (canonical text: one paragraph per line, headings start a line). Assigns
``Doc.outline`` (``Heading`` with level, label, title, spans and 纲要 ``system``) and
``Doc.sections`` (``Section`` per required content item). Heading ``end`` and section ``end``
stop at the closing block (signature and date), never inside it.

Data: ``headings_enumerators.toml``, ``sections_kinds.toml``, ``framework_systems.toml``.
DOCS: domain reference §1.2, §1.4, §2, §5; issue 3.
"""

from __future__ import annotations

from workers.pipeline import outline_closing, outline_headings, outline_sections, outline_systems
from workers.pipeline.model import Doc

NAME = "outline"
REQUIRES = ("text",)
ASSIGNS = ("outline", "sections")


def warm() -> None:
    outline_headings.rules()
    outline_sections.tables()
    outline_systems.warm()
    outline_closing.warm()


def run(doc: Doc) -> Doc:
    """RETURNS: the Doc with ``outline`` and ``sections`` set."""
    text = doc.text
    body_end = outline_closing.closing_start(text)
    headings = outline_headings.find_headings(text, body_end)
    outline_systems.assign(headings)
    doc.outline = headings
    doc.sections = outline_sections.build(text, headings, body_end)
    return doc
