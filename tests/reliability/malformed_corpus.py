"""The malformed-input corpus: (id, request kwargs, expected code or None for "any code").

Each case is a request a careless or hostile client could send. The rule the test checks for
all of them: never a 5xx; a refusal is problem+json with a code; an accepted document ends in
a terminal job state (with an error code if it failed) and the worker survives.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import zipfile
import zlib

REPORT = "某某县人民政府2023年法治政府建设年度报告\n一、主要举措\n全年办理行政复议案件126件，培训干部3000余人次。\n二、存在的不足\n三、下一步工作安排\n"
TEXT = {"content-type": "text/plain"}
PDF_CT = {"content-type": "application/pdf"}
JSON_CT = {"content-type": "application/json"}


def _pdf(pages: int = 1, size=(595, 842), text: str = "report 2023") -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=size)
    for _ in range(pages):
        pdf.drawString(60, size[1] - 60, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _raw_pdf(objects: list[bytes]) -> bytes:
    """A hand-built PDF with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _pdf_with_content(stream: bytes, extra_catalog: bytes = b"", filtered: bool = False) -> bytes:
    flt = b" /Filter /FlateDecode" if filtered else b""
    return _raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R " + extra_catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + flt + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def _javascript_pdf() -> bytes:
    return _raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R /Names << /JavaScript << /Names [(x) 6 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 720 Td (report 2023) Tj ET\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /S /JavaScript /JS (app.alert('x'); this.exportDataObject({cName: 'a'});) >>",
    ])


def _encrypted_pdf() -> bytes:
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, encrypt=StandardEncryption("secret", canPrint=0))
    pdf.drawString(60, 800, "report")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("report.txt", b"\0" * (200 * 1024 * 1024))
    return buffer.getvalue()


def _nested_zip() -> bytes:
    inner = _zip_bomb()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(5):
            zf.writestr(f"r{i}.zip", inner)
    return buffer.getvalue()


def _multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "b0undary") -> tuple[bytes, dict]:
    body = bytearray()
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), {"content-type": f"multipart/form-data; boundary={boundary}"}


