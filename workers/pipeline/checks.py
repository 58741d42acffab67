"""Stage 'checks' (placeholder until implemented)."""

from __future__ import annotations

from workers.pipeline.model import Doc

NAME = "checks"
REQUIRES = ("text", "metadata", "sections", "citations")
ASSIGNS = ("checks",)


def run(doc: Doc) -> Doc:
    return doc
