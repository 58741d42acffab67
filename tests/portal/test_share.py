"""Signed share links: the review page, card and page images open without a key, for one job, until
they expire; without a key or a valid link they answer 401 before anyone learns whether an id exists."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest

from service.share import SECRET_KEY, Access, expiry, sign, verify
from tests.reliability._support import bearer, keys, make_client  # noqa: F401 - fixtures
from tests.service.test_api import REPORT, assert_problem
from workers.jobstore import JobStore
from workers.pipeline.model import DocumentInfo, Evidence, Indicator, Metadata, Result

PDF = Path(__file__).resolve().parent.parent / "devset" / "d11_jiyang_district_2025_pdf.pdf"
UNKNOWN = "AAAAAAAAAAAAAAAAAAAAAA"


def _result(text: str, *, page: int | None = None) -> bytes:
    start = text.index("100%")
    evidence = Evidence(start=start, end=start + 4, quote="100%", page=page, bbox=(100.0, 100.0, 200.0, 120.0) if page else None)
    indicator = Indicator(
        id=None, name="出庭应诉率", system=None, value=100, unit="%", qualifier="exact", subject="负责人出庭应诉", section=None, evidence=evidence
    )
    result = Result(
        schema_version="1", pipeline_version="test", document=DocumentInfo(sha256="0" * 64, media_type="text/plain", chars=len(text)), text=text,
        metadata=Metadata(issuer="某某区人民政府", report_year=2023), outline=[], sections=[], indicators=[indicator],
        citations=[], shortcomings=[], plans=[], checks=[],
    )
    return msgspec.json.encode(result)


def _finish(redis_conn, settings, job_id: str, result: bytes) -> None:
    store = JobStore(redis_conn, retention_seconds=settings.retention_seconds)
    store.start(job_id)
    assert store.succeed(job_id, result)


@pytest.fixture
def text_job(client, keys, redis_conn, settings):
    response = client.post("/v1/jobs", json={"text": REPORT}, headers=bearer(keys["a"]))
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    _finish(redis_conn, settings, job_id, _result("负责人出庭应诉率100%。"))
    return job_id


@pytest.fixture
def pdf_job(client, keys, redis_conn, settings):
    response = client.post("/v1/jobs", content=PDF.read_bytes(), headers={"Content-Type": "application/pdf", **bearer(keys["a"])})
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    _finish(redis_conn, settings, job_id, _result("负责人出庭应诉率100%。", page=1))
    return job_id


def _share(client, job_id, key, **body):
    response = client.post(f"/v1/jobs/{job_id}/share", json=body or None, headers=bearer(key))
    assert response.status_code == 201, response.text
    return response.json()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# --- signing, without the app ---------------------------------------------------------------


def test_share_verify_accepts_only_its_own_job_and_unexpired_signatures():
    key, now = b"k" * 32, 1_800_000_000
    exp = now + 60
    sig = sign(key, "job-one-0000000000", exp)
    assert verify(key, "job-one-0000000000", str(exp), sig, now=now) == exp
    assert verify(key, "job-two-0000000000", str(exp), sig, now=now) is None
    assert verify(b"x" * 32, "job-one-0000000000", str(exp), sig, now=now) is None
    assert verify(key, "job-one-0000000000", str(exp), sig, now=exp) is None  # expired at exp
    assert verify(key, "job-one-0000000000", str(exp + 1), sig, now=now) is None  # exp is signed
    assert verify(key, "job-one-0000000000", str(exp), sig.upper(), now=now) is None
    assert verify(key, "job-one-0000000000", f" {exp}", sig, now=now) is None
    assert verify(key, "job-one-0000000000", None, sig, now=now) is None


@pytest.mark.parametrize(("ttl", "retention", "expected"), [(None, 30 * 86400, 7 * 86400), (60, 30 * 86400, 60), (10 * 86400, 86400, 86400)])
def test_share_expiry_defaults_to_seven_days_capped_by_retention(ttl, retention, expected):
    assert expiry(ttl, retention, now=1000) == 1000 + expected


# --- with keys on -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["view", "card", "pages/1.png"])
def test_share_pages_without_credentials_are_auth_required(client, keys, pdf_job, page):
    assert_problem(client.get(f"/v1/jobs/{pdf_job}/{page}"), 401, "auth.required")
    # An unknown id answers the same: no credentials, no hint whether the id exists.
    assert_problem(client.get(f"/v1/jobs/{UNKNOWN}/{page}"), 401, "auth.required")


@pytest.mark.parametrize("page", ["view", "card", "pages/1.png"])
def test_share_pages_still_work_with_the_owners_key(client, keys, pdf_job, page):
    assert client.get(f"/v1/jobs/{pdf_job}/{page}", headers=bearer(keys["a"])).status_code == 200
    assert_problem(client.get(f"/v1/jobs/{pdf_job}/{page}", headers=bearer(keys["b"])), 404, "job.not_found")


def test_share_link_opens_view_card_and_page_images(client, keys, pdf_job):
    links = _share(client, pdf_job, keys["a"])
    assert urlsplit(links["view_url"]).path == f"/v1/jobs/{pdf_job}/view"
    assert urlsplit(links["card_url"]).path == f"/v1/jobs/{pdf_job}/card"
    q = _query(links["view_url"])
    assert q == _query(links["card_url"]) and re.fullmatch(r"[0-9a-f]{64}", q["sig"])
    assert 7 * 86400 - 5 <= int(q["exp"]) - time.time() <= 7 * 86400
    assert links["expires_at"].startswith(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(int(q["exp"]))))

    view = client.get(_path(links["view_url"]))
    assert view.status_code == 200, view.text
    assert "share-note" in view.text and "有效期至" in view.text
    # The page's own image and card links carry the same signature, and it offers no JSON API links.
    suffix = f"?exp={q['exp']}&amp;sig={q['sig']}"
    assert f'src="/v1/jobs/{pdf_job}/pages/1.png{suffix}"' in view.text
    assert f'href="/v1/jobs/{pdf_job}/card{suffix}"' in view.text
    assert f"/v1/jobs/{pdf_job}/result" not in view.text
    data = view.text.split('id="fz-data">', 1)[1].split("</script>", 1)[0]
    assert msgspec.json.decode(data)["query"] == f"?exp={q['exp']}&sig={q['sig']}"
    image = re.search(r'src="(/v1/jobs/[^"]+\.png[^"]*)"', view.text).group(1).replace("&amp;", "&")
    png = client.get(image)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    card = client.get(_path(links["card_url"]))
    assert card.status_code == 200 and "某某区人民政府" in card.text
    max_age = int(re.search(r"max-age=(\d+)", card.headers["cache-control"]).group(1))
    assert 0 < max_age <= 600


def test_share_link_is_only_for_the_pages_not_the_api(client, keys, text_job):
    q = _query(_share(client, text_job, keys["a"])["view_url"])
    assert_problem(client.get(f"/v1/jobs/{text_job}/result", params=q), 401, "auth.required")
    assert_problem(client.get(f"/v1/jobs/{text_job}", params=q), 401, "auth.required")


def test_share_link_with_short_ttl_and_opened_with_a_key_has_no_note(client, keys, text_job):
    links = _share(client, text_job, keys["a"], ttl_seconds=120)
    assert 110 <= int(_query(links["view_url"])["exp"]) - time.time() <= 120
    assert client.get(_path(links["view_url"])).status_code == 200
    keyed = client.get(f"/v1/jobs/{text_job}/view", headers=bearer(keys["a"]))
    assert keyed.status_code == 200 and "share-note" not in keyed.text and f"/v1/jobs/{text_job}/result" in keyed.text


def _forged(client, keys, text_job, other_job):
    q = _query(_share(client, text_job, keys["a"])["view_url"])
    other = _query(_share(client, other_job, keys["a"])["view_url"])
    flipped = q["sig"][:-1] + ("0" if q["sig"][-1] != "0" else "1")
    return {
        "tampered-sig": {"exp": q["exp"], "sig": flipped},
        "later-exp": {"exp": str(int(q["exp"]) + 1), "sig": q["sig"]},
        "other-jobs-sig": other,
        "sig-only": {"sig": q["sig"]},
        "garbage": {"exp": "soon", "sig": "<script>"},
    }


@pytest.mark.parametrize("case", ["tampered-sig", "later-exp", "other-jobs-sig", "sig-only", "garbage"])
@pytest.mark.parametrize("page", ["view", "card"])
def test_share_forged_links_are_auth_required(client, keys, text_job, redis_conn, settings, case, page):
    response = client.post("/v1/jobs", json={"text": REPORT}, headers=bearer(keys["a"]))
    other_job = response.json()["id"]
    _finish(redis_conn, settings, other_job, _result("负责人出庭应诉率100%。"))
    params = _forged(client, keys, text_job, other_job)[case]
    body = assert_problem(client.get(f"/v1/jobs/{text_job}/{page}", params=params), 401, "auth.required")
    assert "share link" in body["detail"]


def test_share_expired_link_is_auth_required(client, keys, text_job, redis_conn):
    assert redis_conn.get(SECRET_KEY) is None  # made on first use
    _share(client, text_job, keys["a"])
    key = redis_conn.get(SECRET_KEY)
    assert key, "the generated secret is kept in Redis"
    exp = int(time.time()) - 1
    params = {"exp": str(exp), "sig": sign(key, text_job, exp)}
    assert_problem(client.get(f"/v1/jobs/{text_job}/view", params=params), 401, "auth.required")
    fresh = int(time.time()) + 60
    assert client.get(f"/v1/jobs/{text_job}/view", params={"exp": str(fresh), "sig": sign(key, text_job, fresh)}).status_code == 200


def test_share_tenant_b_cannot_share_a_job_of_tenant_a(client, keys, text_job):
    theirs = assert_problem(client.post(f"/v1/jobs/{text_job}/share", headers=bearer(keys["b"])), 404, "job.not_found")
    nothing = assert_problem(client.post(f"/v1/jobs/{UNKNOWN}/share", headers=bearer(keys["b"])), 404, "job.not_found")
    assert theirs["detail"].replace(text_job, "X") == nothing["detail"].replace(UNKNOWN, "X")
    assert_problem(client.post(f"/v1/jobs/{text_job}/share"), 401, "auth.required")


@pytest.mark.parametrize("body", [{"ttl_seconds": 0}, {"ttl_seconds": -5}, {"ttl_seconds": "day"}, {"ttl": 60}])
def test_share_bad_request_bodies_are_400(client, keys, text_job, body):
    response = client.post(f"/v1/jobs/{text_job}/share", json=body, headers=bearer(keys["a"]))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_share_secret_is_shared_by_every_api_process(make_client, keys, text_job, redis_conn):
    first, second = make_client(), make_client()
    links = _share(first, text_job, keys["a"])
    assert second.get(_path(links["view_url"])).status_code == 200
    assert redis_conn.get(SECRET_KEY) is not None


def test_share_secret_from_settings_overrides_redis(make_client, keys, text_job, redis_conn):
    configured = make_client(share_secret="s" * 32)
    links = _share(configured, text_job, keys["a"])
    q = _query(links["view_url"])
    assert q["sig"] == sign(b"s" * 32, text_job, int(q["exp"]))
    assert make_client().get(_path(links["view_url"])).status_code == 401  # another secret: not valid there


def test_share_link_for_an_unfinished_job_shows_status_with_the_note(client, keys):
    job_id = client.post("/v1/jobs", json={"text": REPORT}, headers=bearer(keys["a"])).json()["id"]
    links = _share(client, job_id, keys["a"])
    page = client.get(_path(links["view_url"]))
    assert page.status_code == 200 and "queued" in page.text and "有效期至" in page.text


# --- with auth off ----------------------------------------------------------------------------


def test_share_auth_off_pages_work_with_or_without_a_signature(client, redis_conn, settings):
    job_id = client.post("/v1/jobs", json={"text": REPORT}).json()["id"]
    _finish(redis_conn, settings, job_id, _result("负责人出庭应诉率100%。"))
    assert client.get(f"/v1/jobs/{job_id}/view").status_code == 200
    assert client.get(f"/v1/jobs/{job_id}/card").status_code == 200
    assert client.get(f"/v1/jobs/{job_id}/view", params={"exp": "1", "sig": "0" * 64}).status_code == 200
    links = client.post(f"/v1/jobs/{job_id}/share").json()
    assert "share-note" in client.get(_path(links["view_url"])).text
    assert_problem(client.get(f"/v1/jobs/{UNKNOWN}/view"), 404, "job.not_found")


def test_share_access_query_round_trips_through_verify():
    key, exp = b"q" * 32, int(time.time()) + 100
    q = parse_qs(Access(owner=None, exp=exp).query("some-job-id-12345", key)[1:])
    assert verify(key, "some-job-id-12345", q["exp"][0], q["sig"][0]) == exp
    assert Access(owner="tenant-a").query("some-job-id-12345", key) == ""


# --- in a real browser ------------------------------------------------------------------------

from tests.portal.test_browser import CHROMEDRIVER, CHROMIUM, make_driver, server  # noqa: E402, F401 - fixture


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian packages chromium and chromium-driver")
def test_share_browser_upload_share_and_open_without_a_key(server, redis_conn, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from fazhi.keys import ENABLED_KEY, HASH_KEY, META_KEY, create_key

    _, key = create_key(redis_conn, "tenant-browser")
    browser = make_driver(tmp_path)
    try:
        time.sleep(1.1)  # the API process re-reads "is auth on?" at most once a second
        browser.get(server + "/")
        browser.find_element(By.CSS_SELECTOR, "details summary").click()
        browser.find_element(By.ID, "apikey").send_keys(key)
        browser.find_element(By.ID, "files").send_keys(str(PDF))
        browser.find_element(By.ID, "send").click()
        row = WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#jobs tbody tr"))[0]
        WebDriverWait(browser, 120).until(lambda d: row.get_attribute("data-status") in ("succeeded", "failed", "rejected"))
        assert row.get_attribute("data-status") == "succeeded", row.text
        job_id = row.get_attribute("data-job")
        row.find_element(By.CSS_SELECTOR, "button.share").click()
        shared = WebDriverWait(browser, 15).until(lambda d: row.find_elements(By.CSS_SELECTOR, ".share-links a"))
        view_url, card_url = (a.get_attribute("href") for a in shared)
        browser.save_screenshot(str(tmp_path / "share-upload.png"))

        # Plain navigation sends no key: the bare page is refused, the share link opens, and the
        # page image (requested by the page's script) loads with the link's signature.
        browser.get(f"{server}/v1/jobs/{job_id}/view")
        assert "auth.required" in browser.page_source
        browser.get(view_url)
        assert "有效期至" in browser.find_element(By.CSS_SELECTOR, ".share-note").text
        browser.find_elements(By.CSS_SELECTOR, ".indicators a[data-ind]")[0].click()
        WebDriverWait(browser, 15).until(lambda d: d.execute_script(
            "const i = document.getElementById('page-img'); return i.complete && i.naturalWidth > 0 && i.src.includes('sig=');"))
        browser.save_screenshot(str(tmp_path / "share-review.png"))
    finally:
        browser.quit()
    nojs = make_driver(tmp_path, javascript=False)
    try:
        nojs.get(card_url)
        assert "必备内容" in nojs.find_element(By.CSS_SELECTOR, "section.fz-card").text
    finally:
        nojs.quit()
        redis_conn.delete(ENABLED_KEY, HASH_KEY, META_KEY)  # later tests on this Redis expect auth off
