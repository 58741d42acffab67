"""API keys and tenant isolation: another tenant's job is indistinguishable from no job."""

from __future__ import annotations

import pytest

from tests.reliability._support import bearer, keys  # noqa: F401 - fixture
from tests.service.test_api import REPORT, assert_problem
from workers.jobstore import JobStore


def _submit(client, key, text=REPORT):
    response = client.post("/v1/jobs", json={"text": text}, headers=bearer(key))
    assert response.status_code == 202, response.text
    return response.json()["id"]


def test_keys_are_stored_only_as_hashes(redis_conn, keys):
    from fazhi.keys import HASH_KEY, META_KEY

    dump = b"".join(redis_conn.hgetall(HASH_KEY)) + b"".join(redis_conn.hgetall(META_KEY).values())
    assert keys["a"].encode() not in dump and keys["a"].split("_")[-1].encode() not in dump
    assert redis_conn.hlen(HASH_KEY) == 2


def test_tenants_no_key_is_auth_required_once_a_key_exists(client, keys):
    body = assert_problem(client.post("/v1/jobs", json={"text": REPORT}), 401, "auth.required")
    assert "Bearer" in body["detail"]
    assert_problem(client.get("/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA"), 401, "auth.required")
    assert_problem(client.get("/v1/indicators"), 401, "auth.required")


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": "Bearer fz_000000000000_nope"}, {"X-API-Key": "wrong"}, {"Authorization": "Basic dXNlcjpwdw=="},
     {"Authorization": "Bearer " + "x" * 10_000}],
    ids=["unknown-bearer", "unknown-x-api-key", "basic-scheme", "huge"],
)
def test_tenants_wrong_key_is_auth_invalid(client, keys, headers):
    response = client.post("/v1/jobs", json={"text": REPORT}, headers=headers)
    assert_problem(response, 401, "auth.invalid")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_tenants_public_routes_need_no_key(client, keys):
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi/openapi.json").status_code == 200


def test_tenants_without_keys_auth_is_off(client, redis_conn):
    assert client.post("/v1/jobs", json={"text": REPORT}).status_code == 202


def test_tenants_both_header_forms_work(client, keys):
    job_id = _submit(client, keys["a"])
    assert client.get(f"/v1/jobs/{job_id}", headers={"X-API-Key": keys["a"]}).json()["id"] == job_id


def test_tenants_b_cannot_read_result_cancel_or_delete_a_job(client, keys, settings, redis_conn):
    job_id = _submit(client, keys["a"])
    unknown = "AAAAAAAAAAAAAAAAAAAAAA"
    for method, path in [("GET", "/v1/jobs/{}"), ("GET", "/v1/jobs/{}?wait=1"), ("GET", "/v1/jobs/{}/result"), ("DELETE", "/v1/jobs/{}")]:
        theirs = client.request(method, path.format(job_id), headers=bearer(keys["b"]))
        nothing = client.request(method, path.format(unknown), headers=bearer(keys["b"]))
        assert_problem(theirs, 404, "job.not_found")
        # Same status, code and title as an unknown id: B cannot learn that the id exists.
        assert {k: v for k, v in theirs.json().items() if k != "detail"} == {k: v for k, v in nothing.json().items() if k != "detail"}
        assert theirs.json()["detail"].replace(job_id, "X") == nothing.json()["detail"].replace(unknown, "X")
    # A's job is untouched, and a finished one too
    assert client.get(f"/v1/jobs/{job_id}", headers=bearer(keys["a"])).json()["status"] == "queued"
    store = JobStore(redis_conn, retention_seconds=settings.retention_seconds)
    store.start(job_id)
    store.succeed(job_id, b'{"schema_version": "1"}')
    assert_problem(client.get(f"/v1/jobs/{job_id}/result", headers=bearer(keys["b"])), 404, "job.not_found")
    assert client.get(f"/v1/jobs/{job_id}/result", headers=bearer(keys["a"])).status_code == 200


