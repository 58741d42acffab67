"""Malformed input never hurts: no 5xx, a code for every refusal, no worker crash."""

from __future__ import annotations

import time

import pytest
from msgspec.structs import replace

from tests.reliability.malformed_corpus import READ_CASES, cases
from service.errors import PROBLEM_JSON

CASES = cases()
QUEUE = "malformed-q"
WORKER_ENV = {"FAZHI_PAGE_TIMEOUT_SECONDS": "5", "FAZHI_JOB_TIMEOUT_SECONDS": "60", "FAZHI_PARSE_MEMORY_MB": "768"}


def test_malformed_corpus_is_big_enough():
    assert len(CASES) + len(READ_CASES) >= 50
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def malformed_worker(redis_server):
    from tests.conftest import start_worker, stop_worker, wait_for_worker

    proc = start_worker(redis_server.url, QUEUE, WORKER_ENV)
    wait_for_worker(redis_server.url, QUEUE, proc)
    yield proc
    stop_worker(proc)


def _check_problem(response, expected: str | None, case: str) -> None:
    assert response.status_code < 500, (case, response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM_JSON), case
        body = response.json()
        assert body["code"] and body["status"] == response.status_code, (case, body)
        if expected is not None:
            assert body["code"] == expected, (case, body)


def test_malformed_submissions_never_5xx_and_accepted_ones_end(malformed_worker, settings, redis_conn):
    from litestar.testing import TestClient

    from service.app import create_app

    accepted: dict[str, str] = {}
    outcomes: dict[str, str] = {}
    durations: dict[str, tuple] = {}
    # A short job timeout: a document that stalls the pipeline must end as parse.timeout, not hang.
    app_settings = replace(settings, queue_name=QUEUE, max_pages=50, rate_limit_per_minute=0, job_timeout_seconds=30)
    with TestClient(app=create_app(app_settings)) as client:
        for case, kwargs, expected in CASES:
            response = client.post("/v1/jobs", **kwargs)
            _check_problem(response, expected, case)
            if response.status_code == 202:
                assert expected is None, (case, "was accepted but should be refused with", expected)
                accepted[case] = response.json()["id"]
                view = client.get(f"/v1/jobs/{accepted[case]}").json()
                assert "/" not in (view["document"]["filename"] or "") and "\\" not in (view["document"]["filename"] or ""), case
            else:
                outcomes[case] = response.json()["code"]
        for _, method, path, expected in READ_CASES:
            _check_problem(client.request(method, path), expected, path)

        deadline = time.monotonic() + 120
        for case, job_id in accepted.items():
            while True:
                view = client.get(f"/v1/jobs/{job_id}", params={"wait": 10}).json()
                if view["status"] in ("succeeded", "failed", "canceled") or time.monotonic() > deadline:
                    break
            assert view["status"] in ("succeeded", "failed"), (case, view)
            if view["status"] == "failed":
                assert view["error"]["code"] and view["error"]["code"] != "internal", (case, view["error"])
            outcomes[case] = view["error"]["code"] if view["error"] else "succeeded"
            durations[case] = (view["started_at"], view["finished_at"])
    assert malformed_worker.poll() is None, "the worker died"
    # every kind of outcome is represented: refusals at submit, failed jobs and parsed documents
    assert "succeeded" in outcomes.values() and "input.empty" in outcomes.values()
    print({case: outcomes[case] for case, _, _ in CASES})
    print(durations)
