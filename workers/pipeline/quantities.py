"""Stage 'quantities' (placeholder until implemented)."""

from __future__ import annotations

from workers.pipeline.model import Doc

NAME = "quantities"
REQUIRES = ("text", "sections")
ASSIGNS = ("quantities",)


def run(doc: Doc) -> Doc:
    return doc
