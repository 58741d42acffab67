"""Stage 'normalise' (placeholder: identity map until implemented)."""

from __future__ import annotations

from array import array

from workers.pipeline.model import Doc

NAME = "normalise"
REQUIRES = ("raw",)
ASSIGNS = ("text", "to_raw", "pages")


def run(doc: Doc) -> Doc:
    doc.text = doc.raw.text
    doc.to_raw = array("i", range(len(doc.text) + 1))
    return doc
