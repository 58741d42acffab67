"""Stage 'outline' (placeholder until implemented)."""

from __future__ import annotations

from workers.pipeline.model import Doc

NAME = "outline"
REQUIRES = ("text",)
ASSIGNS = ("outline", "sections")


def run(doc: Doc) -> Doc:
    return doc
