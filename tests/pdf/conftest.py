"""PDF fixtures, generated once per session into a temp dir (see tests/fixtures/make_pdfs.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_maker():
    spec = importlib.util.spec_from_file_location("make_pdfs", ROOT / "tests" / "fixtures" / "make_pdfs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


make_pdfs = _load_maker()


@pytest.fixture(scope="session")
def maker():
    return make_pdfs


class Fixtures(dict):
    """name → PDF bytes; a fixture the machine could not build skips the test that wants it."""

    def __missing__(self, name: str) -> bytes:
        why = "LibreOffice (soffice) is not installed" if name.startswith("lo_") else "it was not built"
        pytest.skip(f"PDF fixture {name} is unavailable: {why}")


@pytest.fixture(scope="session")
def pdf_dir(tmp_path_factory) -> Path:
    if not Path(make_pdfs.WQY).is_file():
        pytest.skip("fonts-wqy-zenhei is not installed (reportlab needs a CJK TrueType font)")
    out = tmp_path_factory.mktemp("pdfs")
    make_pdfs.build_all(out)
    return out


@pytest.fixture(scope="session")
def pdfs(pdf_dir) -> dict[str, bytes]:
    files = Fixtures({p.name: p.read_bytes() for p in pdf_dir.glob("*.pdf")})
    files.update({f"lo_{p.name}": p.read_bytes() for p in (pdf_dir / "lo").glob("*.pdf")})
    return files


@pytest.fixture(scope="session")
def heavy_pdfs(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("heavy")
    return {name: p.read_bytes() for name, p in make_pdfs.build_heavy(out).items()}


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in make_pdfs.seed_paths()}
