"""The HTTP contract of /v1/jobs through the app (TestClient) and a real worker process."""

from __future__ import annotations

import io
import time

import pytest
from msgspec.structs import replace

from service.errors import PROBLEM_JSON
from workers.jobstore import JobStore, job_key, result_key

REPORT = (
    "某某市司法局2023年法治政府建设年度报告\n"
    "一、主要举措\n"
    "（一）深化行政复议体制改革。全年办理行政复议案件126件，纠错率12.5%。\n"
    "（二）推进严格规范公正文明执法。开展执法培训15场，培训执法人员3000余人次。\n"
    "二、存在的不足\n个别单位执法不够规范。\n三、下一步工作安排\n持续推进法治政府建设。\n"
)


def submit_json(client, text=REPORT, **extra):
    return client.post("/v1/jobs", json={"text": text, **extra})


def assert_problem(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith(code)
    assert body["title"] and body["detail"]
    return body


def wait_done(client, job_id, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = client.get(f"/v1/jobs/{job_id}", params={"wait": 5}).json()
        if body["status"] in ("succeeded", "failed", "canceled"):
            return body
    raise AssertionError(f"job {job_id} did not end: {body}")


# --- submit --------------------------------------------------------------------------------


def test_api_submit_json_returns_202_location_and_queued(client, redis_conn):
    response = submit_json(client, filename="../../etc/报告.txt")
    assert response.status_code == 202
    body = response.json()
    assert set(body) >= {"id", "status", "created_at"}
    assert body["status"] == "queued"
    assert response.headers["location"] == f"/v1/jobs/{body['id']}"
    assert len(body["id"]) >= 22  # 128 random bits, base64url
    record = client.get(response.headers["location"]).json()
    assert record["document"]["filename"] == "报告.txt"  # path parts dropped
    assert record["document"]["media_type"] == "text/plain"
    assert redis_conn.lindex(f"rq:queue:{client.app.state.backend.queue.name}", -1).decode() == body["id"]


def test_api_submit_ids_are_unique(client):
    ids = {submit_json(client).json()["id"] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (REPORT.encode("gbk"), "text/plain"),
        (b"\xef\xbb\xbf" + REPORT.encode("utf-8"), "text/plain; charset=utf-8"),
        (REPORT.encode("utf-8"), "application/octet-stream"),
        (REPORT.encode("gb18030"), None),
    ],
    ids=["gbk", "bom", "octet-stream", "no-content-type"],
)
def test_api_submit_raw_text_encodings(client, data, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/v1/jobs", content=data, headers=headers, params={"filename": "r.txt"})
    assert response.status_code == 202, response.text


def test_api_submit_multipart_text_file(client):
    files = {"file": ("年度报告.txt", REPORT.encode("gbk"), "text/plain")}
    response = client.post("/v1/jobs", files=files)
    assert response.status_code == 202, response.text
    view = client.get(response.headers["location"]).json()
    assert view["document"]["filename"] == "年度报告.txt"


# --- submit errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"content": b"", "headers": {"content-type": "text/plain"}}, 422, "input.empty"),
        ({"content": b" \r\n\t ", "headers": {"content-type": "text/plain"}}, 422, "input.empty"),
        ({"json": {"text": "\u3000\n"}}, 422, "input.empty"),
        ({"content": bytes(range(256)) * 8, "headers": {"content-type": "text/plain"}}, 415, "input.unsupported_type"),
        ({"content": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "headers": {"content-type": "application/pdf"}}, 415, "input.unsupported_type"),
        ({"content": b"\x7fELF\x02\x01\x01" + bytes(200), "headers": {"content-type": "text/plain"}}, 415, "input.unsupported_type"),
        ({"content": b"\x80\x80\xff\xfe\xff", "headers": {"content-type": "text/plain"}}, 422, "input.bad_encoding"),
        ({"content": REPORT.encode("utf-16-le"), "headers": {"content-type": "text/plain"}}, 415, "input.unsupported_type"),
        ({"content": b'{"text": "abc"', "headers": {"content-type": "application/json"}}, 400, "input.invalid_json"),
        ({"json": {"text": "abc", "owner": "x"}}, 422, "input.invalid"),
        ({"json": {"filename": "a.txt"}}, 422, "input.invalid"),
        ({"json": {"text": 5}}, 422, "input.invalid"),
        ({"files": {"other": ("a.txt", b"abc", "text/plain")}}, 422, "input.invalid"),
        ({"content": b"--x\r\nabc", "headers": {"content-type": "multipart/form-data"}}, 400, "input.invalid"),
        ({"content": b"[" * 100_000 + b"]" * 100_000, "headers": {"content-type": "application/json"}}, 422, "input.invalid"),
        ({"content": b'{"text": "\xff\xfe"}', "headers": {"content-type": "application/json"}}, 400, "input.invalid_json"),
        ({"content": b"", "headers": {"content-type": "application/json"}}, 400, "input.invalid_json"),
    ],
    ids=["empty", "whitespace", "json-empty", "noise", "png-declared-pdf", "elf-declared-text", "undecodable",
         "utf16-no-bom", "bad-json", "unknown-field", "missing-text", "wrong-type", "multipart-no-file",
         "multipart-no-boundary", "deeply-nested-json", "json-not-utf8", "json-empty-body"],
)
def test_api_submit_errors(client, kwargs, status, code):
    assert_problem(client.post("/v1/jobs", **kwargs), status, code)


