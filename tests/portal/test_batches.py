"""POST /v1/batches and the comparison tables, through the app and a real worker process."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from pathlib import Path

import pytest

from portal_formats import to_docx, to_html

SEEDS = sorted(Path("/work/shared/seeds").glob("*.txt"))
REPORT = (
    "某某县市场监督管理局2022年法治政府建设年度报告\n"
    "一、主要举措和成效\n（一）严格规范执法。全年办理行政处罚案件125件，罚没款86.5万元。\n"
    "（二）化解矛盾纠纷。排查化解矛盾纠纷1200余件，行政机关负责人出庭应诉率达100%。\n"
    "二、存在的不足\n执法人员力量不足。\n三、2023年工作安排\n持续推进依法行政。\n"
)

pytestmark = pytest.mark.skipif(not SEEDS, reason="the seed reports are not available")


def wait_batch(client, batch_id, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = client.get(f"/v1/batches/{batch_id}").json()
        if body["done"]:
            return body
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id} did not finish: {body}")


def seed_zip(extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in SEEDS:
            zf.writestr(f"reports/{path.name}", path.read_bytes())
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
        zf.writestr("__MACOSX/._x.txt", b"junk")
    return out.getvalue()


def expected_sums(result: dict) -> dict[str, float]:
    """Independent of workers.export: header -> summed value (rates: first mention)."""
    sums: dict[str, float] = {}
    for ind in sorted(result["indicators"], key=lambda i: i["evidence"]["start"]):
        if ind["id"] is None:
            continue
        header = f"{ind['id']} ({ind['unit']})"
        if ind["unit"] in ("%", "个百分点"):
            sums.setdefault(header, ind["value"])
        else:
            sums[header] = sums.get(header, 0) + ind["value"]
    return sums


def assert_row_matches(row: dict, result: dict) -> None:
    sums = expected_sums(result)
    assert sums, "a seed report should yield catalogue indicators"
    for header, value in sums.items():
        assert float(row[header]) == pytest.approx(value), header
    indicator_headers = [h for h in row if h.endswith(")") and " (" in h]
    filled = {h for h in indicator_headers if row[h] not in (None, "")}
    assert filled == set(sums)
    meta = result["metadata"]
    assert str(row["report_year"]) == str(meta["report_year"])
    assert (row["issuer"] or None) == meta["issuer"]
    kinds = {s["kind"] for s in result["sections"]}
    assert int(row["section_measures"]) == int("measures" in kinds)
    assert int(row["section_plans"]) == int("plans" in kinds)
    for severity in ("error", "warning", "info"):
        assert int(row[f"checks_{severity}"]) == sum(1 for c in result["checks"] if c["severity"] == severity)


def test_batches_zip_of_seeds_table_matches_results_in_three_formats(e2e_client):
    from openpyxl import load_workbook

    response = e2e_client.post("/v1/batches", content=seed_zip({"notes/readme.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64}),
                               headers={"content-type": "application/zip"})
    assert response.status_code == 202, response.text
    created = response.json()
    assert response.headers["location"] == f"/v1/batches/{created['id']}"
    assert [d["filename"] for d in created["documents"]] == [p.name for p in SEEDS] + ["readme.png"]
    assert created["documents"][-1]["error"]["code"] == "input.unsupported_type"
    body = wait_batch(e2e_client, created["id"])
    assert body["totals"] == {"documents": len(SEEDS) + 1, "queued": 0, "running": 0, "succeeded": len(SEEDS),
                              "failed": 0, "canceled": 0, "rejected": 1, "expired": 0}
    results = {}
    for doc in body["documents"][: len(SEEDS)]:
        job = e2e_client.get(f"/v1/jobs/{doc['job']['id']}").json()
        assert job["status"] == "succeeded"
        results[doc["job"]["id"]] = e2e_client.get(f"/v1/jobs/{doc['job']['id']}/result").json()

    csv_response = e2e_client.get(f"/v1/batches/{created['id']}/table", params={"format": "csv"})
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    csv_rows = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"))))

    xlsx_response = e2e_client.get(f"/v1/batches/{created['id']}/table", headers={"accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    assert xlsx_response.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx_response.content))["reports"]
    values = list(sheet.iter_rows(values_only=True))
    xlsx_rows = [dict(zip(values[0], row, strict=True)) for row in values[1:]]

    jsonl_response = e2e_client.get(f"/v1/batches/{created['id']}/table", headers={"accept": "application/x-ndjson"})
    assert jsonl_response.headers["content-type"].startswith("application/jsonl")
    jsonl_rows = [json.loads(line) for line in jsonl_response.content.decode().splitlines()]

    for rows in (csv_rows, xlsx_rows, jsonl_rows):
        assert len(rows) == len(SEEDS) + 1
        assert rows[-1]["status"] == "rejected"
        for row in rows[: len(SEEDS)]:
            assert row["status"] == "succeeded"
            assert_row_matches(row, results[row["job_id"]])
    ids = [r["job_id"] for r in jsonl_rows[: len(SEEDS)]]
    assert [r["job_id"] for r in csv_rows[: len(SEEDS)]] == [r["job_id"] for r in xlsx_rows[: len(SEEDS)]] == ids
    assert jsonl_rows[-1]["job_id"] is None and csv_rows[-1]["job_id"] == ""


def test_batches_multipart_many_files_and_formats(e2e_client):
    text = SEEDS[0].read_text(encoding="utf-8")
    files = [
        ("file", ("a.txt", REPORT.encode("gbk"), "text/plain")),
        ("file", ("b.html", to_html(text), "text/html")),
        ("file", ("c.docx", to_docx(text), "application/octet-stream")),
        ("file", ("empty.txt", b"   ", "text/plain")),
    ]
    response = e2e_client.post("/v1/batches", files=files)
    assert response.status_code == 202, response.text
    body = wait_batch(e2e_client, response.json()["id"])
    docs = body["documents"]
    assert [d["filename"] for d in docs] == ["a.txt", "b.html", "c.docx", "empty.txt"]
    assert [d["job"]["document"]["media_type"] for d in docs[:3]] == [
        "text/plain", "text/html", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
    assert docs[3]["job"] is None and docs[3]["error"]["code"] == "input.empty"
    assert body["totals"]["succeeded"] == 3 and body["totals"]["rejected"] == 1
    html_result = e2e_client.get(f"/v1/jobs/{docs[1]['job']['id']}/result").json()
    docx_result = e2e_client.get(f"/v1/jobs/{docs[2]['job']['id']}/result").json()
    key = lambda r: sorted((i["id"] or "", i["value"], i["unit"]) for i in r["indicators"])  # noqa: E731
    assert key(html_result) == key(docx_result)
    assert html_result["metadata"]["published_date"] == "2021-03-05"  # from the portal header table


def test_batches_json_texts_and_job_table(e2e_client):
    response = e2e_client.post("/v1/batches", json={"documents": [{"text": REPORT, "filename": "x.txt"}, {"text": REPORT}]})
    assert response.status_code == 202
    body = wait_batch(e2e_client, response.json()["id"])
    job_id = body["documents"][0]["job"]["id"]
    result = e2e_client.get(f"/v1/jobs/{job_id}/result").json()
    table = e2e_client.get(f"/v1/jobs/{job_id}/table", params={"format": "jsonl"})
    assert table.status_code == 200
    (row,) = [json.loads(line) for line in table.text.splitlines()]
    assert row["filename"] == "x.txt"
    assert row["penalty_cases (件)"] == 125
    assert row["fines_amount (元)"] == 865000
    assert_row_matches(row, result)
    assert table.headers["content-disposition"] == f'attachment; filename="job-{job_id}.jsonl"'


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {"documents": []}}, 422, "input.invalid"),
        ({"json": {"docs": []}}, 422, "input.invalid"),
        ({"content": b"{", "headers": {"content-type": "application/json"}}, 400, "input.invalid_json"),
        ({"content": b"PK\x03\x04garbage", "headers": {"content-type": "application/zip"}}, 422, "input.archive_rejected"),
        ({"files": [("file", ("x.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "image/png"))]}, 415, "input.unsupported_type"),
        ({"files": [("other", ("x.txt", b"abc", "text/plain"))]}, 422, "input.invalid"),
    ],
    ids=["empty-list", "unknown-field", "bad-json", "bad-zip", "only-rejected", "no-file-part"],
)
def test_batches_bad_requests_are_problems(client, kwargs, status, code):
    response = client.post("/v1/batches", **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_batches_zip_bomb_and_too_many_members_are_refused(client):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.txt", b"0" * (30 * 1024 * 1024))
    response = client.post("/v1/batches", content=bomb.getvalue(), headers={"content-type": "application/zip"})
    assert response.status_code == 422 and response.json()["code"] == "input.archive_rejected"
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(201):
            zf.writestr(f"{i}.txt", REPORT)
    response = client.post("/v1/batches", content=many.getvalue(), headers={"content-type": "application/zip"})
    assert response.status_code == 422 and "201 members" in response.json()["detail"]


def test_batches_unknown_and_other_tenant_are_404(client, redis_conn):
    from workers.batchstore import BatchItem, BatchRecord, BatchStore

    assert client.get("/v1/batches/nope").json()["code"] == "batch.not_found"
    store = BatchStore(redis_conn, ttl_seconds=60)
    store.create(BatchRecord(id="b" * 22, created_at="2026-01-01T00:00:00Z", owner="someone-else", items=[BatchItem(index=0)]))
    store.create(BatchRecord(id="c" * 22, created_at="2026-01-01T00:00:00Z", owner="", items=[BatchItem(index=0, job_id="j" * 22)]))
    response = client.get(f"/v1/batches/{'b' * 22}")
    assert response.status_code == 404 and response.json()["code"] == "batch.not_found"
    assert client.get(f"/v1/batches/{'b' * 22}/table").status_code == 404
    mine = client.get(f"/v1/batches/{'c' * 22}").json()
    assert mine["totals"]["expired"] == 1 and mine["done"] is True


def test_batches_job_table_of_unfinished_job_is_409(client):
    job_id = client.post("/v1/jobs", json={"text": REPORT}).json()["id"]
    response = client.get(f"/v1/jobs/{job_id}/table")
    assert response.status_code == 409 and response.json()["code"] == "job.not_finished"
    assert client.get(f"/v1/jobs/{job_id}/table", params={"format": "pdf"}).status_code == 400


def test_batches_tenants_see_only_their_own_batches_and_pages(client, redis_conn):
    from fazhi.keys import create_key

    _, key_a = create_key(redis_conn, "town-a")
    _, key_b = create_key(redis_conn, "town-b")
    a, b = {"X-API-Key": key_a}, {"Authorization": f"Bearer {key_b}"}
    assert client.post("/v1/batches", json={"documents": [{"text": REPORT}]}).status_code == 401
    created = client.post("/v1/batches", json={"documents": [{"text": REPORT}]}, headers=a)
    assert created.status_code == 202
    batch_id, job_id = created.json()["id"], created.json()["documents"][0]["job"]["id"]
    assert client.get(f"/v1/batches/{batch_id}", headers=a).json()["totals"]["queued"] == 1
    for path in (f"/v1/batches/{batch_id}", f"/v1/batches/{batch_id}/table"):
        response = client.get(path, headers=b)
        assert response.status_code == 404 and response.json()["code"] == "batch.not_found"
    for path in (f"/v1/jobs/{job_id}/view", f"/v1/jobs/{job_id}/card", f"/v1/jobs/{job_id}/table", f"/v1/jobs/{job_id}/pages/1.png"):
        assert client.get(path, headers=b).json()["code"] == "job.not_found", path
    assert client.get(f"/v1/jobs/{job_id}", headers=a).json()["status"] == "queued"
    assert client.get("/").status_code == 200 and client.get("/static/review.js").status_code == 200  # public


def test_batches_zip_file_part_with_docx_inside_is_expanded_once(client):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("年报/某县.docx", to_docx(REPORT))
        zf.writestr("年报/某镇.txt", REPORT.encode("gb18030"))
    files = [("file", ("reports.zip", inner.getvalue(), "application/zip")), ("file", ("direct.docx", to_docx(REPORT), "application/octet-stream"))]
    response = client.post("/v1/batches", files=files)
    assert response.status_code == 202, response.text
    docs = response.json()["documents"]
    assert [(d["filename"], d["job"]["document"]["media_type"]) for d in docs] == [
        ("某县.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("某镇.txt", "text/plain"),
        ("direct.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ]
