"""Stage 'lists': cited documents and the items of the shortcomings and plans sections.

Reads ``Doc.text``, ``Doc.outline`` and ``Doc.sections`` (from the outline stage). Assigns
``Doc.citations`` (every 《…》 title with a type), ``Doc.shortcomings`` and ``Doc.plans``
(``Item`` per enumerated item; ``item.text == doc.text[item.start:item.end]``).

Data: ``citations_types.toml``, ``headings_enumerators.toml``.
DOCS: issue 3; domain reference §5.
"""

from __future__ import annotations

from workers.pipeline import lists_citations, lists_items
from workers.pipeline.model import Doc, Item

NAME = "lists"
REQUIRES = ("text", "outline", "sections")
ASSIGNS = ("citations", "shortcomings", "plans")


def warm() -> None:
    lists_citations.types()
    lists_items._inline()


def _items_of(doc: Doc, kind: str) -> list[Item]:
    out: list[Item] = []
    seen: set[tuple[int, int]] = set()
    for section in doc.sections:
        if section.kind != kind:
            continue
        for item in lists_items.items(doc.text, section, doc.outline):
            if (item.start, item.end) not in seen:
                seen.add((item.start, item.end))
                out.append(item)
    return out


def run(doc: Doc) -> Doc:
    """RETURNS: the Doc with ``citations``, ``shortcomings`` and ``plans`` set."""
    doc.citations = lists_citations.find(doc.text)
    doc.shortcomings = _items_of(doc, "shortcomings")
    doc.plans = _items_of(doc, "plans")
    return doc