def test_api_submit_too_large_by_content_length(settings, redis_conn):
    from litestar.testing import TestClient

    from service.app import create_app

    small = replace(settings, max_body_bytes=1000)
    with TestClient(app=create_app(small)) as client:
        body = assert_problem(client.post("/v1/jobs", content=b"a" * 1001, headers={"content-type": "text/plain"}), 413, "input.too_large")
        assert "1000" in body["detail"]
        assert client.post("/v1/jobs", content="报告".encode() * 100, headers={"content-type": "text/plain"}).status_code == 202
        files = {"file": ("a.txt", b"a" * 5000, "text/plain")}
        assert_problem(client.post("/v1/jobs", files=files), 413, "input.too_large")


def test_api_submit_too_large_is_enforced_while_streaming(settings, redis_conn):
    """A chunked body (no Content-Length) is cut off once it passes the limit, not buffered."""
    import asyncio

    from service.app import create_app
    from service.backend import open_backend

    small = replace(settings, max_body_bytes=1000)
    app = create_app(small)
    app.state.backend = open_backend(small)
    received = []
    sent = []

    async def receive():
        received.append(1)
        return {"type": "http.request", "body": b"a" * 100, "more_body": len(received) < 1000}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/v1/jobs", "raw_path": b"/v1/jobs", "root_path": "", "query_string": b"",
        "headers": [(b"content-type", b"text/plain"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {},
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert b"input.too_large" in sent[1]["body"]
    assert len(received) <= 11  # stopped just past 1000 bytes, out of 100,000 offered


# --- read, wait, result, delete ---------------------------------------------------------------


def test_api_get_unknown_job_is_404(client):
    assert_problem(client.get("/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA"), 404, "job.not_found")
    assert_problem(client.get("/v1/jobs/not:an:id"), 404, "job.not_found")
    assert_problem(client.get("/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA/result"), 404, "job.not_found")
    assert_problem(client.delete("/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA"), 404, "job.not_found")


@pytest.mark.parametrize("wait", ["31", "-1", "abc"])
def test_api_get_wait_out_of_range_is_400(client, wait):
    job_id = submit_json(client).json()["id"]
    assert_problem(client.get(f"/v1/jobs/{job_id}", params={"wait": wait}), 400, "input.invalid")


def test_api_queued_job_result_is_409_with_status(client):
    job_id = submit_json(client).json()["id"]
    body = assert_problem(client.get(f"/v1/jobs/{job_id}/result"), 409, "job.not_finished")
    assert body["job"]["status"] == "queued"


def test_api_wait_holds_until_timeout_when_nothing_happens(client):
    job_id = submit_json(client).json()["id"]  # no worker serves it
    start = time.monotonic()
    body = client.get(f"/v1/jobs/{job_id}", params={"wait": 1}).json()
    elapsed = time.monotonic() - start
    assert body["status"] == "queued"
    assert 0.9 <= elapsed < 3


def test_api_wait_returns_early_when_the_job_ends(client, settings, redis_conn):
    import threading

    job_id = submit_json(client).json()["id"]
    store = JobStore(redis_conn, retention_seconds=settings.retention_seconds)
    timer = threading.Timer(0.5, lambda: store.fail(job_id, "parse.crashed", "test", True))
    timer.start()
    start = time.monotonic()
    body = client.get(f"/v1/jobs/{job_id}", params={"wait": 10}).json()
    elapsed = time.monotonic() - start
    timer.join()
    assert body["status"] == "failed"
    assert body["error"] == {"code": "parse.crashed", "message": "test", "retryable": True}
    assert 0.4 <= elapsed < 3
    failed = assert_problem(client.get(f"/v1/jobs/{job_id}/result"), 409, "job.not_finished")
    assert failed["job"]["error"]["code"] == "parse.crashed"


def test_api_result_wait_returns_the_result_once_the_job_succeeds(client, settings, redis_conn):
    import threading

    job_id = submit_json(client).json()["id"]
    store = JobStore(redis_conn, retention_seconds=settings.retention_seconds)
    store.start(job_id)
    timer = threading.Timer(0.5, lambda: store.succeed(job_id, b'{"schema_version": "1"}'))
    timer.start()
    start = time.monotonic()
    response = client.get(f"/v1/jobs/{job_id}/result", params={"wait": 10})
    elapsed = time.monotonic() - start
    timer.join()
    assert response.status_code == 200 and response.json() == {"schema_version": "1"}
    assert 0.4 <= elapsed < 3


def test_api_result_wait_ends_with_409_and_the_status_when_the_job_does_not_succeed(client, settings, redis_conn):
    job_id = submit_json(client).json()["id"]  # no worker serves it
    start = time.monotonic()
    still = assert_problem(client.get(f"/v1/jobs/{job_id}/result", params={"wait": 1}), 409, "job.not_finished")
    assert still["job"]["status"] == "queued" and 0.9 <= time.monotonic() - start < 3
    JobStore(redis_conn, retention_seconds=settings.retention_seconds).fail(job_id, "input.empty", "empty", False)
    failed = assert_problem(client.get(f"/v1/jobs/{job_id}/result", params={"wait": 5}), 409, "job.not_finished")
    assert failed["job"]["status"] == "failed" and failed["job"]["error"]["code"] == "input.empty"
    assert_problem(client.get(f"/v1/jobs/{job_id}/result", params={"wait": 31}), 400, "input.invalid")


def test_api_reloads_its_scripts_when_redis_lost_them(client, redis_conn):
    """Submit, status and result read through EVALSHA; a restarted Redis has no scripts."""
    job_id = submit_json(client).json()["id"]
    redis_conn.script_flush()
    assert_problem(client.get(f"/v1/jobs/{job_id}/result"), 409, "job.not_finished")
    redis_conn.script_flush()
    assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "queued"
    redis_conn.script_flush()
    assert submit_json(client).status_code == 202


def test_api_delete_queued_job_cancels_and_dequeues(client, redis_conn):
    job_id = submit_json(client).json()["id"]
    response = client.delete(f"/v1/jobs/{job_id}")
    assert response.status_code == 200
    assert response.json() == {"id": job_id, "status": "canceled", "deleted": False}
    assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "canceled"
    assert job_id.encode() not in redis_conn.lrange(f"rq:queue:{client.app.state.backend.queue.name}", 0, -1)
    # a second DELETE removes the canceled record
    assert client.delete(f"/v1/jobs/{job_id}").json()["deleted"] is True
    assert_problem(client.get(f"/v1/jobs/{job_id}"), 404, "job.not_found")


def test_api_delete_running_job_marks_canceled(client, settings, redis_conn):
    job_id = submit_json(client).json()["id"]
    JobStore(redis_conn, retention_seconds=settings.retention_seconds).start(job_id)  # as a worker would
    response = client.delete(f"/v1/jobs/{job_id}")
    assert response.json() == {"id": job_id, "status": "canceled", "deleted": False}
    view = client.get(f"/v1/jobs/{job_id}").json()
    assert view["status"] == "canceled" and view["finished_at"]


def test_api_unknown_route_and_method_are_problems(client):
    assert_problem(client.get("/v2/nothing"), 404, "not_found")
    assert_problem(client.put("/v1/jobs"), 405, "method_not_allowed")


def test_api_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_api_indicators_lists_catalogue(client):
    from workers.pipeline.catalogue import load_catalogue

    body = client.get("/v1/indicators").json()
    assert len(body) == len(load_catalogue()) > 0
    first = body[0]
    assert set(first) == {"id", "name", "system", "units"}
    assert isinstance(first["units"], list)


# --- end to end, with a real worker process ------------------------------------------------


def test_api_e2e_text_job_succeeds_and_result_is_retained(e2e_client, redis_conn, settings):
    job_id = e2e_client.post("/v1/jobs", content=REPORT.encode("gbk"), headers={"content-type": "text/plain"}).json()["id"]
    view = wait_done(e2e_client, job_id)
    assert view["status"] == "succeeded", view
    assert view["started_at"] and view["finished_at"] and view["attempts"] == 1
    result = e2e_client.get(f"/v1/jobs/{job_id}/result")
    assert result.status_code == 200
    assert result.headers["content-type"].startswith("application/json")
    body = result.json()
    assert body["schema_version"] == "1"
    for ind in body["indicators"]:
        assert body["text"][ind["evidence"]["start"]:ind["evidence"]["end"]] == ind["evidence"]["quote"]
    assert e2e_client.get(f"/v1/jobs/{job_id}/result").json() == body  # readable again
    ttl = redis_conn.ttl(result_key(job_id))
    assert settings.retention_seconds - 60 < ttl <= settings.retention_seconds
    from workers.jobstore import RQ_RESULT_TTL_SECONDS

    assert 0 < redis_conn.ttl(f"rq:job:{job_id}") <= RQ_RESULT_TTL_SECONDS  # RQ's own record only briefly
    deleted = e2e_client.delete(f"/v1/jobs/{job_id}").json()
    assert deleted == {"id": job_id, "status": "succeeded", "deleted": True}
    assert redis_conn.exists(job_key(job_id), result_key(job_id)) == 0


def test_api_readyz_sees_the_worker(e2e_client):
    body = e2e_client.get("/readyz").json()
    assert body["status"] == "ready" and body["workers"] >= 1


def test_api_readyz_without_workers_is_503(settings, redis_conn):
    from litestar.testing import TestClient

    from service.app import create_app

    lonely = replace(settings, queue_name="nobody-serves-this")
    with TestClient(app=create_app(lonely)) as client:
        response = client.get("/readyz")
        assert_problem(response, 503, "backend.no_workers")
        assert int(response.headers["retry-after"]) > 0


def _pdf_bytes(text_lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont("STSong-Light", 12)
    y = 800
    for line in text_lines:
        pdf.drawString(60, y, line)
        y -= 20
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.mark.parametrize("how", ["raw", "multipart"])
def test_api_e2e_pdf_submission(e2e_client, how):
    data = _pdf_bytes(REPORT.splitlines())
    if how == "raw":
        response = e2e_client.post("/v1/jobs", content=data, headers={"content-type": "application/pdf"}, params={"filename": "r.pdf"})
    else:
        response = e2e_client.post("/v1/jobs", files={"file": ("r.pdf", data, "application/pdf")})
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert e2e_client.get(f"/v1/jobs/{job_id}").json()["document"]["media_type"] == "application/pdf"
    view = wait_done(e2e_client, job_id)
    assert view["status"] == "succeeded", view
    assert view["progress"]["pages_total"] == 1
    result = e2e_client.get(f"/v1/jobs/{job_id}/result").json()
    assert "行政复议" in result["text"]


def test_api_truncated_pdf_is_rejected_at_submit(client):
    data = _pdf_bytes(["abc"])[:200]
    response = client.post("/v1/jobs", content=data, headers={"content-type": "application/pdf"})
    assert_problem(response, 422, "input.malformed_pdf")


def _encrypted_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=StandardEncryption("secret", canPrint=0))
    pdf.drawString(60, 800, "report")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "code"),
    [(_encrypted_pdf, "input.encrypted"), (lambda: b"%PDF-1.4\n1 0 obj <<>> garbage", "input.malformed_pdf")],
    ids=["encrypted", "malformed"],
)
def test_api_submit_bad_pdf_is_422_at_submit(client, make, code):
    assert_problem(client.post("/v1/jobs", content=make(), headers={"content-type": "application/pdf"}), 422, code)


