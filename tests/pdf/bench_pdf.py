"""Benchmark: read_pdf vs raw pypdfium2 text vs pdfplumber extract_text (pages/s, peak RSS).

    uv run python tests/pdf/bench_pdf.py [--big-pages 300]

Builds the seed PDFs (LibreOffice and reportlab) and one big LibreOffice PDF (seeds and devset
concatenated until about --big-pages pages), then times each method in a fresh subprocess
(so ru_maxrss is that method's peak; for the sandbox, the larger of parent and child). read_pdf runs in-process here (no sandbox fork) with OCR
off; the sandbox adds one fork and a msgpack round trip (measured separately).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_CHILD = r"""
import json, resource, sys, time
method, paths = sys.argv[1], sys.argv[2:]
import pypdfium2, pdfplumber
from workers.ingest.pdf import read_pdf
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
pages = 0
t = time.perf_counter()
for p in paths:
    data = open(p, "rb").read()
    if method == "read_pdf":
        pages += len(read_pdf(data, max_pages=10000, use_ocr=False).pages)
    elif method == "pypdfium2":
        doc = pypdfium2.PdfDocument(data)
        for i in range(len(doc)):
            page = doc[i]; tp = page.get_textpage(); tp.get_text_range(); tp.close(); page.close()
        pages += len(doc); doc.close()
    elif method == "pdfplumber":
        with pdfplumber.open(p) as pdf:
            for page in pdf.pages:
                page.extract_text(); page.close(); pages += 1
    elif method == "sandbox":
        from fazhi.settings import get_settings
        from workers.ingest.pdf_sandbox import read_pdf_isolated
        s = get_settings(environ={}, max_pages=10000, job_timeout_seconds=3600)
        pages += len(read_pdf_isolated(data, settings=s).pages)
dt = time.perf_counter() - t
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"pages": pages, "seconds": dt, "rss_base_mib": base / 1024, "rss_peak_mib": peak / 1024}))
"""


def _maker():
    spec = importlib.util.spec_from_file_location("make_pdfs", ROOT / "tests" / "fixtures" / "make_pdfs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(method: str, paths: list[Path], repeat: int) -> dict:
    best = None
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", _CHILD, method, *map(str, paths)], capture_output=True, text=True, cwd=ROOT, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if best is None or r["seconds"] < best["seconds"]:
            best = r
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big-pages", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    m = _maker()
    work = Path(tempfile.mkdtemp(prefix="fazhi_bench_"))
    texts = m.seed_paths()
    lo = m.lo_convert(texts, work / "lo")
    rl = []
    for p in texts:
        t = p.read_text(encoding="utf-8")
        out = work / f"rl_{p.stem}.pdf"
        out.write_bytes(m.report_pdf(t, header=t.strip().splitlines()[0][:30]))
        rl.append(out)
    corpus = "\n\n".join(p.read_text(encoding="utf-8") for p in texts + m.devset_paths())
    big_txt = work / "big.txt"
    big_txt.write_text((corpus + "\n\n") * max(1, round(args.big_pages / 29)), encoding="utf-8")
    big = m.lo_convert([big_txt], work / "big")
    sets = {"LO seeds": lo, "reportlab seeds": rl, "LO big": big}
    rows = []
    for label, paths in sets.items():
        for method in ("pypdfium2", "read_pdf", "sandbox", "pdfplumber"):
            r = run(method, paths, 1 if method == "pdfplumber" and label == "LO big" else args.repeat)
            rows.append((label, method, r))
            print(
                f"{label:16} {method:10} pages={r['pages']:4d} {r['seconds'] * 1000 / r['pages']:7.2f} ms/page "
                f"{r['pages'] / r['seconds']:8.1f} pages/s  peak RSS {r['rss_peak_mib']:6.1f} MiB (+{r['rss_peak_mib'] - r['rss_base_mib']:.1f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
