"""Stage 'provenance' (placeholder until implemented)."""

from __future__ import annotations

from workers.pipeline.model import Doc

NAME = "provenance"
REQUIRES = ("raw", "to_raw", "indicators")
ASSIGNS = ("indicators",)


def run(doc: Doc) -> Doc:
    return doc