def cases() -> list[tuple[str, dict, str | None]]:
    rng = random.Random(5)
    noise = bytes(rng.randrange(256) for _ in range(4096))
    good_pdf = _pdf()
    bomb_stream = zlib.compress(b"BT /F1 12 Tf 72 720 Td (" + b"A" * (80 * 1024 * 1024) + b") Tj ET", 9)
    mp_two, mp_two_h = _multipart([("file", "a.txt", REPORT.encode()), ("file", "b.txt", REPORT.encode())])
    mp_empty, mp_empty_h = _multipart([("file", "a.txt", b"")])
    mp_trick, mp_trick_h = _multipart([("file", "../../../../etc/passwd", REPORT.encode())])
    mp_nofile, mp_nofile_h = _multipart([("text", None, REPORT.encode())])
    return [
        ("empty-text", {"content": b"", "headers": TEXT}, "input.empty"),
        ("empty-json", {"content": b"", "headers": JSON_CT}, "input.invalid_json"),
        ("empty-pdf-ct", {"content": b"", "headers": PDF_CT}, "input.empty"),
        ("whitespace", {"content": b"\r\n \t\x0b\x0c" * 50, "headers": TEXT}, "input.empty"),
        ("ideographic-space", {"content": "\u3000\u3000\n".encode(), "headers": TEXT}, "input.empty"),
        ("noise-4k", {"content": noise, "headers": TEXT}, None),
        ("noise-1m", {"content": os.urandom(1024 * 1024), "headers": PDF_CT}, None),
        ("zeros", {"content": bytes(10000), "headers": TEXT}, None),
        ("control-chars", {"content": bytes(range(1, 32)) * 100, "headers": TEXT}, None),
        ("pdf-header-only", {"content": b"%PDF-1.7\n", "headers": PDF_CT}, "input.malformed_pdf"),
        ("pdf-truncated-50", {"content": good_pdf[:50], "headers": PDF_CT}, "input.malformed_pdf"),
        ("pdf-truncated-half", {"content": good_pdf[: len(good_pdf) // 2], "headers": PDF_CT}, None),
        ("pdf-truncated-tail", {"content": good_pdf[:-40], "headers": PDF_CT}, None),
        ("pdf-garbage-body", {"content": b"%PDF-1.4\n" + noise, "headers": PDF_CT}, "input.malformed_pdf"),
        ("pdf-encrypted", {"content": _encrypted_pdf(), "headers": PDF_CT}, "input.encrypted"),
        ("pdf-javascript", {"content": _javascript_pdf(), "headers": PDF_CT}, None),
        ("pdf-huge-page", {"content": _pdf(size=(14400, 14400)), "headers": PDF_CT}, None),
        ("pdf-tiny-page", {"content": _pdf(size=(1, 1)), "headers": PDF_CT}, None),
        ("pdf-flate-bomb", {"content": _pdf_with_content(bomb_stream, filtered=True), "headers": PDF_CT}, None),
        ("pdf-bad-flate", {"content": _pdf_with_content(b"\x78\x9c" + noise[:500], filtered=True), "headers": PDF_CT}, None),
        ("pdf-zero-pages", {"content": _raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]), "headers": PDF_CT}, None),
        ("pdf-self-referencing-pages", {"content": _raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]), "headers": PDF_CT}, None),
        ("pdf-as-text-ct", {"content": good_pdf, "headers": TEXT}, None),
        ("pdf-as-json-ct", {"content": good_pdf, "headers": JSON_CT}, "input.invalid_json"),
        ("text-as-pdf-ct", {"content": REPORT.encode(), "headers": PDF_CT}, None),
        ("zip-bomb", {"content": _zip_bomb(), "headers": {"content-type": "application/zip"}}, None),
        ("nested-zip-bomb", {"content": _nested_zip(), "headers": {"content-type": "application/zip"}}, None),
        ("gzip-bomb", {"content": gzip.compress(b"\0" * (50 * 1024 * 1024)), "headers": TEXT}, None),
        ("png", {"content": b"\x89PNG\r\n\x1a\n" + noise, "headers": {"content-type": "image/png"}}, None),
        ("xml-ct", {"content": b"<?xml version='1.0'?><a>" + REPORT.encode() + b"</a>", "headers": {"content-type": "application/xml"}}, None),
        ("invalid-utf8", {"content": b"\x80\x81\xfe\xff" * 20, "headers": TEXT}, None),
        ("mixed-utf8-garbage", {"content": REPORT.encode() + b"\xff\xfe\xfa" + REPORT.encode(), "headers": TEXT}, None),
        ("gbk", {"content": REPORT.encode("gbk"), "headers": TEXT}, None),
        ("gb18030", {"content": (REPORT + "𠀀").encode("gb18030"), "headers": {"content-type": "text/plain; charset=gb18030"}}, None),
        ("utf16-bom", {"content": REPORT.encode("utf-16"), "headers": TEXT}, None),
        ("utf16-no-bom", {"content": REPORT.encode("utf-16-le"), "headers": TEXT}, None),
        ("latin1-declared", {"content": REPORT.encode(), "headers": {"content-type": "text/plain; charset=latin-1"}}, None),
        ("nul-in-text", {"content": REPORT.encode().replace(b"\n", b"\0"), "headers": TEXT}, None),
        ("one-long-line", {"content": ("行政复议案件12件，" * 1000).encode(), "headers": TEXT}, None),
        ("many-newlines", {"content": b"\n" * 200000 + REPORT.encode(), "headers": TEXT}, None),
        ("body-50mb", {"content": b"a" * (50 * 1024 * 1024), "headers": TEXT}, "input.too_large"),
        ("json-deep-nesting", {"content": b"[" * 200000 + b"]" * 200000, "headers": JSON_CT}, None),
        ("json-deep-object", {"content": b'{"text":' * 50000 + b'"x"' + b"}" * 50000, "headers": JSON_CT}, None),
        ("json-unknown-field", {"json": {"text": REPORT, "owner": "someone-else"}}, "input.invalid"),
        ("json-text-number", {"json": {"text": 5}}, "input.invalid"),
        ("json-text-null", {"json": {"text": None}}, "input.invalid"),
        ("json-array", {"json": [REPORT]}, "input.invalid"),
        ("json-string", {"json": REPORT}, "input.invalid"),
        ("json-truncated", {"content": b'{"text": "abc', "headers": JSON_CT}, "input.invalid_json"),
        ("json-bad-utf8", {"content": b'{"text": "\xc3\x28"}', "headers": JSON_CT}, "input.invalid_json"),
        ("json-lone-surrogate", {"content": b'{"text": "\\udc00abc"}', "headers": JSON_CT}, "input.invalid_json"),
        ("json-nul-text", {"json": {"text": "\u0000" * 1000}}, None),
        ("json-duplicate-keys", {"content": json.dumps({"text": "a"})[:-1].encode() + b', "text": "' + REPORT.encode() + b'"}', "headers": JSON_CT}, None),
        ("json-huge-filename", {"json": {"text": REPORT, "filename": "a" * 100000}}, None),
        ("filename-dotdot", {"content": REPORT.encode(), "headers": TEXT, "params": {"filename": "../../etc/passwd"}}, None),
        ("filename-windows", {"content": REPORT.encode(), "headers": TEXT, "params": {"filename": "..\\..\\Windows\\system32\\cmd.exe"}}, None),
        ("filename-control", {"content": REPORT.encode(), "headers": TEXT, "params": {"filename": "a\x00b\r\nX-Injected: 1.txt"}}, None),
        ("filename-rtl", {"content": REPORT.encode(), "headers": TEXT, "params": {"filename": "report\u202etxt.exe"}}, None),
        ("filename-too-long", {"content": REPORT.encode(), "headers": TEXT, "params": {"filename": "a" * 5000}}, "input.invalid"),
        ("filename-only-slashes", {"content": REPORT.encode(), "headers": TEXT, "params": {"filename": "////"}}, None),
        ("multipart-path-trick", {"content": mp_trick, "headers": mp_trick_h}, None),
        ("multipart-two-files", {"content": mp_two, "headers": mp_two_h}, None),
        ("multipart-empty-file", {"content": mp_empty, "headers": mp_empty_h}, "input.empty"),
        ("multipart-no-file-part", {"content": mp_nofile, "headers": mp_nofile_h}, "input.invalid"),
        ("multipart-no-boundary", {"content": b"--x\r\nabc", "headers": {"content-type": "multipart/form-data"}}, None),
        ("multipart-wrong-boundary", {"content": mp_two, "headers": {"content-type": "multipart/form-data; boundary=other"}}, None),
        ("multipart-unterminated", {"content": mp_two[:-10], "headers": mp_two_h}, None),
        ("idempotency-key-too-long", {"json": {"text": REPORT}, "headers": {"Idempotency-Key": "k" * 300}}, "input.invalid"),
        ("callback-file-scheme", {"json": {"text": REPORT, "callback_url": "file:///etc/passwd"}}, "input.callback_url"),
        ("callback-not-a-string", {"json": {"text": REPORT, "callback_url": ["http://x"]}}, "input.invalid"),
    ]


# Requests on other routes: (id, method, path, expected code)
READ_CASES = [
    ("job-id-traversal", "GET", "/v1/jobs/..%2F..%2Fetc%2Fpasswd", None),
    ("job-id-redis-glob", "GET", "/v1/jobs/*", "job.not_found"),
    ("job-id-long", "GET", "/v1/jobs/" + "A" * 5000, "job.not_found"),
    ("job-id-unicode", "GET", "/v1/jobs/报告报告报告报告报告报告报告报告", "job.not_found"),
    ("job-id-colon", "GET", "/v1/jobs/fazhi:job:x/result", "job.not_found"),
    ("wait-not-int", "GET", "/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA?wait=abc", "input.invalid"),
    ("wait-huge", "GET", "/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA?wait=99999999999999999999", "input.invalid"),
    ("delete-collection", "DELETE", "/v1/jobs", None),
]
