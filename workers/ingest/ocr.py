"""OCR of one PDF page with Tesseract (``chi_sim``), returning glyphs with boxes in PDF points.

The page is rendered with PDFium and piped to ``tesseract stdin stdout … tsv``; no temp files.
Each character gets a share of its OCR word's width and its OCR line's height, so OCR glyphs go
through the same layout rules as text-layer glyphs. Tesseract is optional: ``available()`` says
whether it (with ``chi_sim``) is installed, and callers mark unread pages instead of failing.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from functools import cache

from workers.ingest.pdf_layout import Glyph

LANG = "chi_sim"
DPI = 200


class OcrFailed(RuntimeError):
    """Tesseract ran but gave no usable output (timeout, crash, bad image)."""


@cache
def available() -> bool:
    exe = shutil.which("tesseract")
    if exe is None:
        return False
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return LANG in out.stdout.split()


# Larger pages are rendered at a lower resolution so one page never needs more than ~40 MB.
MAX_PIXELS = 40_000_000


def _scale(page, dpi: int) -> float:
    w, h = page.get_size()
    scale = dpi / 72
    if w * h * scale * scale > MAX_PIXELS:
        scale = (MAX_PIXELS / max(w * h, 1.0)) ** 0.5
    return scale


def _png(page, scale: float) -> bytes:
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        img = bitmap.to_pil()
        buf = io.BytesIO()
        img.save(buf, "PNG", compress_level=1)
        return buf.getvalue()
    finally:
        bitmap.close()


def run_tesseract(png: bytes, *, timeout: float) -> str:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        proc = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", LANG, "--psm", "3", "tsv"],
            input=png,
            capture_output=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrFailed(f"tesseract took longer than {timeout:.0f} s") from exc
    if proc.returncode != 0:
        raise OcrFailed(f"tesseract exited with {proc.returncode}: {proc.stderr[-300:]!r}")
    return proc.stdout.decode("utf-8", "replace")


def tsv_glyphs(tsv: str, *, left: float, top: float, scale: float) -> tuple[list[Glyph], float]:
    """Glyphs from Tesseract TSV; pixel (px, py) maps to PDF (left + px*scale, top - py*scale).

    Returns the glyphs in Tesseract's reading order and the mean word confidence (0..1).
    """
    lines: dict[tuple[str, str, str], tuple[float, float]] = {}
    words = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        try:
            level = int(row["level"])
            x, y, w, h = (int(row[k]) for k in ("left", "top", "width", "height"))
        except (KeyError, TypeError, ValueError):
            continue
        key = (row["block_num"], row["par_num"], row["line_num"])
        if level == 4:
            lines[key] = (top - (y + h) * scale, top - y * scale)
        elif level == 5 and (row.get("text") or "").strip():
            words.append((key, row["text"].strip(), x, w, float(row.get("conf") or 0)))
    glyphs: list[Glyph] = []
    confs = []
    for key, text, x, w, conf in words:
        y0, y1 = lines.get(key, (0.0, 0.0))
        step = w * scale / len(text)
        x0 = left + x * scale
        for i, ch in enumerate(text):
            glyphs.append((ch, x0 + i * step, y0, x0 + (i + 1) * step, y1))
        confs.append(max(conf, 0.0))
    mean = sum(confs) / len(confs) / 100 if confs else 0.0
    return glyphs, mean


def ocr_page(page, *, timeout: float, dpi: int = DPI) -> tuple[list[Glyph], float]:
    """OCR a pypdfium2 page: (glyphs in PDF points, mean confidence 0..1)."""
    left, _bottom, _right, top = page.get_cropbox()
    scale = _scale(page, dpi)
    png = _png(page, scale)
    tsv = run_tesseract(png, timeout=timeout)
    return tsv_glyphs(tsv, left=left, top=top, scale=1 / scale)