def test_api_submit_pdf_over_page_limit(settings, redis_conn):
    from litestar.testing import TestClient

    from service.app import create_app

    from reportlab.pdfgen import canvas

    data = _pdf_bytes(["a"])
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for _ in range(2):
        pdf.drawString(60, 800, "page")
        pdf.showPage()
    pdf.save()
    two_pages = buffer.getvalue()
    with TestClient(app=create_app(replace(settings, max_pages=1))) as client:
        assert client.post("/v1/jobs", content=data, headers={"content-type": "application/pdf"}).status_code == 202
        assert_problem(client.post("/v1/jobs", content=two_pages, headers={"content-type": "application/pdf"}), 422, "input.too_many_pages")


@pytest.mark.parametrize("kind", ["text", "pdf"])
def test_api_result_equals_fazhi_extract_for_the_same_bytes(e2e_client, tmp_path, kind):
    """Issue 3: the service and `fazhi extract` run one pipeline, so they agree to the byte."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    seed = Path(__file__).resolve().parents[2].parent / "shared" / "seeds" / "001_033957f002b379d8.txt"
    text = seed.read_text(encoding="utf-8") if seed.is_file() else REPORT
    data = text.encode("utf-8") if kind == "text" else _pdf_bytes(text.splitlines()[:40])
    path = tmp_path / "report.bin"
    path.write_bytes(data)
    local = subprocess.run([sys.executable, "-m", "fazhi", "extract", str(path)], capture_output=True, timeout=120)
    assert local.returncode == 0, local.stderr.decode()[-2000:]
    expected = json.loads(local.stdout.decode().splitlines()[0])

    job_id = e2e_client.post(f"/v1/jobs?filename=report.bin", content=data,
                             headers={"content-type": "application/octet-stream"}).json()["id"]
    assert wait_done(e2e_client, job_id)["status"] == "succeeded"
    served = e2e_client.get(f"/v1/jobs/{job_id}/result").json()
    assert served["indicators"], "the report has quantities"
    assert served == expected
