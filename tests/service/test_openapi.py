from service.openapi import COMMITTED, generate


def test_openapi_committed_file_is_current():
    """`uv run fazhi openapi` rewrites openapi/openapi.json when this fails."""
    assert COMMITTED.read_bytes() == generate()


def test_openapi_generate_is_deterministic():
    assert generate() == generate()


def test_openapi_documents_every_route_and_problem_responses():
    import json

    doc = json.loads(generate())
    # >=: the batch and page routes (issue 6) are documented too
    assert set(doc["paths"]) >= {"/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/result", "/v1/indicators", "/healthz", "/readyz",
        "/v1/batches", "/v1/batches/{batch_id}", "/v1/batches/{batch_id}/table", "/v1/jobs/{job_id}/table"}
    for path, methods in doc["paths"].items():
        if path.startswith("/v1/"):
            for operation in methods.values():
                assert "401" in operation["responses"], (path, "must document 401")
    submit = doc["paths"]["/v1/jobs"]["post"]
    assert set(submit["requestBody"]["content"]) == {"application/json", "text/plain", "application/pdf", "text/html",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "multipart/form-data"}
    assert "application/problem+json" in submit["responses"]["415"]["content"]
    assert doc["paths"]["/v1/jobs/{job_id}/result"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Result")


def test_openapi_is_served_by_the_app(client):
    import json

    assert client.get("/openapi/openapi.json").json()["paths"].keys() == json.loads(generate())["paths"].keys()