def test_tenants_expired_job_is_410_only_for_its_owner(client, keys, settings, redis_conn):
    from workers.jobstore import input_key, job_key, result_key

    job_id = _submit(client, keys["a"])
    store = JobStore(redis_conn, retention_seconds=settings.retention_seconds)
    store.start(job_id)
    store.succeed(job_id, b"{}")
    redis_conn.delete(job_key(job_id), input_key(job_id), result_key(job_id))  # what the retention TTL does
    body = assert_problem(client.get(f"/v1/jobs/{job_id}", headers=bearer(keys["a"])), 410, "job.expired")
    assert "expired" in body["detail"]
    assert_problem(client.get(f"/v1/jobs/{job_id}/result", headers=bearer(keys["a"])), 410, "job.expired")
    assert_problem(client.get(f"/v1/jobs/{job_id}", headers=bearer(keys["b"])), 404, "job.not_found")


def test_tenants_deleted_job_is_404_not_410(client, keys, settings, redis_conn):
    job_id = _submit(client, keys["a"])
    store = JobStore(redis_conn, retention_seconds=settings.retention_seconds)
    store.start(job_id)
    store.succeed(job_id, b"{}")
    assert client.delete(f"/v1/jobs/{job_id}", headers=bearer(keys["a"])).json()["deleted"] is True
    assert_problem(client.get(f"/v1/jobs/{job_id}", headers=bearer(keys["a"])), 404, "job.not_found")


def test_tenants_tombstone_outlives_the_record(client, settings, redis_conn):
    from workers.jobstore import job_key, tombstone_key

    job_id = client.post("/v1/jobs", json={"text": REPORT}).json()["id"]
    store = JobStore(redis_conn, retention_seconds=100, tombstone_seconds=1000)
    store.start(job_id)
    store.fail(job_id, "input.empty", "x", False)
    assert 90 < redis_conn.ttl(job_key(job_id)) <= 100
    assert 1090 < redis_conn.ttl(tombstone_key(job_id)) <= 1100


def test_tenants_revoked_key_stops_working_at_once(client, keys, redis_conn):
    from fazhi.keys import list_keys, revoke_key

    job_id = _submit(client, keys["a"])
    assert {k.tenant for k in list_keys(redis_conn)} == {"tenant-a", "tenant-b"}
    revoke_key(redis_conn, keys["a_id"])
    assert_problem(client.get(f"/v1/jobs/{job_id}", headers=bearer(keys["a"])), 401, "auth.invalid")
    assert client.get("/healthz").status_code == 200


def test_tenants_second_key_of_same_tenant_sees_its_jobs(client, keys, redis_conn):
    from fazhi.keys import create_key

    job_id = _submit(client, keys["a"])
    _, rotated = create_key(redis_conn, "tenant-a")
    assert client.get(f"/v1/jobs/{job_id}", headers=bearer(rotated)).status_code == 200


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "../etc", "-lead"])
def test_tenants_bad_tenant_names_are_refused(redis_conn, name):
    from fazhi.keys import KeysError, create_key

    with pytest.raises(KeysError):
        create_key(redis_conn, name)


@pytest.mark.parametrize(("host", "ok"), [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("192.168.1.5", False)])
def test_tenants_non_loopback_bind_needs_a_key(redis_conn, host, ok):
    from fazhi.keys import KeysError, check_bind, create_key

    if ok:
        check_bind(host, redis_conn)
    else:
        with pytest.raises(KeysError, match="fazhi keys create"):
            check_bind(host, redis_conn)
        create_key(redis_conn, "ops")
        check_bind(host, redis_conn)


def test_tenants_b_cannot_see_a_batch_or_its_tables(client, keys):
    response = client.post("/v1/batches", json={"documents": [{"text": REPORT, "filename": "a.txt"}]}, headers=bearer(keys["a"]))
    assert response.status_code == 202, response.text
    batch_id = response.json()["id"]
    assert client.get(f"/v1/batches/{batch_id}", headers=bearer(keys["a"])).status_code == 200
    for path in (f"/v1/batches/{batch_id}", f"/v1/batches/{batch_id}/table"):
        theirs = client.get(path, headers=bearer(keys["b"]))
        assert theirs.status_code == 404, theirs.text
        unknown = client.get(path.replace(batch_id, "A" * len(batch_id)), headers=bearer(keys["b"]))
        assert theirs.json()["code"] == unknown.json()["code"]
    assert_problem(client.get(f"/v1/batches/{batch_id}"), 401, "auth.required")
