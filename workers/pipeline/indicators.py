"""Stage 'indicators' (placeholder until implemented)."""

from __future__ import annotations

from workers.pipeline.model import Doc

NAME = "indicators"
REQUIRES = ("text", "quantities", "outline", "sections")
ASSIGNS = ("indicators",)


def run(doc: Doc) -> Doc:
    return doc
