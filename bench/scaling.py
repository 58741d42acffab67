"""Extraction time per character at N times a seed's length against 1 time (no super-linear stage)."""

from __future__ import annotations

import time

from bench.report import Report, median


def extract_seconds(text: str) -> float:
    """Seconds ``runner.extract`` takes on ``text``, in this process."""
    from workers.pipeline.model import RawText
    from workers.pipeline.runner import extract

    raw = RawText(text=text, media_type="text/plain")
    start = time.perf_counter()
    extract(raw)
    return time.perf_counter() - start


def measure(report: Report, text: str, factor: int, repeats: int) -> None:
    from workers.pipeline import runner

    runner.warm()
    extract_seconds(text)  # warm-up
    big = "\n\n".join([text] * factor)
    one = median([extract_seconds(text) for _ in range(repeats * 3)]) / len(text)
    many = median([extract_seconds(big) for _ in range(repeats)]) / len(big)
    report.add("extract_us_per_char_1x", one * 1e6, note=f"{len(text)} chars")
    report.add(f"extract_us_per_char_{factor}x", many * 1e6, note=f"{len(big)} chars")
    report.add("extract_scaling_100x", many / one, "<=1.5", note=f"measured at {factor}x" if factor != 100 else "")
