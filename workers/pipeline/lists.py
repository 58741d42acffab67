"""Stage 'lists' (placeholder until implemented)."""

from __future__ import annotations

from workers.pipeline.model import Doc

NAME = "lists"
REQUIRES = ("text", "sections")
ASSIGNS = ("citations", "shortcomings", "plans")


def run(doc: Doc) -> Doc:
    return doc
