"""The three pages in real headless Chromium: upload two files, watch them finish, review one
(click an indicator, see its evidence highlighted and, for the PDF, its box on the page image),
and render the card with JavaScript disabled. Screenshots go to the test's tmp dir."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, WORKER_QUEUE, _free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SEED = sorted(Path("/work/shared/seeds").glob("*.txt"))
PDF = ROOT / "tests" / "devset" / "d11_jiyang_district_2025_pdf.pdf"

pytestmark = [
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian packages chromium and chromium-driver"),
    pytest.mark.skipif(not SEED or not PDF.is_file(), reason="needs a seed report and the devset PDF"),
]


@pytest.fixture(scope="module")
def server(worker, redis_server):
    port = _free_port()
    env = {**os.environ, "FAZHI_REDIS_URL": redis_server.url, "FAZHI_QUEUE_NAME": WORKER_QUEUE, "FAZHI_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("uvicorn did not start") from None
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def make_driver(tmp_path: Path, javascript: bool = True):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path / ('profile-js' if javascript else 'profile-nojs')}"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture
def browser(tmp_path):
    driver = make_driver(tmp_path)
    yield driver
    driver.quit()


def test_browser_upload_review_and_card(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/")
    browser.find_element(By.ID, "files").send_keys(f"{SEED[0]}\n{PDF}")
    browser.find_element(By.ID, "send").click()
    rows = lambda d: d.find_elements(By.CSS_SELECTOR, "#jobs tbody tr")  # noqa: E731
    WebDriverWait(browser, 15).until(lambda d: len(rows(d)) == 2)
    ended = ("succeeded", "failed", "canceled", "rejected")
    WebDriverWait(browser, 120).until(lambda d: all(r.get_attribute("data-status") in ended for r in rows(d)))
    assert [r.get_attribute("data-status") for r in rows(browser)] == ["succeeded", "succeeded"], [r.text for r in rows(browser)]
    assert [r.find_element(By.CSS_SELECTOR, "td").text for r in rows(browser)] == [SEED[0].name, PDF.name]
    assert browser.find_element(By.ID, "batch-links").find_elements(By.LINK_TEXT, "XLSX")
    browser.save_screenshot(str(tmp_path / "upload.png"))
    job_ids = [r.get_attribute("data-job") for r in rows(browser)]

    # Text report: click the third indicator, its evidence gets highlighted and scrolled to.
    rows(browser)[0].find_element(By.PARTIAL_LINK_TEXT, "Review").click()
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".indicators a[data-ind]"))
    assert not browser.find_elements(By.CSS_SELECTOR, "mark.ev.active")
    link = browser.find_elements(By.CSS_SELECTOR, ".indicators a[data-ind]")[2]
    link.click()
    WebDriverWait(browser, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, "mark.ev.active"))
    active = browser.find_elements(By.CSS_SELECTOR, "mark.ev.active")
    assert all("2" in m.get_attribute("data-ids").split() for m in active)
    assert "active" in link.get_attribute("class")
    visible = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(), p = document.getElementById('doc-text').getBoundingClientRect();"
        "return r.top >= p.top && r.bottom <= p.bottom;", active[0])
    assert visible, "the evidence should be scrolled into view"
    browser.save_screenshot(str(tmp_path / "review-text.png"))

    # PDF report: the page image is shown with the indicator's box drawn on it.
    browser.get(f"{server}/v1/jobs/{job_ids[1]}/view")
    with_page = [a for a in browser.find_elements(By.CSS_SELECTOR, ".indicators a[data-ind]")]
    with_page[0].click()
    WebDriverWait(browser, 15).until(lambda d: d.execute_script(
        "const i = document.getElementById('page-img'); return i.complete && i.naturalWidth > 0;"))
    boxes = browser.find_elements(By.CSS_SELECTOR, "#page-wrap .page-box")
    assert boxes and boxes[0].size["width"] > 0 and boxes[0].size["height"] > 0
    browser.save_screenshot(str(tmp_path / "review-pdf.png"))

    # The card renders without any script.
    nojs = make_driver(tmp_path, javascript=False)
    try:
        nojs.get(f"{server}/v1/jobs/{job_ids[0]}/card")
        card = nojs.find_element(By.CSS_SELECTOR, "section.fz-card")
        assert "必备内容" in card.text and "主要指标" in card.text
        assert nojs.find_elements(By.CSS_SELECTOR, ".fz-card dd")
        assert not nojs.find_elements(By.TAG_NAME, "script")
        nojs.save_screenshot(str(tmp_path / "card.png"))
    finally:
        nojs.quit()
    assert (tmp_path / "review-text.png").stat().st_size > 1000
