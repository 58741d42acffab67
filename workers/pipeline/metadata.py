"""Stage 'metadata' (placeholder until implemented)."""

from __future__ import annotations

from workers.pipeline.model import Doc

NAME = "metadata"
REQUIRES = ("text", "outline")
ASSIGNS = ("metadata",)


def run(doc: Doc) -> Doc:
    return doc
