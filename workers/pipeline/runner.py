"""Runs the pipeline stages in order over one document.

Each stage module exports ``NAME``, ``REQUIRES`` and ``ASSIGNS`` (names of ``Doc`` fields) and
``run(doc) -> Doc``. The runner is a short loop: it checks that each stage returned a ``Doc``
and tags any failure with the stage's name, like spaCy's ``Language.__call__``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from types import ModuleType

from workers.errors import StageFailed
from workers.pipeline import (
    checks,
    indicators,
    lists,
    metadata,
    normalise,
    outline,
    provenance,
    quantities,
)
from workers.pipeline.model import (
    SCHEMA_VERSION,
    Doc,
    DocumentInfo,
    RawText,
    Result,
)

PIPELINE_VERSION = "2026.11.1"

STAGES: tuple[ModuleType, ...] = (
    normalise,
    outline,
    metadata,
    quantities,
    indicators,
    provenance,
    lists,
    checks,
)

ProgressFn = Callable[[str], None]


def warm() -> None:
    """Load every stage's data files once (call at worker start, not per job)."""
    for stage in STAGES:
        warm_stage = getattr(stage, "warm", None)
        if warm_stage is not None:
            warm_stage()


def run_stages(doc: Doc, progress: ProgressFn | None = None) -> Doc:
    for stage in STAGES:
        if progress is not None:
            progress(stage.NAME)
        try:
            out = stage.run(doc)
        except Exception as exc:  # noqa: BLE001 - re-raised with the stage's name
            raise StageFailed(stage.NAME, exc) from exc
        if not isinstance(out, Doc):
            raise StageFailed(stage.NAME, TypeError(f"stage returned {type(out).__name__}, not Doc"))
        doc = out
    return doc


def extract(
    raw: RawText,
    *,
    sha256: str | None = None,
    filename: str | None = None,
    progress: ProgressFn | None = None,
) -> Result:
    """Run every stage over ``raw`` and build the result contract."""
    if sha256 is None:
        sha256 = hashlib.sha256(raw.text.encode("utf-8")).hexdigest()
    doc = run_stages(Doc(raw=raw, sha256=sha256, filename=filename), progress)
    return Result(
        schema_version=SCHEMA_VERSION,
        pipeline_version=PIPELINE_VERSION,
        document=DocumentInfo(
            sha256=doc.sha256,
            media_type=raw.media_type,
            chars=len(doc.text),
            pages=len(raw.pages) if raw.pages is not None else None,
            filename=filename,
        ),
        text=doc.text,
        metadata=doc.metadata,
        outline=doc.outline,
        sections=doc.sections,
        indicators=doc.indicators,
        citations=doc.citations,
        shortcomings=doc.shortcomings,
        plans=doc.plans,
        checks=doc.checks,
        pages=doc.pages,
    )
