"""read_pdf_isolated / run_isolated: hostile input fails only its own call, with its code."""

from __future__ import annotations

import os
import signal
import time

import pytest

from fazhi.settings import get_settings
from workers.errors import EncryptedPdf, MalformedPdf, ParseCrashed, ParseMemory, ParseTimeout, TooManyPages
from workers.ingest.pdf import read_pdf
from workers.ingest.pdf_sandbox import read_pdf_isolated, run_isolated


def settings(**kw):
    base = dict(parse_memory_mb=1024, page_timeout_seconds=10, job_timeout_seconds=60, max_pages=500)
    base.update(kw)
    return get_settings(environ={}, **base)


def no_children_left() -> bool:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return pid == 0


def _sleep(seconds: float, on_page=None):
    if on_page is not None:
        on_page(1, 2)
    time.sleep(seconds)


def _segfault():
    os.kill(os.getpid(), signal.SIGSEGV)


def _allocate():
    hog = []
    while True:
        hog.append(bytearray(64 * 1024 * 1024))


def test_pdf_sandbox_result_equals_in_process_read(pdfs):
    data = pdfs["lo_000_05ee1e95bd58e56e.pdf"]
    calls = []
    iso = read_pdf_isolated(data, settings=settings(), on_page=lambda d, t: calls.append((d, t)))
    direct = read_pdf(data, max_pages=500)
    assert iso.text == direct.text
    assert iso.boxes == direct.boxes and iso.char_page == direct.char_page
    assert iso.pages == direct.pages
    assert calls[-1] == (len(direct.pages), len(direct.pages))
    assert no_children_left()


@pytest.mark.parametrize(
    ("name", "error"),
    [("encrypted.pdf", EncryptedPdf), ("truncated.pdf", MalformedPdf), ("not_a_pdf.pdf", MalformedPdf)],
)
def test_pdf_sandbox_passes_input_errors_through(pdfs, name, error):
    with pytest.raises(error):
        read_pdf_isolated(pdfs[name], settings=settings())
    assert no_children_left()


def test_pdf_sandbox_page_limit(pdfs):
    with pytest.raises(TooManyPages):
        read_pdf_isolated(pdfs["rl_000_05ee1e95bd58e56e.pdf"], settings=settings(max_pages=1))


def test_pdf_sandbox_page_timeout_kills_child():
    t = time.monotonic()
    with pytest.raises(ParseTimeout) as exc:
        run_isolated(_sleep, 30, timeout=20, page_timeout=0.5, memory_mb=1024, on_page=lambda d, t: None)
    assert exc.value.code == "parse.timeout"
    assert time.monotonic() - t < 3
    assert no_children_left()


def test_pdf_sandbox_document_timeout():
    with pytest.raises(ParseTimeout):
        run_isolated(_sleep, 30, timeout=0.5, page_timeout=20, memory_mb=1024)
    assert no_children_left()


def test_pdf_sandbox_segfault_is_crash():
    with pytest.raises(ParseCrashed) as exc:
        run_isolated(_segfault, timeout=10, page_timeout=10, memory_mb=1024)
    assert exc.value.code == "parse.crashed"
    assert no_children_left()


def test_pdf_sandbox_python_memory_error_is_memory():
    with pytest.raises(ParseMemory) as exc:
        run_isolated(_allocate, timeout=10, page_timeout=10, memory_mb=512)
    assert exc.value.code == "parse.memory"
    assert no_children_left()


@pytest.mark.parametrize("name", ["bomb.pdf", "many_objects.pdf"])
def test_pdf_sandbox_hostile_pdf_hits_memory_cap(heavy_pdfs, name):
    with pytest.raises(ParseMemory):
        read_pdf_isolated(heavy_pdfs[name], settings=settings(parse_memory_mb=400))
    assert no_children_left()


def test_pdf_sandbox_slow_pdf_hits_page_timeout(heavy_pdfs):
    t = time.monotonic()
    with pytest.raises(ParseTimeout):
        read_pdf_isolated(heavy_pdfs["many_objects.pdf"], settings=settings(parse_memory_mb=4096, page_timeout_seconds=1.5))
    assert time.monotonic() - t < 5
    assert no_children_left()


def test_pdf_sandbox_other_jobs_still_succeed_after_hostile_ones(pdfs, heavy_pdfs):
    for name in heavy_pdfs:
        with pytest.raises((ParseMemory, ParseTimeout, ParseCrashed)):
            read_pdf_isolated(heavy_pdfs[name], settings=settings(parse_memory_mb=400, page_timeout_seconds=2))
    raw = read_pdf_isolated(pdfs["lo_001_033957f002b379d8.pdf"], settings=settings())
    assert "宝坻区" in raw.text


def _slow_pages(data, *, max_pages, ocr_timeout, on_page=None, **_):
    from workers.pipeline.model import RawText

    for i in range(5):
        time.sleep(0.3)
        if on_page is not None:
            on_page(i + 1, 5)
    return RawText(text="ok", media_type="application/pdf")


def test_pdf_sandbox_page_deadline_is_per_page_without_a_callback(monkeypatch):
    import workers.ingest.pdf as pdf

    monkeypatch.setattr(pdf, "read_pdf", _slow_pages)
    # 1.5 s in all, 0.3 s a page: within a 1 s page limit because progress is streamed anyway.
    raw = read_pdf_isolated(b"%PDF-", settings=settings(page_timeout_seconds=1))
    assert raw.text == "ok"
