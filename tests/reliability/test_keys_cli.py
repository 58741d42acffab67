"""`fazhi keys create|list|revoke`, and the refusal to serve beyond loopback without keys."""

from __future__ import annotations

import pytest


@pytest.fixture
def cli_env(monkeypatch, redis_server, redis_conn):
    monkeypatch.setenv("FAZHI_REDIS_URL", redis_server.url)
    monkeypatch.setenv("FAZHI_LOG_LEVEL", "WARNING")
    return redis_conn


def test_keys_cli_create_list_revoke(cli_env, capsys, client):
    from fazhi.cli import main
    from fazhi.keys import digest, HASH_KEY

    assert main(["keys", "create", "acme"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    key = out[-1]
    assert key.startswith("fz_") and len(key) > 40
    assert cli_env.hexists(HASH_KEY, digest(key))
    assert client.post("/v1/jobs", json={"text": "报告"}, headers={"X-API-Key": key}).status_code != 401

    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    key_id = key.split("_")[1]
    assert key_id in listed and "acme" in listed and key not in listed

    assert main(["keys", "revoke", key_id]) == 0
    capsys.readouterr()
    # revoking the last key does not turn auth off
    assert client.get("/v1/indicators", headers={"X-API-Key": key}).status_code == 401
    assert client.get("/v1/indicators").status_code == 401
    assert main(["keys", "revoke", key_id]) == 2
    assert "no key" in capsys.readouterr().err


def test_keys_cli_bad_name_exits_2(cli_env, capsys):
    from fazhi.cli import main

    assert main(["keys", "create", "bad name"]) == 2
    assert "tenant name" in capsys.readouterr().err


def test_keys_cli_api_refuses_public_bind_without_keys(cli_env, capsys):
    from fazhi.cli import main

    assert main(["api", "--host", "0.0.0.0", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "without API keys" in err and "fazhi keys create" in err
