"""The upload, review and card pages and PDF page images, through the app and a real worker."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

PDF = Path(__file__).resolve().parent.parent / "devset" / "d11_jiyang_district_2025_pdf.pdf"
EVIL = (
    "某某区司法局2023年法治政府建设年度报告<script>alert('x')</script>\n"
    "一、主要举措和成效\n"
    "（一）行政复议。全年收到行政复议申请86件</script><img src=x onerror=alert(1)>，办结75件。\n"
    "（二）行政应诉。行政机关负责人出庭应诉率100%。主动公开政府信息3562条。\n"
    "二、存在的不足\n个别执法人员能力不足。\n三、2024年工作安排\n持续推进。\n"
)


def wait_done(client, job_id, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = client.get(f"/v1/jobs/{job_id}", params={"wait": 5}).json()
        if body["status"] in ("succeeded", "failed", "canceled"):
            return body
    raise AssertionError(f"job {job_id} did not end")


@pytest.fixture
def evil_job(e2e_client):
    job_id = e2e_client.post("/v1/jobs", json={"text": EVIL, "filename": "<b>evil</b>.txt"}).json()["id"]
    assert wait_done(e2e_client, job_id)["status"] == "succeeded"
    return job_id


def test_pages_upload_page_is_html_with_csp(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert 'id="files"' in response.text and "multiple" in response.text
    assert client.get("/static/upload.js").status_code == 200
    assert client.get("/static/portal.css").headers["content-type"].startswith("text/css")


def test_pages_review_escapes_document_text_and_marks_evidence(e2e_client, evil_job):
    response = e2e_client.get(f"/v1/jobs/{evil_job}/view")
    assert response.status_code == 200
    page = response.text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    # Only our two script elements exist: the data block and the static script.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/review.js" defer>', '<script type="application/json" id="fz-data">']
    data_block = page.split('id="fz-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data_block
    result = e2e_client.get(f"/v1/jobs/{evil_job}/result").json()
    assert result["indicators"]
    for k, indicator in enumerate(result["indicators"]):
        assert f'href="#ev-{k}"' in page and f'id="ev-{k}"' in page
    marked = re.search(r'<mark class="ev" data-ids="0"[^>]*>(.*?)</mark>', page)
    assert marked is not None
    assert "private" in response.headers["cache-control"]


def test_pages_card_is_script_free_cacheable_fragment(e2e_client, evil_job):
    response = e2e_client.get(f"/v1/jobs/{evil_job}/card")
    assert response.status_code == 200
    card = response.text
    assert "<script" not in card.lower() and "<img" not in card.lower()
    assert card.lstrip().startswith('<section class="fz-card"')
    assert "max-age=" in response.headers["cache-control"]
    csp = response.headers["content-security-policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "frame-ancestors" not in csp
    assert "负责人出庭应诉" in card and "100 %" in card
    assert "主动公开政府信息" in card and "3,562 条" in card
    assert card.count('class="fz-yes"') == 3  # measures, shortcomings, plans


def test_pages_unfinished_and_unknown_jobs(client):
    job_id = client.post("/v1/jobs", json={"text": EVIL}).json()["id"]  # no worker serves this queue
    view = client.get(f"/v1/jobs/{job_id}/view")
    assert view.status_code == 200 and 'http-equiv="refresh"' in view.text and "queued" in view.text
    assert client.get(f"/v1/jobs/{job_id}/card").status_code == 409
    assert client.get("/v1/jobs/unknown-job-id-000000/view").json()["code"] == "job.not_found"
    assert client.get(f"/v1/jobs/{job_id}/pages/1.png").status_code == 404


def test_pages_pdf_review_has_page_images_with_boxes(e2e_client):
    if not PDF.is_file():
        pytest.skip("the devset PDF is not available")
    job_id = e2e_client.post("/v1/jobs", content=PDF.read_bytes(), headers={"content-type": "application/pdf"}).json()["id"]
    assert wait_done(e2e_client, job_id, 120)["status"] == "succeeded"
    page = e2e_client.get(f"/v1/jobs/{job_id}/view").text
    assert 'id="page-img"' in page and "has-pdf" in page
    data = page.split('id="fz-data">', 1)[1].split("</script>", 1)[0]
    import json

    parsed = json.loads(data)
    assert parsed["pages"]["1"][0] > 100
    assert any(i["page"] and i["bbox"] for i in parsed["indicators"])
    image = e2e_client.get(f"/v1/jobs/{job_id}/pages/1.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert e2e_client.get(f"/v1/jobs/{job_id}/pages/999.png").status_code == 404
    assert e2e_client.get(f"/v1/jobs/{job_id}/pages/..%2f1.png").status_code == 404
