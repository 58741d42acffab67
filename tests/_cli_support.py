"""Shared by the CLI and `fazhi serve` tests: a real seed report, free ports, a PDF of it."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent / "shared" / "seeds" / "001_033957f002b379d8.txt"
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FAZHI = [sys.executable, "-m", "fazhi"]


def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip(f"seed report {SEED} is not available")
    return SEED.read_text("utf-8")


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without FAZHI_* (a developer's own settings must not leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAZHI_")}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_pdf(text: str, path: Path, max_lines: int = 40) -> Path:
    """A small text-layer PDF of the first lines of ``text`` (reportlab + WenQuanYi)."""
    if not WQY.is_file():
        pytest.skip("fonts-wqy-zenhei is not installed")
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415
    from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415
    from reportlab.pdfbase.ttfonts import TTFont  # noqa: PLC0415
    from reportlab.platypus import Paragraph, SimpleDocTemplate  # noqa: PLC0415

    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", str(WQY), subfontIndex=0))
    style = ParagraphStyle("body", fontName="WQY", fontSize=11, leading=17, wordWrap="CJK")
    lines = [line for line in text.splitlines() if line.strip()][:max_lines]
    SimpleDocTemplate(str(path), pagesize=A4).build([Paragraph(line, style) for line in lines])
    return path
